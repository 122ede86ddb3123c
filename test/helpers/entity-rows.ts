import { queryEntityRows } from '../../src/pipeline/index.js'
import type { Runtime } from '../../src/runtime/index.js'
import { getEntity } from '../../src/store/entities.js'

/** Every row of an entity's current version (all columns unless `select` names some). */
export async function entityRows(runtime: Runtime, instanceId: string, entity: string, select?: string[]) {
  const found = await getEntity(runtime.db, instanceId, entity)
  if (!found) throw new Error(`${entity} is not published`)
  const { rows } = await queryEntityRows(runtime.duck, found.current, {
    select: select ?? found.current.schema.map((c) => c.name),
    where: undefined,
    orderBy: [],
    limit: 1_000_000,
    offset: 0,
    count: false,
  })
  return rows
}

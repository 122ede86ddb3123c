import { mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { literal, type Sql, SqlSession, sql } from '../src/query/index.js'
import type { Runtime } from '../src/runtime/index.js'
import { publishEntityVersion } from '../src/store/entities.js'

/**
 * Publishes a generated entity of `rows` rows as version v1: `columns` is a DuckDB select list
 * over `range` (0 … rows-1), written as `partitions` Parquet files.
 */
export async function publishGeneratedEntity(
  runtime: Runtime,
  entity: {
    instanceId: string
    name: string
    rows: number
    partitions: number
    columns: Sql
    schema: { name: string; type: string }[]
    keyColumn: string
  },
): Promise<void> {
  const directory = join(runtime.settings.dataDir, entity.instanceId, 'entities', entity.name, 'v1')
  mkdirSync(directory, { recursive: true })
  const duck = await SqlSession.open(runtime.duck)
  const perPart = Math.ceil(entity.rows / entity.partitions)
  const partitions = []
  for (let p = 0; p < entity.partitions; p++) {
    const [from, to] = [p * perPart, Math.min(entity.rows, (p + 1) * perPart)]
    const file = `part-${String(p).padStart(5, '0')}.parquet`
    await duck.run(
      sql`copy (select ${entity.columns} from range(${from}, ${to})) to ${literal(join(directory, file))} (format parquet)`,
    )
    partitions.push({
      name: file.replace('.parquet', ''),
      file,
      rowCount: to - from,
      sizeBytes: statSync(join(directory, file)).size,
    })
  }
  duck.close()
  await publishEntityVersion(
    runtime.db,
    {
      id: 'v1',
      instanceId: entity.instanceId,
      entityName: entity.name,
      refreshId: 'v1',
      directory,
      rowCount: entity.rows,
      schema: entity.schema,
      partitions,
      keyColumn: entity.keyColumn,
    },
    'bench',
  )
}

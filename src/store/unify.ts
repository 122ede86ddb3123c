import { sql } from 'kysely'
import type { DbOrTx } from './database.js'
import { sameJson } from './stable-json.js'

/** The unify configurations of several instances (those that have one), in one query. */
export async function getUnifyConfigs(
  db: DbOrTx,
  instanceIds: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  if (instanceIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('unify_configs')
    .select(['instance_id', 'config'])
    .where('instance_id', 'in', [...instanceIds])
    .execute()
  return new Map(rows.map((r) => [r.instance_id, r.config]))
}

export async function getUnifyConfig(
  db: DbOrTx,
  instanceId: string,
): Promise<Record<string, unknown> | undefined> {
  const row = await db
    .selectFrom('unify_configs')
    .select('config')
    .where('instance_id', '=', instanceId)
    .executeTakeFirst()
  return row?.config
}

/** Stores the unify section; returns whether it changed. */
export async function putUnifyConfig(
  db: DbOrTx,
  instanceId: string,
  config: Record<string, unknown>,
): Promise<'created' | 'updated' | 'unchanged'> {
  const existing = await getUnifyConfig(db, instanceId)
  if (existing && sameJson(existing, config)) return 'unchanged'
  await db
    .insertInto('unify_configs')
    .values({ instance_id: instanceId, config: JSON.stringify(config) })
    .onConflict((oc) =>
      oc.column('instance_id').doUpdateSet({ config: JSON.stringify(config), updated_at: sql`now()` }),
    )
    .execute()
  return existing ? 'updated' : 'created'
}

export async function deleteUnifyConfig(db: DbOrTx, instanceId: string): Promise<boolean> {
  const result = await db.deleteFrom('unify_configs').where('instance_id', '=', instanceId).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

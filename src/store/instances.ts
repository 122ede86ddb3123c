import { type RawBuilder, sql } from 'kysely'
import type { DbOrTx } from './database.js'

export interface Instance {
  id: string
  name: string
  createdAt: string
}

/** Creates the instance if it does not exist; renames it if it does. */
/** Creates an instance or renames it. */
export async function upsertInstance(
  db: DbOrTx,
  instance: { id: string; name: string },
): Promise<'created' | 'updated' | 'unchanged'> {
  const existing = await getInstance(db, instance.id)
  if (existing?.name === instance.name) return 'unchanged'
  await db
    .insertInto('instances')
    .values({ id: instance.id, name: instance.name })
    .onConflict((oc) => oc.column('id').doUpdateSet({ name: instance.name, updated_at: new Date() }))
    .execute()
  return existing ? 'updated' : 'created'
}

export async function getInstance(db: DbOrTx, id: string): Promise<Instance | undefined> {
  const row = await db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirst()
  return row && { id: row.id, name: row.name, createdAt: row.created_at.toISOString() }
}

export async function listInstances(db: DbOrTx): Promise<Instance[]> {
  const rows = await db.selectFrom('instances').selectAll().orderBy('id').execute()
  return rows.map((row) => ({ id: row.id, name: row.name, createdAt: row.created_at.toISOString() }))
}

/**
 * `known_instances` (id): those of `ids` that exist, locked for key share until the statement's
 * transaction ends (so that none is deleted meanwhile) — the check of a statement that inserts
 * rows of instances (events, flow runs: migration 0017), once per statement rather than per row.
 */
export function knownInstances(ids: string[]) {
  return sql`known_instances as (select id from instances where id = any(${ids}::text[]) for key share)`
}

/**
 * A condition on an inserted row's instance (`instanceId`), in a statement with knownInstances:
 * true when it exists; otherwise the statement fails with a foreign key's error (23503).
 */
export function instanceKnown(instanceId: RawBuilder<unknown>) {
  // A case, not an or: PostgreSQL does not promise to evaluate an or's arms in order.
  return sql`case when ${instanceId} = any(array(select id from known_instances)) then true else openinsights_unknown_instance(${instanceId}) end`
}

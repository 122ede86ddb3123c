import type { DbOrTx } from './database.js'

export interface Instance {
  id: string
  name: string
  createdAt: string
}

/** Creates the instance if it does not exist; renames it if it does. */
export async function upsertInstance(db: DbOrTx, instance: { id: string; name: string }): Promise<void> {
  await db
    .insertInto('instances')
    .values({ id: instance.id, name: instance.name })
    .onConflict((oc) => oc.column('id').doUpdateSet({ name: instance.name, updated_at: new Date() }))
    .execute()
}

export async function getInstance(db: DbOrTx, id: string): Promise<Instance | undefined> {
  const row = await db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirst()
  return row && { id: row.id, name: row.name, createdAt: row.created_at.toISOString() }
}

export async function listInstances(db: DbOrTx): Promise<Instance[]> {
  const rows = await db.selectFrom('instances').selectAll().orderBy('id').execute()
  return rows.map((row) => ({ id: row.id, name: row.name, createdAt: row.created_at.toISOString() }))
}

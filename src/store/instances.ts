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

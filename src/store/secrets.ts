import { sql } from 'kysely'
import type { DbOrTx } from './database.js'

/** Stores a sealed secret (the caller seals it; the store never sees the plaintext). */
export async function putSecret(
  db: DbOrTx,
  instanceId: string,
  name: string,
  ciphertext: string,
): Promise<void> {
  await db
    .insertInto('secrets')
    .values({ instance_id: instanceId, name, ciphertext })
    .onConflict((oc) =>
      oc.columns(['instance_id', 'name']).doUpdateSet({ ciphertext, updated_at: sql`now()` }),
    )
    .execute()
}

export async function listSecretNames(
  db: DbOrTx,
  instanceId: string,
): Promise<{ name: string; updatedAt: string }[]> {
  const rows = await db
    .selectFrom('secrets')
    .select(['name', 'updated_at'])
    .where('instance_id', '=', instanceId)
    .orderBy('name')
    .execute()
  return rows.map((r) => ({ name: r.name, updatedAt: r.updated_at.toISOString() }))
}

export async function sealedSecrets(db: DbOrTx, instanceId: string): Promise<Record<string, string>> {
  const rows = await db
    .selectFrom('secrets')
    .select(['name', 'ciphertext'])
    .where('instance_id', '=', instanceId)
    .execute()
  return Object.fromEntries(rows.map((r) => [r.name, r.ciphertext]))
}

export async function deleteSecret(db: DbOrTx, instanceId: string, name: string): Promise<boolean> {
  const result = await db
    .deleteFrom('secrets')
    .where('instance_id', '=', instanceId)
    .where('name', '=', name)
    .executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

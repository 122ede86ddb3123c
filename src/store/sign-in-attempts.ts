import { sql } from 'kysely'
import type { Db } from './database.js'

/** How long each key waits after `failures` failed attempts (ms); 0 while attempts are free. */
export type Backoff = (key: string, failures: number) => number

/**
 * Counts one sign-in attempt against each key, before the password is checked, in one
 * transaction that locks the keys' rows (so attempts made at once are counted one after the
 * other). Returns how long to wait when any key is still waiting: the attempt is then refused
 * and not counted. Otherwise the attempt counts as a failure until `clearSignInAttempts`.
 */
export async function countSignInAttempt(db: Db, keys: string[], backoff: Backoff): Promise<number> {
  return db.transaction().execute(async (tx) => {
    await tx
      .insertInto('sign_in_attempts')
      .values(keys.map((key) => ({ key, failures: 0, next_at: sql<Date>`now()` })))
      .onConflict((oc) => oc.column('key').doNothing())
      .execute()
    const rows = await sql<{ key: string; failures: number; wait_ms: number; idle_ms: number }>`
      select key, failures,
        greatest(0, extract(epoch from next_at - now()) * 1000)::float8 as wait_ms,
        (extract(epoch from now() - updated_at) * 1000)::float8 as idle_ms
      from sign_in_attempts where key = any(${keys}::text[]) order by key for update`.execute(tx)
    const wait = Math.max(0, ...rows.rows.map((r) => Math.ceil(r.wait_ms)))
    if (wait > 0) return wait
    for (const row of rows.rows) {
      // A key quiet for a day starts afresh.
      const failures = (row.idle_ms > 86_400_000 ? 0 : row.failures) + 1
      await tx
        .updateTable('sign_in_attempts')
        .set({
          failures,
          next_at: sql<Date>`now() + make_interval(secs => ${backoff(row.key, failures) / 1000})`,
          updated_at: sql<Date>`now()`,
        })
        .where('key', '=', row.key)
        .execute()
    }
    return 0
  })
}

/** Forgets the keys' failures (after a successful sign-in). */
export async function clearSignInAttempts(db: Db, keys: string[]): Promise<void> {
  await db.deleteFrom('sign_in_attempts').where('key', 'in', keys).execute()
}

/** Removes keys nobody has tried for a day. */
export async function pruneSignInAttempts(db: Db): Promise<number> {
  const result = await db
    .deleteFrom('sign_in_attempts')
    .where('updated_at', '<', sql<Date>`now() - interval '1 day'`)
    .where('next_at', '<', sql<Date>`now()`)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import type { Db } from './database.js'

const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url))
// Arbitrary constant: serialises concurrent migrators (several server processes starting at once).
const MIGRATION_LOCK = 7_246_001

/** Applies migrations/*.sql in name order, each once, each in its own transaction. */
export async function migrate(db: Db): Promise<string[]> {
  await sql`create table if not exists schema_migrations (
    name text primary key,
    applied_at timestamptz not null default now()
  )`.execute(db)
  const files = readdirSync(migrationsDir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
  const applied: string[] = []
  for (const file of files) {
    await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx)
      const done = await sql<{
        name: string
      }>`select name from schema_migrations where name = ${file}`.execute(trx)
      if (done.rows.length > 0) return
      await sql.raw(readFileSync(migrationsDir + file, 'utf8')).execute(trx)
      await sql`insert into schema_migrations (name) values (${file})`.execute(trx)
      applied.push(file)
    })
  }
  return applied
}

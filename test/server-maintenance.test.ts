import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmbeddedMaintenance } from '../src/runtime/embedded-maintenance.js'
import { createLogger, openRuntime, type Runtime } from '../src/runtime/index.js'
import { type Db, openDatabase } from '../src/store/database.js'
import { MAINTENANCE_LOCK } from '../src/store/maintenance.js'
import { migrate } from '../src/store/migrate.js'
import { createTestStore, storeModeAvailable, type TestStore } from './helpers/test-store.js'

// Server mode leaves vacuuming to PostgreSQL's autovacuum; where a server has it off, the job
// processes do it themselves, one process at a time.
describe.skipIf(!storeModeAvailable('postgres'))('server-mode store maintenance', () => {
  let store: TestStore
  let db: Db
  let runtime: Runtime | undefined
  const lines: string[] = []
  beforeAll(async () => {
    store = await createTestStore('postgres')
    db = openDatabase({ connectionString: store.settings.databaseUrl as string, maxConnections: 2 })
    await migrate(db)
  })
  afterAll(async () => {
    await runtime?.close()
    await db?.destroy()
    await store?.dispose()
  })

  const churn = async (table: string) => {
    await sql`create table ${sql.id(table)} (id int primary key, n int, pad text)`.execute(db)
    await sql`insert into ${sql.id(table)} select g, 0, repeat('x', 200) from generate_series(1, 2000) g`.execute(
      db,
    )
    for (let i = 0; i < 3; i++) await sql`update ${sql.id(table)} set n = n + 1`.execute(db)
  }
  /** When this table was last vacuumed by a VACUUM statement (not by autovacuum). */
  const vacuumedByUs = async (table: string) =>
    (
      await sql<{ at: Date | null }>`
        select last_vacuum as at from pg_stat_user_tables where relname = ${table}`.execute(db)
    ).rows[0]?.at ?? null

  it('takes turns: a look while another process holds the maintenance lock does nothing', async () => {
    const maintenance = startEmbeddedMaintenance({ db, shared: true, intervalMs: 3_600_000 })
    const other = new pg.Client({ connectionString: store.settings.databaseUrl })
    await other.connect()
    try {
      await churn('churn_locked')
      await other.query('select pg_advisory_lock($1)', [MAINTENANCE_LOCK])
      expect(await maintenance.runOnce()).toEqual([])
      expect(await vacuumedByUs('churn_locked')).toBeNull()
      await other.query('select pg_advisory_unlock($1)', [MAINTENANCE_LOCK])
      expect(await maintenance.runOnce()).toContain('public.churn_locked')
      expect(await vacuumedByUs('churn_locked')).not.toBeNull()
      // The lock was given back: the other process can take it.
      const taken = await other.query<{ got: boolean }>('select pg_try_advisory_lock($1) as got', [
        MAINTENANCE_LOCK,
      ])
      expect(taken.rows[0]?.got).toBe(true)
    } finally {
      await other.end()
      await maintenance.stop()
    }
  })

  it("vacuums the store's tables itself exactly when the server's autovacuum is off, and says so", async () => {
    const setting = await sql<{
      autovacuum: string
    }>`select current_setting('autovacuum') as autovacuum`.execute(db)
    const off = setting.rows[0]?.autovacuum === 'off'
    runtime = await openRuntime({
      settings: store.settings,
      role: 'worker',
      logger: createLogger('warn', (line) => lines.push(line)),
      maintenanceIntervalMs: 200,
      schedules: false,
    })
    await churn('churn_server')
    const deadline = Date.now() + (off ? 15_000 : 2_000)
    while (Date.now() < deadline && !(await vacuumedByUs('churn_server')))
      await new Promise((resolve) => setTimeout(resolve, 100))
    const warned = lines.some((line) => line.includes('autovacuum is off'))
    if (off) {
      expect(await vacuumedByUs('churn_server')).not.toBeNull()
      expect(warned).toBe(true)
    } else {
      expect(await vacuumedByUs('churn_server')).toBeNull()
      expect(warned).toBe(false)
    }
  })
})

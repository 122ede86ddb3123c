import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmbeddedMaintenance } from '../src/runtime/embedded-maintenance.js'
import type { Runtime } from '../src/runtime/index.js'
import { createTestStore, storeModeAvailable, type TestStore } from './helpers/test-store.js'

// PGlite runs PostgreSQL without autovacuum; the runtime vacuums and analyzes in its place.
describe.skipIf(!storeModeAvailable('pglite'))('embedded store maintenance', () => {
  let store: TestStore
  let runtime: Runtime
  beforeAll(async () => {
    store = await createTestStore('pglite')
    runtime = await store.open({ role: 'api', maintenanceIntervalMs: 200 })
  })
  afterAll(async () => store?.dispose())

  const stats = async (table: string) =>
    (
      await sql<{ dead: number; vacuumed: boolean; analyzed: boolean; bytes: number }>`
        select n_dead_tup::int as dead, last_vacuum is not null as vacuumed,
          last_analyze is not null as analyzed, pg_relation_size(relid)::int as bytes
        from pg_stat_user_tables where schemaname = 'public' and relname = ${table}`.execute(runtime.db)
    ).rows[0]

  it('vacuums and analyzes a table once its dead rows pass the threshold, on its own', async () => {
    await sql`create table churn (id int primary key, n int, pad text)`.execute(runtime.db)
    await sql`insert into churn select g, 0, repeat('x', 200) from generate_series(1, 2000) g`.execute(
      runtime.db,
    )
    for (let i = 0; i < 3; i++) await sql`update churn set n = n + 1`.execute(runtime.db)
    const deadline = Date.now() + 15_000
    let found = await stats('churn')
    while (!found?.vacuumed && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100))
      found = await stats('churn')
    }
    expect(found).toMatchObject({ vacuumed: true, analyzed: true })
    expect(found?.dead).toBeLessThan(200)
    // The planner knows its size now.
    const planned = await sql<{ reltuples: number }>`
      select reltuples::int as reltuples from pg_class where relname = 'churn'`.execute(runtime.db)
    expect(planned.rows[0]?.reltuples).toBe(2000)
  })

  it('keeps a table that is rewritten over and over at the size of a few versions of it', async () => {
    const maintenance = startEmbeddedMaintenance({ db: runtime.db, intervalMs: 3_600_000 })
    try {
      await sql`create table rewritten (id int primary key, n int, pad text)`.execute(runtime.db)
      await sql`insert into rewritten select g, 0, repeat('y', 200) from generate_series(1, 2000) g`.execute(
        runtime.db,
      )
      const oneVersion = (await stats('rewritten'))?.bytes as number
      for (let i = 0; i < 10; i++) {
        await sql`update rewritten set n = n + 1`.execute(runtime.db)
        await maintenance.runOnce()
      }
      // Without the vacuums it holds 11 versions of every row (checked: over 10 times the size).
      expect((await stats('rewritten'))?.bytes).toBeLessThan(3 * oneVersion)
      expect(await maintenance.runOnce()).not.toContain('public.rewritten')
    } finally {
      await maintenance.stop()
    }
  })
})

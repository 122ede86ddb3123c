import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliDecompressSync } from 'node:zlib'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { createLogger, openRuntime, type Runtime, readSettings } from '../src/runtime/index.js'
import { listEvents } from '../src/store/events.js'
import { waitForRefreshEnd } from './helpers/wait.js'

// A store made by openinsights at a219e2b (Node 20, Kysely 0.28, pg-boss 10): see
// fixtures/store-0.1-a219e2b/make-fixture.ts for how, and rows.json for what it held.
const fixture = join(import.meta.dirname, 'fixtures', 'store-0.1-a219e2b')
const rowsBefore = JSON.parse(readFileSync(join(fixture, 'rows.json'), 'utf8')) as Record<string, number>
const queuedRefreshId = readFileSync(join(fixture, 'queued-refresh.txt'), 'utf8').trim()

const home = mkdtempSync(join(tmpdir(), 'oi-upgrade-'))
const untar = spawnSync('tar', ['-x', '-C', home], {
  input: brotliDecompressSync(readFileSync(join(fixture, 'store.tar.br'))),
})
if (untar.status !== 0) throw new Error(`could not unpack the fixture: ${untar.stderr}`)

const opened: Runtime[] = []
async function open(role: 'api' | 'all'): Promise<Runtime> {
  const runtime = await openRuntime({
    settings: readSettings({ OPENINSIGHTS_HOME: home, OPENINSIGHTS_REFRESH_RETRIES: '0' }),
    role,
    schedules: false,
    logger: createLogger('silent'),
  })
  opened.push(runtime)
  return runtime
}

async function count(runtime: Runtime, table: string): Promise<number> {
  const found = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(
    runtime.db,
  )
  return found.rows[0]?.n ?? -1
}

afterAll(async () => {
  for (const runtime of opened) await runtime.close().catch(() => {})
  rmSync(home, { recursive: true, force: true })
})

describe('a store made by the previous version (Node 20, pg-boss 10)', () => {
  it('opens with every row of the control plane kept and pg-boss 10 set aside, not dropped', async () => {
    const runtime = await open('api')
    const tables = Object.keys(rowsBefore).filter((t) => t.startsWith('public.'))
    expect(tables.length).toBeGreaterThan(20)
    const after: Record<string, number> = {}
    for (const table of tables) after[table] = await count(runtime, table)
    // The outbox empties as the dispatcher hands events on, and migrations since are added;
    // everything else is as it was.
    const {
      'public.event_outbox': _outbox,
      'public.schema_migrations': migrationsBefore,
      ...kept
    } = Object.fromEntries(tables.map((t) => [t, rowsBefore[t]]))
    const {
      'public.event_outbox': _outboxAfter,
      'public.schema_migrations': migrationsAfter,
      ...keptAfter
    } = after
    expect(keptAfter).toEqual(kept)
    expect(migrationsAfter).toBeGreaterThanOrEqual(migrationsBefore as number)

    const versions = await sql<{ schema: string; version: number }>`
      select 'pgboss' as schema, version::int from pgboss.version
      union all select 'pgboss_v10', version::int from pgboss_v10.version`.execute(runtime.db)
    const bySchema = Object.fromEntries(versions.rows.map((r) => [r.schema, r.version]))
    expect(bySchema.pgboss_v10).toBe(24)
    expect(bySchema.pgboss).toBeGreaterThanOrEqual(25)
    expect(await count(runtime, 'pgboss_v10.job')).toBe(rowsBefore['pgboss.job'])

    // The refresh pg-boss 10 had queued is a pg-boss 12 job now, under its old id.
    const carried = await sql<{ name: string; state: string }>`
      select name, state::text from pgboss.job where data->>'refreshId' = ${queuedRefreshId}`.execute(
      runtime.db,
    )
    expect(carried.rows).toEqual([{ name: 'datasource-refresh', state: 'created' }])
    await runtime.close()
  })

  it('runs the refresh that pg-boss 10 had queued to an end, once, and opens again without carrying it twice', async () => {
    const runtime = await open('all')
    const refresh = await waitForRefreshEnd(runtime, 'demo', queuedRefreshId, 60_000)
    // The fixture leaves out the demo's input files (made in a folder since removed): the
    // refresh fails, saying which file, and says so as an event.
    expect(refresh.state).toBe('failed')
    expect(refresh.error?.message).toMatch(/crm-contacts\.csv/)
    const events = await listEvents(runtime.db, 'demo', { types: ['datasource.refresh.failed'], limit: 100 })
    expect(events.some((e) => e.data.refreshId === queuedRefreshId)).toBe(true)
    await runtime.close()

    const again = await open('api')
    const jobs = await sql<{ n: number }>`
      select count(*)::int as n from pgboss.job where data->>'refreshId' = ${queuedRefreshId}`.execute(
      again.db,
    )
    expect(jobs.rows[0]?.n).toBe(1)
    await again.close()
  })
})

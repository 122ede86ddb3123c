import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyConfig, type ConfigInput, configSchema } from '../src/config/index.js'
import { cancelRefresh, requestRefreshes } from '../src/pipeline/index.js'
import { sql as duckSql, literal } from '../src/query/index.js'
import type { Runtime } from '../src/runtime/index.js'
import { createApiKey } from '../src/server/auth/api-key-service.js'
import { buildApp } from '../src/server/index.js'
import { getEntity, listEntityVersions } from '../src/store/entities.js'
import { listEvents, type StoredEvent } from '../src/store/events.js'
import { duckRun } from './helpers/duck.js'
import { createTestStore, STORE_MODES, storeModeAvailable, type TestStore } from './helpers/test-store.js'
import { waitFor, waitForRefreshEnd } from './helpers/wait.js'

const contactsCsv = (n: number, extra = '') =>
  `id,first_name,city\n${Array.from({ length: n }, (_, i) => `${i + 1},Person ${i + 1},${i % 2 ? 'Aarhus' : 'Odense'}`).join('\n')}\n${extra}`

describe.each(STORE_MODES)('data source refresh on %s', (mode) => {
  const available = storeModeAvailable(mode)
  let store: TestStore
  let runtime: Runtime
  let files: string
  const instanceId = 'acme'

  async function configure(dataSources: ConfigInput['dataSources']): Promise<void> {
    await applyConfig(runtime, configSchema.parse({ instance: { id: instanceId }, dataSources }))
  }

  async function refresh(name: string) {
    const [queued] = await requestRefreshes(runtime.db, runtime.jobs, instanceId, [name])
    return waitForRefreshEnd(runtime, instanceId, queued!.refresh.id)
  }

  async function eventsOf(refreshId: string): Promise<StoredEvent[]> {
    await runtime.drainEvents()
    return (await listEvents(runtime.db, instanceId, { limit: 1000 })).filter(
      (e) => e.data.refreshId === refreshId,
    )
  }

  beforeAll(async () => {
    if (!available) return
    store = await createTestStore(mode, { OPENINSIGHTS_REFRESH_RETRY_DELAY: '1' })
    runtime = await store.open()
    files = join(store.settings.home, 'files')
    await import('node:fs').then((fs) => fs.mkdirSync(files, { recursive: true }))
    writeFileSync(join(files, 'contacts.csv'), contactsCsv(100))
    await configure({
      contacts: { kind: 'csv', primaryKey: 'id', options: { path: join(files, 'contacts.csv') } },
      orders: { kind: 'csv', primaryKey: 'order_id', options: { path: join(files, 'missing.csv') } },
      warehouse: {
        kind: 'postgres',
        primaryKey: 'id',
        options: {
          connectionString: 'postgres://nobody:secret@127.0.0.1:1/none',
          table: 'customers',
          connectTimeoutSeconds: 2,
        },
      },
    })
  })
  afterAll(async () => store?.dispose())

  it.skipIf(!available)(
    'publishes a new version and appends a succeeded event with the documented payload',
    async () => {
      const done = await refresh('contacts')
      expect(done).toMatchObject({
        state: 'succeeded',
        rowCount: 100,
        rejectedRowCount: 0,
        error: null,
        attempt: 1,
      })
      const [event, ...more] = await eventsOf(done.id)
      expect(more).toEqual([])
      expect(event?.type).toBe('datasource.refresh.succeeded')
      expect(event?.data).toEqual({
        instanceId,
        dataSourceName: 'contacts',
        refreshId: done.id,
        startedAt: done.startedAt,
        completedAt: done.completedAt,
        rowCount: 100,
        rejectedRowCount: 0,
        error: null,
      })
      const entity = await getEntity(runtime.db, instanceId, 'contacts')
      expect(entity?.current).toMatchObject({ id: done.id, rowCount: 100 })
      expect(readdirSync(entity!.current.directory)).toEqual(['part-00000.parquet'])
    },
  )

  it.skipIf(!available)(
    'fails a broken file with its reason while the previous version stays current and readable',
    async () => {
      const before = await getEntity(runtime.db, instanceId, 'contacts')
      const garbage = Array.from({ length: 20 }, (_, i) => `junk ${i};;;"`).join('\n')
      writeFileSync(join(files, 'contacts.csv'), contactsCsv(100, `${garbage}\n`))
      const failed = await refresh('contacts')
      expect(failed.state).toBe('failed')
      expect(failed.error?.code).toBe('RejectRatioExceeded')
      expect(failed.rejectedRowCount).toBeGreaterThan(5)
      expect(existsSync(failed.rejectsPath!)).toBe(true)
      const [event] = await eventsOf(failed.id)
      expect(event).toMatchObject({
        type: 'datasource.refresh.failed',
        data: { dataSourceName: 'contacts', refreshId: failed.id, error: { code: 'RejectRatioExceeded' } },
      })
      expect((event!.data.error as { message: string }).message).toContain('over the 5.0% limit')
      const after = await getEntity(runtime.db, instanceId, 'contacts')
      expect(after?.current.id).toBe(before?.current.id)
      // The failed attempt left no files behind.
      expect(existsSync(join(store.settings.dataDir, instanceId, 'entities', 'contacts', failed.id))).toBe(
        false,
      )
      // …and the old data is still served over the API.
      const app = await buildApp(runtime)
      const { key } = await createApiKey(runtime.db, { name: `reader-${store.mode}`, scopes: ['read'] })
      const response = await app.inject({
        url: `/api/v1/instances/${instanceId}/data/contacts?$top=2`,
        headers: { authorization: `Bearer ${key}` },
      })
      expect(response.statusCode).toBe(200)
      expect(response.json().value).toEqual([
        { id: 1, first_name: 'Person 1', city: 'Odense' },
        { id: 2, first_name: 'Person 2', city: 'Aarhus' },
      ])
      await app.close()
      writeFileSync(join(files, 'contacts.csv'), contactsCsv(100))
    },
  )

  it.skipIf(!available)('fails a missing file without retrying', async () => {
    const failed = await refresh('orders')
    expect(failed).toMatchObject({ state: 'failed', attempt: 1, error: { code: 'SourceNotFound' } })
    expect(failed.error?.message).toContain('missing.csv does not exist')
  })

  it.skipIf(!available)('retries an unreachable database, then fails once with one event', async () => {
    // The retry policy belongs to the queue: reopen with one retry after one second.
    await runtime.close()
    runtime = await store.open({
      env: { OPENINSIGHTS_REFRESH_RETRIES: '1', OPENINSIGHTS_REFRESH_RETRY_DELAY: '1' },
    })
    const [queued] = await requestRefreshes(runtime.db, runtime.jobs, instanceId, ['warehouse'])
    const failed = await waitForRefreshEnd(runtime, instanceId, queued!.refresh.id, 60_000)
    expect(failed).toMatchObject({ state: 'failed', attempt: 2, error: { code: 'SourceUnreachable' } })
    expect(failed.error?.message).toContain('cannot connect')
    expect(failed.error?.message).not.toContain('secret')
    const events = await eventsOf(failed.id)
    expect(events.map((e) => e.type)).toEqual(['datasource.refresh.failed'])
    // A job that exhausted its retries is kept in the dead-letter queue for an operator.
    const dead = await waitFor(async () => {
      const { rows } = await sql<{
        data: { refreshId: string }
      }>`select data from pgboss.job where name = 'datasource-refresh-dead'`.execute(runtime.db)
      return rows.some((r) => r.data.refreshId === failed.id) ? rows : undefined
    }, 'the job in the dead-letter queue')
    expect(dead.length).toBeGreaterThanOrEqual(1)
  })

  it.skipIf(!available)('cancels a running refresh and leaves the published version untouched', async () => {
    const big = join(files, 'big.csv')
    await duckRun(
      runtime.duck,
      duckSql`copy (select range + 1 as id, 'Person ' || range as first_name, repeat(md5(range::varchar), 6) as city from range(3000000)) to ${literal(big)} (header)`,
    )
    await configure({
      contacts: { kind: 'csv', primaryKey: 'id', options: { path: big } },
      orders: { kind: 'csv', primaryKey: 'order_id', options: { path: join(files, 'missing.csv') } },
      warehouse: {
        kind: 'postgres',
        primaryKey: 'id',
        options: { connectionString: 'postgres://127.0.0.1:1/none', table: 'customers' },
      },
    })
    const before = await getEntity(runtime.db, instanceId, 'contacts')
    const [queued] = await requestRefreshes(runtime.db, runtime.jobs, instanceId, ['contacts'])
    await waitFor(async () => {
      const r = await runtime.db
        .selectFrom('refreshes')
        .select('state')
        .where('id', '=', queued!.refresh.id)
        .executeTakeFirst()
      return r?.state === 'running' ? true : undefined
    }, 'the refresh to start')
    const cancelled = await cancelRefresh(runtime.db, instanceId, queued!.refresh.id)
    expect(cancelled).toMatchObject({ state: 'cancelled', error: { code: 'RefreshCancelled' } })
    // The worker notices at its next heartbeat, stops DuckDB and removes its files.
    const versionDir = join(store.settings.dataDir, instanceId, 'entities', 'contacts', queued!.refresh.id)
    await waitFor(
      async () => (existsSync(versionDir) ? undefined : true),
      'the cancelled refresh to clean up',
      20_000,
    )
    expect((await getEntity(runtime.db, instanceId, 'contacts'))?.current.id).toBe(before?.current.id)
    const events = await eventsOf(queued!.refresh.id)
    expect(events.map((e) => [e.type, (e.data.error as { code: string }).code])).toEqual([
      ['datasource.refresh.failed', 'RefreshCancelled'],
    ])
  })

  it.skipIf(!available)('keeps the newest three versions and removes the files of older ones', async () => {
    writeFileSync(join(files, 'small.csv'), contactsCsv(3))
    await configure({ small: { kind: 'csv', primaryKey: 'id', options: { path: join(files, 'small.csv') } } })
    const ids: string[] = []
    for (let i = 0; i < 4; i++) ids.push((await refresh('small')).id)
    // Pruning is housekeeping after the refresh has been reported: the oldest version goes shortly after.
    const versions = await waitFor(async () => {
      const listed = await listEntityVersions(runtime.db, instanceId, 'small')
      return listed.length === 3 ? listed : undefined
    }, 'three versions to remain')
    expect(versions.map((v) => v.id)).toEqual(ids.slice(1).reverse())
    const oldest = join(store.settings.dataDir, instanceId, 'entities', 'small', ids[0]!)
    await waitFor(
      async () => (existsSync(oldest) ? undefined : true),
      'the oldest version to be removed',
      10_000,
    )
    expect(existsSync(join(store.settings.dataDir, instanceId, 'entities', 'small', ids[3]!))).toBe(true)
  })
})

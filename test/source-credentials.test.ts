import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSourceOptions, requestRefreshes } from '../src/pipeline/index.js'
import type { Runtime } from '../src/runtime/index.js'
import { createApiKey } from '../src/server/auth/api-key-service.js'
import { type ApiApp, buildApp } from '../src/server/index.js'
import { getDataSource } from '../src/store/data-sources.js'
import { listEvents } from '../src/store/events.js'
import { upsertInstance } from '../src/store/instances.js'
import { databaseUrl } from './helpers/postgres.js'
import { createTestStore, storeModeAvailable, type TestStore } from './helpers/test-store.js'
import { waitForRefreshEnd } from './helpers/wait.js'

const SECRET = 'Pw-s3cr3t!42'
const enc = encodeURIComponent(SECRET)

describe('data source credentials: sealed at rest, masked to readers, kept on re-apply', () => {
  let store: TestStore
  let runtime: Runtime
  let app: ApiApp
  let admin: string
  let reader: string
  const unreachable = `postgres://alice@127.0.0.1:1/none?password=${enc}&sslmode=disable`
  const call = (method: 'GET' | 'PUT', url: string, key: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      headers: { 'x-api-key': key, ...(payload ? { 'content-type': 'application/json' } : {}) },
      ...(payload ? { payload: JSON.stringify(payload) } : {}),
    })

  beforeAll(async () => {
    store = await createTestStore('pglite')
    runtime = await store.open()
    app = await buildApp(runtime)
    await upsertInstance(runtime.db, { id: 'acme', name: 'Acme' })
    admin = (await createApiKey(runtime.db, { name: 'admin', scopes: ['admin'], rateLimit: 0 })).key
    reader = (await createApiKey(runtime.db, { name: 'reader', scopes: ['read'], rateLimit: 0 })).key
  }, 60_000)
  afterAll(async () => {
    await app?.close()
    await store?.dispose()
  })

  it('never shows a ?password= (or user:password@) to a read key, in a refresh error, its event or the store', async () => {
    const put = await call('PUT', '/api/v1/instances/acme/datasources/warehouse', admin, {
      kind: 'postgres',
      primaryKey: 'id',
      options: { connectionString: unreachable, table: 'customers', connectTimeoutSeconds: 2 },
    })
    expect(put.statusCode).toBe(200)
    const listed = await call('GET', '/api/v1/instances/acme/datasources', reader)
    expect(listed.body).not.toContain(SECRET)
    expect(listed.body).not.toContain(enc)
    expect(listed.json().value[0].options.connectionString).toBe(
      'postgres://alice@127.0.0.1:1/none?password=***&sslmode=disable',
    )
    const [queued] = await requestRefreshes(runtime.db, runtime.jobs, 'acme', ['warehouse'])
    const failed = await waitForRefreshEnd(runtime, 'acme', queued!.refresh.id)
    expect(failed.state).toBe('failed')
    expect(failed.error?.message).toContain('password=***')
    await runtime.drainEvents()
    const events = await listEvents(runtime.db, 'acme', { limit: 100 })
    const refreshes = await call('GET', '/api/v1/instances/acme/refreshes', reader)
    for (const text of [JSON.stringify(failed), JSON.stringify(events), refreshes.body]) {
      expect(text).not.toContain(SECRET)
      expect(text).not.toContain(enc)
    }
    const row = await sql<{
      options: unknown
    }>`select options from data_sources where name = 'warehouse'`.execute(runtime.db)
    expect(JSON.stringify(row.rows)).not.toContain(enc)
    expect(JSON.stringify(row.rows)).toContain('sealed:v1.')
  })

  it('exports the configuration masked, and applying the export keeps the stored password', async () => {
    const exported = await call('GET', '/api/v1/instances/acme/config', admin)
    expect(exported.body).not.toContain(enc)
    const document = exported.json()
    expect(document.dataSources.warehouse.options.connectionString).toContain('password=***')
    const applied = await call('PUT', '/api/v1/instances/acme/config', admin, document)
    expect(applied.statusCode).toBe(200)
    expect(applied.json().value).toContainEqual({
      kind: 'dataSource',
      name: 'warehouse',
      action: 'unchanged',
    })
    const stored = await getDataSource(runtime.db, 'acme', 'warehouse')
    expect(openSourceOptions('postgres', stored!.options, runtime.secrets).connectionString).toBe(unreachable)
    // A masked password with anything else changed cannot stand for the stored one.
    document.dataSources.warehouse.options.connectionString = 'postgres://alice@10.9.9.9/none?password=***'
    const refused = await call('PUT', '/api/v1/instances/acme/config', admin, document)
    expect(refused.statusCode).toBe(400)
    expect(refused.json().error).toMatchObject({ code: 'MaskedSecret' })
  })

  it('seals credentials an earlier version stored in clear when the store is opened', async () => {
    await sql`update data_sources set options = ${JSON.stringify({ connectionString: unreachable, table: 't' })}::jsonb
      where name = 'warehouse'`.execute(runtime.db)
    const reopened = await store.open({ role: 'api' })
    const row = await sql<{
      options: { connectionString: string }
    }>`select options from data_sources where name = 'warehouse'`.execute(reopened.db)
    expect(row.rows[0]?.options.connectionString.startsWith('sealed:v1.')).toBe(true)
    await reopened.close()
  })

  it.skipIf(!storeModeAvailable('postgres'))(
    'reads a PostgreSQL source through its sealed connection string',
    async () => {
      const url = new URL(databaseUrl('test'))
      url.password = SECRET // trust authentication on the test server ignores it
      const put = await call('PUT', '/api/v1/instances/acme/datasources/live', admin, {
        kind: 'postgres',
        primaryKey: 'id',
        options: { connectionString: url.toString(), query: 'select 1 as id, 2 as n' },
      })
      expect(put.statusCode).toBe(200)
      const [queued] = await requestRefreshes(runtime.db, runtime.jobs, 'acme', ['live'])
      expect(await waitForRefreshEnd(runtime, 'acme', queued!.refresh.id)).toMatchObject({
        state: 'succeeded',
        rowCount: 1,
      })
    },
  )
})

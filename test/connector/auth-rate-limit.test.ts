import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Runtime } from '../../src/runtime/index.js'
import { createApiKey } from '../../src/server/auth/api-key-service.js'
import { type ApiApp, buildApp } from '../../src/server/index.js'
import { upsertInstance } from '../../src/store/instances.js'
import { type ServerProcess, startServer } from '../helpers/processes.js'
import { createTestStore, storeModeAvailable, type TestStore } from '../helpers/test-store.js'

describe('keys, scopes and the per-connection rate limit', () => {
  let store: TestStore
  let runtime: Runtime
  let app: ApiApp
  const call = (
    key: string | undefined,
    url = '/api/v1/instances/acme/entities',
    method: 'GET' | 'DELETE' = 'GET',
    useBearer = false,
  ) =>
    app.inject({
      method,
      url,
      headers: key ? (useBearer ? { authorization: `Bearer ${key}` } : { 'x-api-key': key }) : {},
    })

  beforeAll(async () => {
    store = await createTestStore('pglite')
    runtime = await store.open({ role: 'api' })
    app = await buildApp(runtime)
    await upsertInstance(runtime.db, { id: 'acme', name: 'Acme' })
  })
  afterAll(async () => {
    await app?.close()
    await store?.dispose()
  })

  it('answers a missing or wrong key with 401 and a wrong scope with 403, as OData errors', async () => {
    const missing = await call(undefined)
    expect(missing.statusCode).toBe(401)
    expect(missing.json().error).toMatchObject({ code: 'Unauthorized', target: 'x-api-key' })
    const wrong = await call('oi_not-a-key')
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json().error.message).toContain('not valid')

    const { key, apiKey } = await createApiKey(runtime.db, { name: 'reader', scopes: ['read'] })
    expect(apiKey.prefix).toBe(`${key.slice(0, 7)}…`)
    expect((await call(key)).statusCode).toBe(200)
    expect((await call(key, undefined, 'GET', true)).statusCode).toBe(200)
    const forbidden = await call(key, '/api/v1/keys')
    expect(forbidden.statusCode).toBe(403)
    expect(forbidden.json().error).toMatchObject({ code: 'Forbidden', target: 'scope' })
    expect(forbidden.json().error.message).toContain("needs 'admin'")
    // Health and docs stay open.
    expect((await call(undefined, '/api/v1/health')).statusCode).toBe(200)
    expect((await call(undefined, '/docs/json')).statusCode).toBe(200)
  })

  it('stores keys hashed, lists them by prefix and revokes them', async () => {
    const { key: admin } = await createApiKey(runtime.db, { name: 'admin', scopes: ['admin'], rateLimit: 0 })
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/keys',
      headers: { 'x-api-key': admin },
      payload: { name: 'power-automate' },
    })
    expect(created.statusCode).toBe(201)
    const { key, id, scopes } = created.json()
    expect(scopes).toEqual(['read', 'write', 'subscribe'])
    const stored = await runtime.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    expect(stored.hash).not.toContain(key)
    expect(JSON.stringify(stored)).not.toContain(key)
    const listed = (await call(admin, '/api/v1/keys')).json().value
    expect(listed.map((k: { name: string }) => k.name)).toContain('power-automate')
    expect(JSON.stringify(listed)).not.toContain(key)
    const duplicate = await app.inject({
      method: 'POST',
      url: '/api/v1/keys',
      headers: { 'x-api-key': admin },
      payload: { name: 'power-automate' },
    })
    expect(duplicate.statusCode).toBe(409)
    expect((await call(key)).statusCode).toBe(200)
    expect((await call(admin, '/api/v1/keys/power-automate', 'DELETE')).statusCode).toBe(200)
    expect((await call(key)).statusCode).toBe(401)
  })

  it('refuses the 101st call in a window with 429, Retry-After and RateLimit headers', async () => {
    const { key } = await createApiKey(runtime.db, { name: 'busy', scopes: ['read'] })
    const { key: other } = await createApiKey(runtime.db, { name: 'quiet', scopes: ['read'] })
    for (let i = 1; i <= 100; i++) {
      const response = await call(key)
      expect(response.statusCode, `call ${i}`).toBe(200)
      if (i === 1) {
        expect(response.headers['ratelimit-policy']).toBe('"per-connection";q=100;w=60')
        expect(response.headers.ratelimit).toMatch(/^"per-connection";r=99;t=(60|59)$/)
      }
    }
    const refused = await call(key)
    expect(refused.statusCode).toBe(429)
    expect(refused.json().error).toMatchObject({ code: 'TooManyRequests', target: 'x-api-key' })
    const retryAfter = Number(refused.headers['retry-after'])
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(60)
    expect(refused.headers.ratelimit).toMatch(/r=0;/)
    // The limit is per connection: another key is unaffected.
    expect((await call(other)).statusCode).toBe(200)
  })

  it('admits calls again once a new window starts', async () => {
    const shortWindow = await buildApp({
      ...runtime,
      settings: { ...runtime.settings, rateLimit: 3, rateLimitWindowSeconds: 1 },
    })
    const { key } = await createApiKey(runtime.db, { name: 'windowed', scopes: ['read'] })
    const get = () =>
      shortWindow.inject({ url: '/api/v1/instances/acme/entities', headers: { 'x-api-key': key } })
    for (let i = 0; i < 3; i++) expect((await get()).statusCode).toBe(200)
    const refused = await get()
    expect(refused.statusCode).toBe(429)
    await new Promise((resolve) => setTimeout(resolve, Number(refused.headers['retry-after']) * 1000 + 100))
    expect((await get()).statusCode).toBe(200)
    await shortWindow.close()
  })
})

describe.skipIf(!storeModeAvailable('postgres'))(
  'the rate limit across two API processes sharing PostgreSQL',
  () => {
    let store: TestStore
    const servers: ServerProcess[] = []
    afterAll(async () => {
      for (const server of servers) await server.stop()
      await store?.dispose()
    })

    it('counts calls to both processes against one limit', async () => {
      store = await createTestStore('postgres')
      const runtime = await store.open({ role: 'api' })
      await upsertInstance(runtime.db, { id: 'acme', name: 'Acme' })
      const { key } = await createApiKey(runtime.db, { name: 'shared', scopes: ['read'] })
      for (const name of ['a', 'b']) {
        const home = mkdtempSync(join(tmpdir(), `oi-rl-${name}-`))
        servers.push(
          await startServer(['--role', 'api'], {
            OPENINSIGHTS_HOME: home,
            DATABASE_URL: store.settings.databaseUrl as string,
          }),
        )
      }
      const statuses: number[] = []
      for (let i = 0; i < 100; i++) {
        const server = servers[i % 2] as ServerProcess
        const response = await fetch(`${server.url}/api/v1/instances/acme/entities`, {
          headers: { 'x-api-key': key },
        })
        statuses.push(response.status)
        await response.arrayBuffer()
      }
      expect(statuses.every((s) => s === 200)).toBe(true)
      for (const server of servers) {
        const response = await fetch(`${server.url}/api/v1/instances/acme/entities`, {
          headers: { 'x-api-key': key },
        })
        expect(response.status).toBe(429)
        expect(response.headers.get('retry-after')).toMatch(/^\d+$/)
      }
    }, 120_000)
  },
)

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Runtime } from '../src/runtime/index.js'
import { createApiKey } from '../src/server/auth/api-key-service.js'
import { revokeApiKey } from '../src/store/api-keys.js'
import { type DocumentedOperation, startApiServer } from './helpers/api-server.js'
import { rawRequest } from './helpers/raw-http.js'

interface Operation extends DocumentedOperation {
  path: string
}

/** What a route's path parameters are filled with; a real instance, so routes get past lookups. */
const PARAMS: Record<string, string> = { instanceId: 'acme' }

/** Every route that may be called without a key. A new one is a decision: add it here. */
const PUBLIC = [
  'GET /api/v1/health',
  'GET /api/v1/schema/openinsights.json',
  'GET /api/v1/web/session',
  'POST /api/v1/web/setup',
  'POST /api/v1/web/login',
  'POST /api/v1/web/logout',
]

/**
 * Calls every route of the OpenAPI document without a key, with a revoked key and with each
 * scope too small for it, under spellings of its path a router may decode or normalise: only
 * routes the document marks public may answer 2xx, and none may answer 5xx.
 */
describe('every route is private unless it says it is public', () => {
  let server: Awaited<ReturnType<typeof startApiServer>>
  let runtime: Runtime
  let port: number
  let operations: Operation[]
  const keys: Record<string, string> = {}

  beforeAll(async () => {
    server = await startApiServer()
    ;({ runtime, port } = server)
    for (const scope of ['read', 'write', 'subscribe', 'admin'] as const)
      keys[scope] = (await createApiKey(runtime.db, { name: scope, scopes: [scope], rateLimit: 0 })).key
    keys.revoked = (await createApiKey(runtime.db, { name: 'revoked', scopes: ['admin'] })).key
    await revokeApiKey(runtime.db, 'revoked')
    operations = server.operations.map((op) => ({
      ...op,
      path: op.template.replace(/\{(\w+)\}/g, (_, name: string) => PARAMS[name] ?? 'x'),
    }))
  }, 60_000)
  afterAll(() => server?.close())

  const send = (op: Operation, target: string, key?: string, extra: Record<string, string> = {}) =>
    rawRequest(port, op.method, target, {
      headers: {
        ...(key ? { 'x-api-key': key } : {}),
        ...(['POST', 'PUT', 'PATCH'].includes(op.method) ? { 'content-type': 'application/json' } : {}),
        ...extra,
      },
      ...(['POST', 'PUT', 'PATCH'].includes(op.method) ? { body: '{}' } : {}),
    })

  it('documents who may call each route: public ones are exactly the known few', () => {
    expect(operations.length).toBeGreaterThan(60)
    expect(
      operations
        .filter((op) => op.public)
        .map((op) => `${op.method} ${op.path}`)
        .sort(),
    ).toEqual([...PUBLIC].sort())
    for (const op of operations.filter((o) => !o.public))
      expect(op.scope, `${op.method} ${op.path} names its scope`).toMatch(/^(read|write|subscribe|admin)$/)
  })

  it('answers 401 without a key or with a revoked one, and 403 to a scope too small', async () => {
    const wrong: string[] = []
    for (const op of operations.filter((o) => !o.public)) {
      const none = await send(op, op.path)
      if (none.status !== 401) wrong.push(`${op.method} ${op.path} without a key: ${none.status}`)
      const revoked = await send(op, op.path, keys.revoked)
      if (revoked.status !== 401) wrong.push(`${op.method} ${op.path} revoked key: ${revoked.status}`)
      for (const scope of ['read', 'write', 'subscribe'].filter((s) => s !== op.scope)) {
        const small = await send(op, op.path, keys[scope])
        if (small.status !== 403) wrong.push(`${op.method} ${op.path} with '${scope}': ${small.status}`)
      }
    }
    expect(wrong).toEqual([])
  })

  it('gives no private route to a path spelled another way, or to an absolute-form target', async () => {
    const spellings = (path: string) => [
      path.replace('/api/', '/%61pi/'),
      path.replace('/api/', '/%61%70%69/'),
      path.replace('/v1/', '/%761/'),
      `/${path}`,
      path.replace('/api/', '/API/'),
      path.replace('/api/', '/api//'),
      `${path}/`,
      `${path};x=1`,
      `${path}?`,
      `${path}%3Fx=1`,
      `http://127.0.0.1:${port}${path}`,
      `HTTP://localhost${path}`,
      `//127.0.0.1${path}`,
    ]
    const wrong: string[] = []
    for (const op of operations.filter((o) => !o.public))
      for (const target of spellings(op.path)) {
        const response = await send(op, target)
        if ((response.status >= 200 && response.status < 300) || response.status >= 500)
          wrong.push(`${op.method} ${target}: ${response.status}`)
      }
    expect(wrong).toEqual([])
    const absolute = await send(
      operations[0] as Operation,
      `http://127.0.0.1:${port}/api/v1/keys`,
      keys.admin,
    )
    expect(absolute.status).toBe(400)
    expect(JSON.parse(absolute.body).error.code).toBe('BadRequestTarget')
    // An encoded spelling of a route is that route: it needs its key and counts against its limit.
    const limited = (await createApiKey(runtime.db, { name: 'limited', scopes: ['read'], rateLimit: 2 })).key
    const entities = { method: 'GET', path: '/api/v1/instances/acme/entities' } as Operation
    const statuses = []
    for (const target of [
      '/%61pi/v1/instances/acme/entities',
      '/api/v1/instances/%61cme/entities',
      entities.path,
    ])
      statuses.push((await send(entities, target, limited)).status)
    expect(statuses).toEqual([200, 200, 429])
  })

  it('answers only to its own names (DNS rebinding), and serves its public pages to anyone', async () => {
    const health = { method: 'GET', path: '/api/v1/health' } as Operation
    expect((await send(health, health.path, undefined, { host: 'evil.example:4000' })).status).toBe(403)
    const rebound = await send(health, health.path, keys.admin, { host: 'attacker.test' })
    expect(JSON.parse(rebound.body).error).toMatchObject({ code: 'HostNotAllowed', target: 'host' })
    for (const host of ['localhost:4000', '127.0.0.1', '[::1]:4000', 'app.localhost'])
      expect((await send(health, health.path, undefined, { host })).status, host).toBe(200)
    for (const page of ['/', '/docs', '/docs/json', '/flows', '/admin/export-destinations'])
      expect((await rawRequest(port, 'GET', page)).status, page).toBe(200)
    // A path the UI does not have, spelled like the API's, is the API's 404 (not the UI's page).
    for (const target of ['//api/v1/keys', '/API/v1/keys', '/%61pi/v1/nothing'])
      expect(JSON.parse((await rawRequest(port, 'GET', target)).body).error.code, target).toBe('NotFound')
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Runtime } from '../src/runtime/index.js'
import { createApiKey } from '../src/server/auth/api-key-service.js'
import { type ApiApp, buildApp } from '../src/server/index.js'
import { upsertInstance } from '../src/store/instances.js'
import { createTestStore, type TestStore } from './helpers/test-store.js'

/** A Power Automate callback URL: whoever has its sig= can start the flow. */
const flowUrl = (n: number) =>
  `https://prod-${n}.westeurope.logic.azure.com/workflows/abc${n}/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=SecretSig${n}xyz`

describe('subscriptions belong to the connection that made them', () => {
  let store: TestStore
  let runtime: Runtime
  let app: ApiApp
  const keys: Record<string, string> = {}
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, key: string, payload?: unknown) =>
    app.inject({
      method,
      url: `/api/v1/instances/acme/subscriptions${url}`,
      headers: { 'x-api-key': key, ...(payload ? { 'content-type': 'application/json' } : {}) },
      ...(payload ? { payload: JSON.stringify(payload) } : {}),
    })

  beforeAll(async () => {
    store = await createTestStore('pglite', { OPENINSIGHTS_OUTBOUND_ALLOW: '' })
    runtime = await store.open({
      role: 'api',
      resolver: async () => [{ address: '93.184.216.34', family: 4 }],
    })
    app = await buildApp(runtime)
    await upsertInstance(runtime.db, { id: 'acme', name: 'Acme' })
    for (const [name, scopes] of [
      ['alice', ['read', 'subscribe']],
      ['bob', ['read', 'subscribe']],
      ['reader', ['read']],
      ['admin', ['admin']],
    ] as const)
      keys[name] = (await createApiKey(runtime.db, { name, scopes: [...scopes], rateLimit: 0 })).key
  }, 60_000)
  afterAll(async () => {
    await app?.close()
    await store?.dispose()
  })

  it('lists, shows and ends only a connection’s own subscriptions, and never shows a sig=', async () => {
    const alice = (
      await call('POST', '', keys.alice!, { eventType: 'unify.completed', callbackUrl: flowUrl(1) })
    ).json()
    const bob = (
      await call('POST', '', keys.bob!, { eventType: 'unify.completed', callbackUrl: flowUrl(2) })
    ).json()
    expect(alice.callbackUrl).toBe(flowUrl(1).replace('SecretSig1xyz', '***'))

    const listed = (key: string) =>
      call('GET', '', key).then((r) => r.json().value.map((s: { id: string }) => s.id))
    expect(await listed(keys.alice!)).toEqual([alice.id])
    expect(await listed(keys.bob!)).toEqual([bob.id])
    expect(await listed(keys.reader!)).toEqual([])
    expect((await listed(keys.admin!)).sort()).toEqual([alice.id, bob.id].sort())

    const asAdmin = await call('GET', '', keys.admin!)
    expect(asAdmin.body).not.toContain('SecretSig')
    expect(asAdmin.json().value[0].callbackUrl).toMatch(/sig=\*\*\*/)
    expect(asAdmin.json().value[0].callbackUrl).toContain('sp=%2Ftriggers%2Fmanual%2Frun')

    // Another connection's subscription is as good as missing: no details, no secret, no delete.
    expect((await call('GET', `/${alice.id}`, keys.bob!)).statusCode).toBe(404)
    expect((await call('GET', `/${alice.id}/secret`, keys.bob!)).statusCode).toBe(404)
    expect((await call('DELETE', `/${alice.id}`, keys.bob!)).statusCode).toBe(404)
    expect((await call('GET', `/${alice.id}`, keys.alice!)).json().callbackUrl).not.toContain('SecretSig')
    expect((await call('DELETE', `/${alice.id}`, keys.alice!)).statusCode).toBe(200)
    expect((await call('DELETE', `/${bob.id}`, keys.admin!)).statusCode).toBe(200)
  })
})

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyConfig, configSchema } from '../../src/config/index.js'
import { createSubscription } from '../../src/connector/webhooks/index.js'
import { appendEvent } from '../../src/events/index.js'
import { requestRefreshes } from '../../src/pipeline/index.js'
import type { Runtime } from '../../src/runtime/index.js'
import { createApiKey } from '../../src/server/auth/api-key-service.js'
import { type ApiApp, buildApp } from '../../src/server/index.js'
import { listEvents } from '../../src/store/events.js'
import { upsertInstance } from '../../src/store/instances.js'
import { createTestStore, storeModeAvailable, type TestStore } from '../helpers/test-store.js'
import { waitFor, waitForRefreshEnd } from '../helpers/wait.js'
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js'

describe('webhook triggers: subscribe, signed delivery, retries, dead letters, redrive', () => {
  let store: TestStore
  let runtime: Runtime
  let app: ApiApp
  let receiver: WebhookReceiver
  let key: string
  let files: string
  const secrets = new Map<string, string>()

  const api = async (
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    payload?: object,
    headers: Record<string, string> = {},
  ) => {
    const response = await app.inject({
      method,
      url,
      headers: { 'x-api-key': key, ...headers },
      ...(payload ? { payload } : {}),
    })
    return {
      status: response.statusCode,
      headers: response.headers,
      json: response.body ? response.json() : undefined,
    }
  }
  const subscribe = async (path: string, parameters: Record<string, unknown> = {}) => {
    const response = await api('POST', '/api/v1/instances/acme/subscriptions', {
      eventType: 'datasource.refresh.failed',
      callbackUrl: `${receiver.url}${path}`,
      ...parameters,
    })
    expect(response.status, JSON.stringify(response.json)).toBe(201)
    secrets.set(response.json.id, response.json.secret)
    return response
  }
  const delivery = async (subscriptionId: string) => {
    const list = await api('GET', `/api/v1/instances/acme/deliveries?subscriptionId=${subscriptionId}`)
    const id = list.json.value[0]?.id
    return id
      ? (await api('GET', `/api/v1/instances/acme/deliveries/${encodeURIComponent(id)}`)).json
      : undefined
  }

  beforeAll(async () => {
    store = await createTestStore('pglite')
    runtime = await store.open({
      env: { OPENINSIGHTS_DELIVERY_SCHEDULE: '1,1', OPENINSIGHTS_DELIVERY_TIMEOUT: '2' },
    })
    app = await buildApp(runtime)
    key = (await createApiKey(runtime.db, { name: 'flow', scopes: ['read', 'subscribe'], rateLimit: 0 })).key
    receiver = await startWebhookReceiver()
    files = join(store.settings.home, 'files')
    mkdirSync(files, { recursive: true })
    writeFileSync(join(files, 'contacts.csv'), 'id,name\n1,Ann\n')
    await applyConfig(
      runtime,
      configSchema.parse({
        instance: { id: 'acme' },
        dataSources: {
          contacts: { kind: 'csv', primaryKey: 'id', options: { path: join(files, 'contacts.csv') } },
          // Named by subscriptions below, which may only name what exists.
          loyalty: { kind: 'csv', primaryKey: 'id', options: { path: join(files, 'contacts.csv') } },
        },
        segments: { VIP: {} },
      }),
    )
  })
  afterAll(async () => {
    await app?.close()
    await receiver?.close()
    await store?.dispose()
  })

  it('delivers one signed POST per event and subscription, retries, dead-letters and redrives', async () => {
    const ok = await subscribe('/ok')
    expect(ok.headers.location).toBe(`http://localhost:80/api/v1/instances/acme/subscriptions/${ok.json.id}`)
    expect(ok.json.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/)
    const flaky = await subscribe('/flaky')
    receiver.on('/flaky', (n) => (n <= 2 ? { status: 500, body: 'not yet' } : { status: 200 }))
    const down = await subscribe('/down')
    let downHealthy = false
    receiver.on('/down', () => (downHealthy ? { status: 204 } : { status: 503, body: 'maintenance' }))
    const gone = await subscribe('/gone')
    receiver.on('/gone', () => ({ status: 410 }))
    const limited = await subscribe('/limited')
    receiver.on('/limited', (n) =>
      n === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 },
    )
    const slow = await subscribe('/slow')
    receiver.on('/slow', (n) => (n === 1 ? { status: 200, delayMs: 4000 } : { status: 200 }))
    const otherSource = await subscribe('/other', { dataSourceName: 'loyalty' })
    const thisSource = await subscribe('/this', { dataSourceName: 'contacts' })
    // Power Automate's way: the trigger in the path, the callback URL in x-ms-notification-url; then removed.
    const removed = await api(
      'POST',
      '/api/v1/instances/acme/subscriptions/datasource.refresh.failed',
      {},
      {
        'x-ms-notification-url': `${receiver.url}/removed`,
      },
    )
    expect(removed.status).toBe(201)
    const location = new URL(removed.headers.location as string)
    expect((await api('DELETE', location.pathname)).status).toBe(200)
    expect((await api('DELETE', location.pathname)).status).toBe(404)

    // Break the source and refresh: one datasource.refresh.failed event.
    writeFileSync(join(files, 'contacts.csv'), 'this is not a CSV export\n')
    const [queued] = await requestRefreshes(runtime.db, runtime.jobs, 'acme', ['contacts'])
    expect((await waitForRefreshEnd(runtime, 'acme', queued!.refresh.id)).state).toBe('failed')
    const [event] = await listEvents(runtime.db, 'acme', { types: ['datasource.refresh.failed'], limit: 10 })

    // The healthy receiver: one delivery, verified with the standardwebhooks package.
    await waitFor(async () => (receiver.requestsTo('/ok').length > 0 ? true : undefined), 'the /ok delivery')
    const [sent] = receiver.requestsTo('/ok')
    expect(sent!.headers['webhook-id']).toBe(`${event!.id}:${ok.json.id}`)
    const verified = new Webhook(secrets.get(ok.json.id) as string).verify(
      sent!.body,
      sent!.headers as Record<string, string>,
    )
    expect(verified).toMatchObject({
      type: 'datasource.refresh.failed',
      id: event!.id,
      instanceId: 'acme',
      subscriptionId: ok.json.id,
      data: { dataSourceName: 'contacts', refreshId: queued!.refresh.id, error: { code: 'ColumnNotFound' } },
    })
    expect(() =>
      new Webhook(secrets.get(flaky.json.id) as string).verify(
        sent!.body,
        sent!.headers as Record<string, string>,
      ),
    ).toThrow()

    // Fails twice, then succeeds on the third attempt.
    const flakyDone = await waitFor(async () => {
      const d = await delivery(flaky.json.id)
      return d?.state === 'succeeded' ? d : undefined
    }, 'the flaky delivery')
    expect(flakyDone.attempts.map((a: { status: number }) => a.status)).toEqual([500, 500, 200])
    expect(flakyDone.attempts[0]).toMatchObject({ error: 'HTTP 500' })
    // The receiver's answer ('not yet') is never kept: a read key could otherwise read what a
    // service behind the firewall said.
    expect(JSON.stringify(flakyDone)).not.toContain('not yet')
    expect(flakyDone.attempts[0].latencyMs).toBeGreaterThanOrEqual(0)
    const flakyTimes = receiver.requestsTo('/flaky').map((r) => r.at)
    expect(flakyTimes[1]! - flakyTimes[0]!).toBeGreaterThanOrEqual(700)
    expect(new Set(receiver.requestsTo('/flaky').map((r) => r.headers['webhook-id'])).size).toBe(1)

    // Always failing: dead after the last attempt, then a redrive delivers it.
    const dead = await waitFor(async () => {
      const d = await delivery(down.json.id)
      return d?.state === 'dead' ? d : undefined
    }, 'the dead delivery')
    expect(dead.attempts).toHaveLength(3)
    expect(dead.lastStatus).toBe(503)
    const deadList = await api('GET', '/api/v1/instances/acme/deliveries?state=dead')
    expect(deadList.json.value.map((d: { id: string }) => d.id)).toEqual([dead.id])
    downHealthy = true
    const redriven = await api('POST', '/api/v1/instances/acme/deliveries/redrive', {})
    expect(redriven.json.redriven).toEqual([dead.id])
    const revived = await waitFor(async () => {
      const d = await delivery(down.json.id)
      return d?.state === 'succeeded' ? d : undefined
    }, 'the redriven delivery')
    expect(revived.attempts.map((a: { status: number }) => a.status)).toEqual([503, 503, 503, 204])

    // 410 Gone removes the subscription.
    await waitFor(async () => {
      const s = await api('GET', `/api/v1/instances/acme/subscriptions/${gone.json.id}`)
      return s.json.removedAt ? s : undefined
    }, 'the gone subscription to be removed')
    const goneNow = await api('GET', `/api/v1/instances/acme/subscriptions/${gone.json.id}`)
    expect(goneNow.json.removedReason).toBe('the receiver answered 410 Gone')
    expect(receiver.requestsTo('/gone')).toHaveLength(1)

    // 429 with Retry-After: 2 waits two seconds, not the schedule's one.
    await waitFor(
      async () => ((await delivery(limited.json.id))?.state === 'succeeded' ? true : undefined),
      'the 429 delivery',
    )
    const limitedTimes = receiver.requestsTo('/limited').map((r) => r.at)
    expect(limitedTimes[1]! - limitedTimes[0]!).toBeGreaterThanOrEqual(1900)

    // A receiver that does not answer within the timeout (2 s here) fails the attempt; the retry gets through.
    const slowDone = await waitFor(async () => {
      const d = await delivery(slow.json.id)
      return d?.state === 'succeeded' ? d : undefined
    }, 'the slow delivery')
    expect(
      slowDone.attempts.map((a: { status: number | null; error: string | null }) => [a.status, a.error]),
    ).toEqual([
      [null, 'no answer within 2000 ms'],
      [200, null],
    ])
    expect(slowDone.attempts[0].latencyMs).toBeGreaterThanOrEqual(1900)

    // Parameters filter by data source; the removed subscription got nothing.
    await waitFor(
      async () => (receiver.requestsTo('/this').length > 0 ? true : undefined),
      'the /this delivery',
    )
    expect(receiver.requestsTo('/other')).toHaveLength(0)
    expect(receiver.requestsTo('/removed')).toHaveLength(0)
    expect(receiver.requestsTo('/ok')).toHaveLength(1)
    expect(otherSource.json.parameters).toEqual({ dataSourceName: 'loyalty' })
    expect(thisSource.status).toBe(201)
  }, 60_000)

  it('validates trigger parameters and callback URLs', async () => {
    const bad = await api('POST', '/api/v1/instances/acme/subscriptions', {
      eventType: 'segment.threshold.crossed',
      callbackUrl: `${receiver.url}/x`,
      segmentName: 'VIP',
    })
    expect(bad.status).toBe(400)
    expect(bad.json.error).toMatchObject({ code: 'InvalidParameters', target: 'threshold' })
    const url = await api('POST', '/api/v1/instances/acme/subscriptions', {
      eventType: 'unify.completed',
      callbackUrl: 'ftp://x',
    })
    expect(url.json.error.code).toBe('InvalidCallbackUrl')
    const unknown = await api('POST', '/api/v1/instances/acme/subscriptions', {
      eventType: 'datasource.refresh.failed',
      callbackUrl: `${receiver.url}/x`,
      colour: 'blue',
    })
    expect(unknown.json.error).toMatchObject({ code: 'InvalidParameters', target: 'colour' })
    const segment = await api('POST', '/api/v1/instances/acme/subscriptions/segment.threshold.crossed', {
      callbackUrl: `${receiver.url}/vip`,
      segmentName: 'VIP',
      threshold: 10000,
    })
    expect(segment.json.parameters).toEqual({ segmentName: 'VIP', threshold: 10000, direction: 'up' })
    // Behind a TLS proxy (OPENINSIGHTS_TRUST_PROXY=true) links use the proxy's scheme and host.
    const proxied = await buildApp({ ...runtime, settings: { ...runtime.settings, trustProxy: true } })
    const behindProxy = await proxied.inject({
      method: 'POST',
      url: '/api/v1/instances/acme/subscriptions/unify.completed',
      headers: { 'x-api-key': key, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'cdp.example.com' },
      payload: { callbackUrl: `${receiver.url}/proxied` },
    })
    expect(behindProxy.headers.location).toMatch(
      /^https:\/\/cdp\.example\.com\/api\/v1\/instances\/acme\/subscriptions\//,
    )
    await proxied.close()
  })

  it('keeps subscriptions across a restart', async () => {
    const before = (await api('GET', '/api/v1/instances/acme/subscriptions')).json.value
    await app.close()
    await runtime.close()
    runtime = await store.open({ role: 'api' })
    app = await buildApp(runtime)
    const after = (await api('GET', '/api/v1/instances/acme/subscriptions')).json.value
    expect(after).toEqual(before)
    expect(after.length).toBeGreaterThan(5)
  }, 60_000)
})

describe.skipIf(!storeModeAvailable('postgres'))(
  'webhook delivery by two worker processes sharing PostgreSQL',
  () => {
    let store: TestStore
    let receiver: WebhookReceiver
    afterAll(async () => {
      await receiver?.close()
      await store?.dispose()
    })

    it('delivers every event once between them', async () => {
      store = await createTestStore('postgres')
      const a = await store.open()
      const b = await store.open()
      receiver = await startWebhookReceiver()
      await upsertInstance(a.db, { id: 'acme', name: 'Acme' })
      await createSubscription(a.db, a.outbound, {
        instanceId: 'acme',
        eventType: 'unify.completed',
        callbackUrl: `${receiver.url}/both`,
        parameters: {},
      })
      await a.db.transaction().execute(async (tx) => {
        for (let i = 0; i < 200; i++)
          await appendEvent(tx, 'unify.completed', 'acme', {
            instanceId: 'acme',
            unifyRunId: `run-${i}`,
            status: 'succeeded',
            sourceRecords: 10,
            unifiedProfiles: 8,
            matchPairs: 2,
            durationMs: 5,
            completedAt: new Date().toISOString(),
            unmappedSources: [],
            error: null,
          })
      })
      a.nudgeEvents()
      b.nudgeEvents()
      await waitFor(
        async () => (receiver.requestsTo('/both').length >= 200 ? true : undefined),
        '200 deliveries',
      )
      await new Promise((resolve) => setTimeout(resolve, 1000))
      const ids = receiver.requestsTo('/both').map((r) => r.headers['webhook-id'])
      expect(ids).toHaveLength(200)
      expect(new Set(ids).size).toBe(200)
      const states = await a.db.selectFrom('deliveries').select('state').distinct().execute()
      expect(states).toEqual([{ state: 'succeeded' }])
    }, 60_000)
  },
)

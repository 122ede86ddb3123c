import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appendEvent } from '../src/events/index.js'
import { startManualRun } from '../src/flows/flow-runs.js'
import { saveFlow } from '../src/flows/index.js'
import type { Runtime } from '../src/runtime/index.js'
import { createApiKey } from '../src/server/auth/api-key-service.js'
import { type ApiApp, buildApp } from '../src/server/index.js'
import { listActionRecords } from '../src/store/flow-run-actions.js'
import { upsertInstance } from '../src/store/instances.js'
import { OUTBOUND_TABLE, testResolver } from './helpers/outbound-table.js'
import { createTestStore, type TestStore } from './helpers/test-store.js'
import { waitFor } from './helpers/wait.js'
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js'

/** The guard's table through every outbound path: subscriptions, deliveries and flow actions. */
describe('outbound calls refuse private and special addresses (default policy)', () => {
  let store: TestStore
  let runtime: Runtime
  let app: ApiApp
  let admin: string
  let receiver: WebhookReceiver
  let rebindLookups = 0

  beforeAll(async () => {
    store = await createTestStore('pglite', {
      OPENINSIGHTS_OUTBOUND_ALLOW: '',
      OPENINSIGHTS_FLOW_RETRY_SCALE: '0.01',
    })
    runtime = await store.open({
      // rebind.test: public when a subscription is saved, loopback whenever a delivery connects.
      resolver: async (host) =>
        host === 'rebind.test'
          ? [{ address: rebindLookups++ === 0 ? '93.184.216.34' : '127.0.0.1', family: 4 }]
          : testResolver(host),
    })
    app = await buildApp(runtime)
    await upsertInstance(runtime.db, { id: 'acme', name: 'Acme' })
    admin = (await createApiKey(runtime.db, { name: 'admin', scopes: ['admin'], rateLimit: 0 })).key
    receiver = await startWebhookReceiver()
  }, 60_000)
  afterAll(async () => {
    await receiver?.close()
    await app?.close()
    await store?.dispose()
  })

  const subscribe = (callbackUrl: string) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/instances/acme/subscriptions',
      headers: { 'x-api-key': admin },
      payload: { eventType: 'unify.completed', callbackUrl },
    })

  it('refuses each callback URL of the table when subscribing, naming the address class', async () => {
    const answers = []
    for (const [url, expected] of OUTBOUND_TABLE) {
      const response = await subscribe(url)
      const code = response.statusCode === 201 ? 'allowed' : response.json().error.code
      answers.push([url, code === 'InvalidCallbackUrl' ? 'InvalidUrl' : code])
      if (expected !== 'allowed') expect(response.statusCode, url).toBe(expected === 'InvalidUrl' ? 400 : 422)
    }
    expect(answers).toEqual(OUTBOUND_TABLE.map(([url, expected]) => [url, expected]))
    const refused = await subscribe('http://[::ffff:127.0.0.1]:4000/')
    expect(refused.json().error).toMatchObject({ code: 'PrivateAddress', target: 'callbackUrl' })
    expect(refused.json().error.message).toContain('OPENINSIGHTS_OUTBOUND_ALLOW')
  })

  it('checks a receiver’s address again as each delivery connects (DNS rebinding)', async () => {
    const port = new URL(receiver.url).port
    const created = await subscribe(`http://rebind.test:${port}/hook`)
    expect(created.statusCode).toBe(201)
    await runtime.db.transaction().execute((tx) =>
      appendEvent(tx, 'unify.completed', 'acme', {
        instanceId: 'acme',
        unifyRunId: 'u1',
        completedAt: new Date().toISOString(),
      } as never),
    )
    runtime.nudgeEvents()
    const attempt = await waitFor(async () => {
      const list = await app.inject({
        method: 'GET',
        url: `/api/v1/instances/acme/deliveries?subscriptionId=${created.json().id}`,
        headers: { 'x-api-key': admin },
      })
      const delivery = list
        .json()
        .value.find((d: { subscriptionId: string }) => d.subscriptionId === created.json().id)
      if (!delivery || delivery.attemptCount === 0) return undefined
      const detail = await app.inject({
        method: 'GET',
        url: `/api/v1/instances/acme/deliveries/${delivery.id}`,
        headers: { 'x-api-key': admin },
      })
      return detail.json().attempts[0]
    }, 'the first delivery attempt')
    expect(attempt.status).toBeNull()
    expect(attempt.error).toMatch(/^PrivateAddress: rebind.test resolves to 127.0.0.1/)
    expect(receiver.requestsTo('/hook')).toHaveLength(0)
  })

  it('refuses the same addresses in flow HTTP actions, and lets the public ones through the guard', async () => {
    await saveFlow(
      runtime.db,
      'acme',
      'Call each',
      {
        trigger: { type: 'unify.completed', parameters: {} },
        actions: {
          Each: {
            type: 'foreach',
            foreach: "@triggerBody()?['urls']",
            runtimeConfiguration: { concurrency: { repetitions: 20 } },
            actions: {
              Call: {
                type: 'http',
                inputs: { method: 'POST', uri: "@items('Each')" },
                retryPolicy: { type: 'none' },
                timeout: 'PT2S',
              },
            },
          },
        },
      },
      'api',
    )
    const urls = OUTBOUND_TABLE.map(([url]) => url)
    const run = await startManualRun(runtime.db, runtime.nudgeFlowRuns, 'acme', 'Call each', { urls })
    const records = await waitFor(
      async () => {
        const all = (await listActionRecords(runtime.db, run.id)).filter((r) => r.name === 'Call')
        return all.length === urls.length ? all : undefined
      },
      'every call',
      60_000,
    )
    const guardCodes = new Set(['PrivateAddress', 'ForbiddenAddress', 'InvalidUrl', 'HostNotFound'])
    const outcomes = OUTBOUND_TABLE.map(([url], index) => {
      const record = records.find((r) => r.path === `Each[${index}]/Call`)
      const code = record?.error?.code
      return [url, code && guardCodes.has(code) ? code : 'allowed']
    })
    expect(outcomes).toEqual(OUTBOUND_TABLE.map(([url, expected]) => [url, expected]))
  })
})

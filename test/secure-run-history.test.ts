import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rerunFlowRun, startManualRun } from '../src/flows/flow-runs.js'
import { saveFlow } from '../src/flows/index.js'
import type { Runtime } from '../src/runtime/index.js'
import { createApiKey } from '../src/server/auth/api-key-service.js'
import { type ApiApp, buildApp } from '../src/server/index.js'
import { type FlowRun, getFlowRun } from '../src/store/flow-runs.js'
import { upsertInstance } from '../src/store/instances.js'
import { putSecret } from '../src/store/secrets.js'
import { createTestStore, type TestStore } from './helpers/test-store.js'
import { waitFor } from './helpers/wait.js'
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js'

const PAGER = 'PagerToken-9f8e7d'
const CONFIG = { user: 'ops', password: 'Cfg-Pass-1234' }

describe('secure inputs and outputs in run history', () => {
  let store: TestStore
  let runtime: Runtime
  let app: ApiApp
  let reader: string
  let sink: WebhookReceiver
  const ended = (id: string) =>
    waitFor(async () => {
      const run = await getFlowRun(runtime.db, id)
      return run && !['queued', 'running'].includes(run.state) ? run : undefined
    }, `run ${id}`)
  const history = async (run: FlowRun) =>
    (
      await app.inject({
        method: 'GET',
        url: `/api/v1/instances/acme/flow-runs/${run.id}`,
        headers: { 'x-api-key': reader },
      })
    ).json()

  beforeAll(async () => {
    store = await createTestStore('pglite', { OPENINSIGHTS_FLOW_RETRY_SCALE: '0.01' })
    runtime = await store.open()
    app = await buildApp(runtime)
    sink = await startWebhookReceiver()
    await upsertInstance(runtime.db, { id: 'acme', name: 'Acme' })
    reader = (await createApiKey(runtime.db, { name: 'reader', scopes: ['read'], rateLimit: 0 })).key
    await putSecret(runtime.db, 'acme', 'pager', runtime.secrets.seal(PAGER))
    await putSecret(runtime.db, 'acme', 'cfg', runtime.secrets.seal(JSON.stringify(CONFIG)))
    await saveFlow(
      runtime.db,
      'acme',
      'Page',
      {
        trigger: { type: 'unify.completed', parameters: {} },
        actions: {
          Encoded: { type: 'compose', inputs: "@base64(secret('pager'))" },
          Lower: {
            type: 'compose',
            inputs: "@toLower(secret('pager'))",
            runAfter: { Encoded: ['Succeeded'] },
          },
          Password: {
            type: 'compose',
            inputs: "@json(secret('cfg'))?['password']",
            runAfter: { Lower: ['Succeeded'] },
          },
          Plain: {
            type: 'compose',
            inputs: "@concat('run for ', triggerBody()?['who'])",
            runAfter: { Password: ['Succeeded'] },
          },
          Marked: {
            type: 'compose',
            inputs: 'shown in, hidden out',
            runtimeConfiguration: { secureData: { properties: ['outputs'] } },
            runAfter: { Plain: ['Succeeded'] },
          },
          Send: {
            type: 'http',
            inputs: { method: 'POST', uri: `${sink.url}/page`, body: { token: "@outputs('Encoded')" } },
            retryPolicy: { type: 'none' },
            runAfter: { Marked: ['Succeeded'] },
          },
        },
      },
      'api',
    )
  }, 60_000)
  afterAll(async () => {
    await sink?.close()
    await app?.close()
    await store?.dispose()
  })

  it('hides what reads a secret however it is transformed, and what the maker marked; shows the rest', async () => {
    sink.on('/page', (n) => ({ status: n === 1 ? 500 : 200, body: 'ok' }))
    const run = await ended(
      (await startManualRun(runtime.db, runtime.nudgeFlowRuns, 'acme', 'Page', { who: 'ops' })).id,
    )
    expect(run.state).toBe('failed') // the receiver refused the first time
    const shown = await history(run)
    const text = JSON.stringify(shown)
    for (const leaked of [PAGER, PAGER.toLowerCase(), Buffer.from(PAGER).toString('base64'), CONFIG.password])
      expect(text).not.toContain(leaked)
    const action = (name: string) => shown.actions.find((a: { name: string }) => a.name === name)
    const hidden = { $secure: true, message: 'Content not shown due to security configuration.' }
    for (const name of ['Encoded', 'Lower', 'Password', 'Send']) {
      expect(action(name).inputs, name).toEqual(hidden)
    }
    expect(action('Plain').outputs).toBe('run for ops')
    expect(action('Marked')).toMatchObject({ inputs: 'shown in, hidden out', outputs: hidden })
    const stored = await sql<{
      t: string
    }>`select inputs::text || outputs::text as t from flow_run_actions`.execute(runtime.db)
    expect(JSON.stringify(stored.rows)).not.toContain(Buffer.from(PAGER).toString('base64'))
    expect(JSON.stringify(stored.rows)).not.toContain(CONFIG.password)

    // Re-run from the failed action: the sealed outputs of the actions replayed are the real ones.
    const rerun = await ended(
      (await rerunFlowRun(runtime.db, runtime.nudgeFlowRuns, 'acme', run.id, 'failed')).id,
    )
    expect(rerun.state).toBe('succeeded')
    const sent = sink.requestsTo('/page').at(-1)
    expect(JSON.parse(sent!.body)).toEqual({ token: Buffer.from(PAGER).toString('base64') })
  })
})

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyConfig, configSchema } from '../src/config/index.js'
import { appendEvent, appendEvents, type EventSubscriber } from '../src/events/index.js'
import { saveFlow } from '../src/flows/index.js'
import { requestRefreshes } from '../src/pipeline/index.js'
import type { Runtime } from '../src/runtime/index.js'
import { listEvents } from '../src/store/events.js'
import { refreshFailed } from './helpers/flow-fixtures.js'
import { createTestStore, storeModeAvailable, type TestStore } from './helpers/test-store.js'
import { waitFor, waitForRefreshEnd } from './helpers/wait.js'
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js'

const available = storeModeAvailable('postgres')

const refreshFailedEvent = (refreshId: string) => refreshFailed('acme', refreshId)

const succeededRuns = async (runtime: Runtime) =>
  Number(
    (
      await runtime.db
        .selectFrom('flow_runs')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('state', '=', 'succeeded')
        .executeTakeFirstOrThrow()
    ).n,
  )

describe.skipIf(!available)('two worker processes sharing PostgreSQL', () => {
  let store: TestStore
  let a: Runtime
  let b: Runtime
  const seen: { worker: string; eventId: string }[] = []
  const recorder = (worker: string): EventSubscriber => ({
    name: 'recorder',
    async handle(event) {
      seen.push({ worker, eventId: event.id })
      return false
    },
  })

  beforeAll(async () => {
    store = await createTestStore('postgres')
    a = await store.open()
    b = await store.open()
    a.subscribers.add(recorder('a'))
    b.subscribers.add(recorder('b'))
    const files = join(store.settings.home, 'files')
    mkdirSync(files, { recursive: true })
    const dataSources: Record<string, unknown> = {}
    for (let i = 0; i < 8; i++) {
      writeFileSync(
        join(files, `s${i}.csv`),
        `id,v\n${Array.from({ length: 1000 }, (_, k) => `${k},${i}`).join('\n')}\n`,
      )
      dataSources[`s${i}`] = { kind: 'csv', primaryKey: 'id', options: { path: join(files, `s${i}.csv`) } }
    }
    await applyConfig(a, configSchema.parse({ instance: { id: 'acme' }, dataSources }))
  })
  afterAll(async () => store?.dispose())

  it('run each refresh once and dispatch each event once between them', async () => {
    const queued = await requestRefreshes(a.db, a.jobs, 'acme')
    const done = await Promise.all(queued.map((q) => waitForRefreshEnd(b, 'acme', q.refresh.id)))
    expect(done.every((r) => r.state === 'succeeded' && r.attempt === 1)).toBe(true)
    const events = await listEvents(a.db, 'acme', { limit: 100 })
    expect(events).toHaveLength(8)
    await waitFor(async () => (seen.length >= 8 ? true : undefined), 'every event to be dispatched')
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(seen.map((s) => s.eventId).sort()).toEqual(events.map((e) => e.id).sort())
    const workers = await a.db.selectFrom('refreshes').select('worker_id').distinct().execute()
    expect(workers.length).toBeGreaterThanOrEqual(1)
  })

  it('wakes a dispatcher at once for an event another process committed (LISTEN/NOTIFY), not at its next poll', async () => {
    // This worker polls once a minute: only the notification can bring the event within the wait.
    const listener = await store.open({ role: 'worker', eventPollIntervalMs: 60_000 })
    const got: string[] = []
    listener.subscribers.add({
      name: 'listener',
      async handle(event) {
        got.push(event.id)
        return false
      },
    })
    await new Promise((resolve) => setTimeout(resolve, 300))
    // Appended by an API-only process: it has no dispatcher of its own to nudge.
    const api = await store.open({ role: 'api' })
    for (const runtime of [a, b]) await runtime.close()
    const event = await appendEvent(api.db, 'datasource.refresh.failed', 'acme', {
      instanceId: 'acme',
      dataSourceName: 's0',
      refreshId: 'r-notify',
      startedAt: '',
      completedAt: '',
      rowCount: null,
      rejectedRowCount: null,
      error: { code: 'X', message: 'x' },
    })
    await waitFor(async () => (got.includes(event.id) ? true : undefined), 'the notified dispatcher', 10_000)
  })
})

describe.skipIf(!available)('a worker starting on a backlog of events (PostgreSQL)', () => {
  let store: TestStore
  beforeAll(async () => {
    store = await createTestStore('postgres')
  })
  afterAll(async () => store?.dispose())

  it('starts a run for every waiting event: its dispatcher waits until every subscriber is registered', async () => {
    // An API process takes events while no worker runs (the dispatcher batch is 100: three batches).
    const api = await store.open({ role: 'api' })
    await api.db.insertInto('instances').values({ id: 'acme', name: 'Acme' }).execute()
    await saveFlow(
      api.db,
      'acme',
      'Note',
      { trigger: { type: 'datasource.refresh.failed' }, actions: { Keep: { type: 'compose', inputs: 'x' } } },
      'api',
    )
    const count = 250
    await api.db.transaction().execute(async (tx) => {
      for (let i = 0; i < count; i++)
        await appendEvent(tx, 'datasource.refresh.failed', 'acme', refreshFailedEvent(`r${i}`))
    })
    const worker = await store.open({ role: 'worker' })
    const runs = () => succeededRuns(worker)
    await waitFor(
      async () => ((await runs()) === count ? true : undefined),
      `${count} succeeded runs`,
      60_000,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}; ${await runs()} runs for ${count} events`)
    })
  })
})

describe.skipIf(!available)("two worker processes executing one flow's runs (PostgreSQL)", () => {
  let store: TestStore
  let sink: WebhookReceiver
  beforeAll(async () => {
    store = await createTestStore('postgres', { OPENINSIGHTS_OUTBOUND_ALLOW: '127.0.0.0/8' })
    sink = await startWebhookReceiver()
  })
  afterAll(async () => {
    await sink?.close()
    await store?.dispose()
  })

  it("executes each event's run once between them, claims and refills racing over one queue", async () => {
    sink.on('/hook', () => ({ status: 200, delayMs: 5 }))
    const api = await store.open({ role: 'api' })
    await api.db.insertInto('instances').values({ id: 'acme', name: 'Acme' }).execute()
    await saveFlow(
      api.db,
      'acme',
      'Forward',
      {
        trigger: { type: 'datasource.refresh.failed' },
        concurrency: 12,
        actions: {
          Post: {
            type: 'http',
            inputs: { method: 'POST', uri: `${sink.url}/hook`, body: { id: "@triggerBody()?['refreshId']" } },
          },
        },
      },
      'api',
    )
    // Small worker pools, so that runs end, refill and claim many times over.
    await store.open({ role: 'worker', flowConcurrency: 8 })
    await store.open({ role: 'worker', flowConcurrency: 8 })
    const count = 400
    await appendEvents(
      api.db,
      'acme',
      Array.from({ length: count }, (_, i) => ({
        type: 'datasource.refresh.failed' as const,
        data: refreshFailedEvent(`r${i}`),
      })),
    )
    await waitFor(
      async () => ((await succeededRuns(api)) === count ? true : undefined),
      `${count} runs`,
      60_000,
    )
    const posted = sink.requestsTo('/hook').map((r) => JSON.parse(r.body).id as string)
    expect(posted).toHaveLength(count)
    expect(new Set(posted).size).toBe(count)
    const records = await api.db
      .selectFrom('flow_run_actions')
      .select(['run_id', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy('run_id')
      .execute()
    expect(records).toHaveLength(count)
    expect(records.every((r) => Number(r.n) === 1)).toBe(true)
  }, 90_000)
})

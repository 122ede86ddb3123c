import { sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  appendEvent,
  appendEvents,
  type EventSubscriber,
  SubscriberRegistry,
  startDispatcher,
} from '../src/events/index.js'
import { startManualRun } from '../src/flows/flow-runs.js'
import { saveFlow } from '../src/flows/index.js'
import type { Runtime } from '../src/runtime/index.js'
import { listActionRecords } from '../src/store/flow-run-actions.js'
import { type FlowRun, getFlowRun, insertFlowRun, listFlowRuns } from '../src/store/flow-runs.js'
import { upsertInstance } from '../src/store/instances.js'
import { addPlaceholderSources, refreshFailed } from './helpers/flow-fixtures.js'
import { createTestStore, STORE_MODES, storeModeAvailable, type TestStore } from './helpers/test-store.js'
import { waitFor } from './helpers/wait.js'
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js'

// Embedded mode: the store admits one process, so its flow run worker is the only one. Runs the
// dispatcher offers start from memory without a claim, and are marked running only when they
// run long enough to be seen or record an action before their end. Server mode (PostgreSQL):
// the runs offered are claimed by id; the tests of what both modes share run in both.
describe.each(STORE_MODES)('the flow run worker of runs offered (%s)', (mode) => {
  /** What embedded mode's sole worker alone does. */
  const soleIt = it.skipIf(mode !== 'pglite')
  const bothIt = it.skipIf(!storeModeAvailable(mode))
  /** What server mode alone does. */
  const serverIt = it.skipIf(mode !== 'postgres' || !storeModeAvailable(mode))
  let store: TestStore
  let runtime: Runtime | undefined
  let sink: WebhookReceiver

  const open = async (options: Parameters<TestStore['open']>[0] = {}) => {
    runtime = await store.open(options)
    await upsertInstance(runtime.db, { id: 'shop', name: 'Shop' })
    // Each test's flows trigger on events of a data source of their own.
    await addPlaceholderSources(runtime.db, 'shop', ['quick', 'two', 'slow', 'load', 'pair', 'busy', 'slots'])
    return runtime
  }
  /** An event of data source `source` (each test's flows trigger on their own). */
  const fire = async (rt: Runtime, refreshId: string, source = 'crm') => {
    const event = await appendEvent(
      rt.db,
      'datasource.refresh.failed',
      'shop',
      refreshFailed('shop', refreshId, source),
    )
    rt.nudgeEvents()
    return event
  }
  const runOf = (rt: Runtime, flowName: string, eventId: string) =>
    waitFor(
      async () =>
        (await listFlowRuns(rt.db, 'shop', { flowName, limit: 100 })).find((r) => r.eventId === eventId),
      `the run of ${flowName}`,
      10_000,
    )
  const ended = (rt: Runtime, id: string) =>
    waitFor(
      async () => {
        const run = await getFlowRun(rt.db, id)
        return run && !['queued', 'running'].includes(run.state) ? run : undefined
      },
      `run ${id} to end`,
      30_000,
    )

  beforeAll(async () => {
    if (!storeModeAvailable(mode)) return
    store = await createTestStore(mode)
    sink = await startWebhookReceiver()
  }, 60_000)
  afterEach(async () => {
    await runtime?.close()
    runtime = undefined
  })
  afterAll(async () => {
    await sink?.close()
    await store?.dispose()
  })

  soleIt('writes a quick run once, at its end, with when it started', async () => {
    const rt = await open()
    await saveFlow(
      rt.db,
      'shop',
      'Quick',
      {
        trigger: { type: 'datasource.refresh.failed', parameters: { dataSourceName: 'quick' } },
        actions: { Post: { type: 'http', inputs: { method: 'POST', uri: `${sink.url}/quick` } } },
      },
      'api',
    )
    const event = await fire(rt, 'quick-1', 'quick')
    const run = await ended(rt, (await runOf(rt, 'Quick', event.id)).id)
    expect(run.state).toBe('succeeded')
    expect(sink.requestsTo('/quick')).toHaveLength(1)
    expect(run.startedAt).not.toBeNull()
    expect(run.durationMs).toBeGreaterThanOrEqual(0)
    expect(Date.parse(run.startedAt as string)).toBeGreaterThanOrEqual(Date.parse(run.requestedAt) - 5)
    expect(await listActionRecords(rt.db, run.id)).toMatchObject([{ path: 'Post', status: 'Succeeded' }])
  })

  soleIt(
    'marks a run running once it has run for a while, and before it records an action',
    async () => {
      // Long enough that only the record can have marked it.
      const rt = await open({ flowMarkAfterMs: 5_000 })
      sink.on('/slow', () => ({ status: 200, delayMs: 1_500 }))
      await saveFlow(
        rt.db,
        'shop',
        'Two steps',
        {
          trigger: { type: 'datasource.refresh.failed', parameters: { dataSourceName: 'two' } },
          actions: {
            Note: { type: 'compose', inputs: "@triggerBody()?['refreshId']" },
            Call: {
              type: 'http',
              runAfter: { Note: ['Succeeded'] },
              inputs: { method: 'POST', uri: `${sink.url}/slow` },
            },
          },
        },
        'api',
      )
      const event = await fire(rt, 'two-1', 'two')
      const { id } = await runOf(rt, 'Two steps', event.id)
      // The moment the first record is there, the run is running in the store: a restart would
      // resume it from that record, not start it afresh.
      const seen = await waitFor(
        async () => {
          const [records, run] = await Promise.all([listActionRecords(rt.db, id), getFlowRun(rt.db, id)])
          return records.length > 0 ? run : undefined
        },
        'the first record',
        10_000,
      )
      expect(seen?.state).toBe('running')
      expect(seen?.startedAt).not.toBeNull()
      expect((await ended(rt, id)).state).toBe('succeeded')
      await rt.close()
      runtime = undefined

      // A single slow action: marked by its time alone.
      const again = await open({ flowMarkAfterMs: 200 })
      await saveFlow(
        again.db,
        'shop',
        'Slow',
        {
          trigger: { type: 'datasource.refresh.failed', parameters: { dataSourceName: 'slow' } },
          actions: { Call: { type: 'http', inputs: { method: 'POST', uri: `${sink.url}/slow` } } },
        },
        'api',
      )
      const slowEvent = await fire(again, 'slow-1', 'slow')
      const slow = await runOf(again, 'Slow', slowEvent.id)
      const running = await waitFor(
        async () => {
          const run = await getFlowRun(again.db, slow.id)
          return run?.state === 'running' ? run : undefined
        },
        'the slow run marked running',
        1_400,
      )
      expect(running.startedAt).not.toBeNull()
      expect(await listActionRecords(again.db, slow.id)).toEqual([])
      const done = await ended(again, slow.id)
      expect(done.state).toBe('succeeded')
      // Its start is when it started, not when it was marked.
      expect(done.startedAt).toBe(running.startedAt)
      expect(done.durationMs).toBeGreaterThanOrEqual(1_400)
    },
    60_000,
  )

  bothIt(
    "holds the runs offered to their flow's concurrency, and runs every one",
    async () => {
      // Three slots: the serial flow's waiting runs must not take the slots the other's could use.
      const rt = await open({ flowConcurrency: 3 })
      let inFlight = 0
      let most = 0
      sink.on('/serial', () => {
        inFlight++
        most = Math.max(most, inFlight)
        setTimeout(() => inFlight--, 150)
        return { status: 200, delayMs: 150 }
      })
      sink.on('/pair', () => ({ status: 200, delayMs: 100 }))
      await saveFlow(
        rt.db,
        'shop',
        'Serial',
        {
          trigger: { type: 'datasource.refresh.failed', parameters: { dataSourceName: 'load' } },
          concurrency: 1,
          actions: { Call: { type: 'http', inputs: { method: 'POST', uri: `${sink.url}/serial` } } },
        },
        'api',
      )
      await saveFlow(
        rt.db,
        'shop',
        'Pair',
        {
          trigger: { type: 'datasource.refresh.failed', parameters: { dataSourceName: 'pair' } },
          concurrency: 2,
          actions: { Call: { type: 'http', inputs: { method: 'POST', uri: `${sink.url}/pair` } } },
        },
        'api',
      )
      // Ten serial runs offered first, then six of the other flow: the serial ones that wait do
      // not keep the other flow's from the free slots.
      // In one statement, so that all are offered at once whatever the time an append takes.
      const appended = await appendEvents(rt.db, 'shop', [
        ...Array.from({ length: 10 }, (_, i) => ({
          type: 'datasource.refresh.failed' as const,
          data: refreshFailed('shop', `serial-${i}`, 'load'),
        })),
        ...Array.from({ length: 6 }, (_, i) => ({
          type: 'datasource.refresh.failed' as const,
          data: refreshFailed('shop', `pair-${i}`, 'pair'),
        })),
      ])
      rt.nudgeEvents()
      const events = appended.slice(0, 10)
      const others = appended.slice(10)
      const serial = []
      for (const event of events) serial.push(await ended(rt, (await runOf(rt, 'Serial', event.id)).id))
      for (const event of others) await ended(rt, (await runOf(rt, 'Pair', event.id)).id)
      expect(serial.map((r) => r.state)).toEqual(Array(10).fill('succeeded'))
      expect(most).toBe(1)
      const arrivals = sink
        .requestsTo('/serial')
        .map((r) => r.at)
        .sort((a, b) => a - b)
      expect(arrivals).toHaveLength(10)
      for (let i = 1; i < arrivals.length; i++)
        expect((arrivals[i] as number) - (arrivals[i - 1] as number)).toBeGreaterThanOrEqual(130)
      // Each next serial run was taken as the one before ended (in the statement that ended it),
      // not at a later look for runs (every 500 ms): nine gaps of 150 ms and a statement each.
      expect((arrivals[9] as number) - (arrivals[0] as number)).toBeLessThan(3600)
      // The other flow's runs all went while the serial flow was still at its fifth run or so
      // (ten take 1.5 s one after another).
      const pair = sink.requestsTo('/pair').map((r) => r.at)
      expect(pair).toHaveLength(6)
      expect(Math.max(...pair)).toBeLessThan(arrivals[5] as number)
    },
    60_000,
  )

  soleIt(
    'takes up at once a run a dead process left running, rather than when its lease runs out',
    async () => {
      const api = await open({ role: 'api' })
      await saveFlow(
        api.db,
        'shop',
        'Left',
        {
          trigger: { type: 'datasource.refresh.failed' },
          enabled: false,
          actions: { Call: { type: 'http', inputs: { method: 'POST', uri: `${sink.url}/left` } } },
        },
        'api',
      )
      const run = (await insertFlowRun(api.db, {
        id: 'left-running-run',
        instanceId: 'shop',
        flowName: 'Left',
        eventId: null,
        definition: {
          trigger: { type: 'datasource.refresh.failed' },
          actions: { Call: { type: 'http', inputs: { method: 'POST', uri: `${sink.url}/left` } } },
        },
        trigger: { type: 'manual' },
      })) as FlowRun
      // Claimed by a process that died: running, its lease an hour from now.
      await sql`update flow_runs set state = 'running', started_at = now(), lease_until = now() + interval '1 hour'
      where id = ${run.id}`.execute(api.db)
      await api.close()
      runtime = undefined

      const started = Date.now()
      const rt = await open()
      const done = await ended(rt, run.id)
      expect(done.state).toBe('succeeded')
      expect(Date.now() - started).toBeLessThan(20_000)
      expect(sink.requestsTo('/left')).toHaveLength(1)
    },
    60_000,
  )

  soleIt(
    "hands a subscriber's share over once its batch has committed, never when it rolled back",
    async () => {
      // An API process has no dispatcher of its own: this one is the only one.
      const rt = await open({ role: 'api' })
      const registry = new SubscriberRegistry()
      const handedOver: string[][] = []
      const givenBack: string[][] = []
      let woken = 0
      let fail = true
      registry.add({
        name: 'hand-over',
        handle: async (event) => (committed) => (committed ? handedOver : givenBack).push([event.id]),
      })
      registry.add({
        name: 'wakes',
        handle: async () => true,
        dispatched: () => woken++,
      })
      registry.add({
        name: 'failing',
        handle: async () => {
          if (fail) throw new Error('not now')
          return false
        },
      } satisfies EventSubscriber)
      const dispatcher = startDispatcher({ db: rt.db, registry, pollIntervalMs: 60_000 })
      try {
        await dispatcher.drain().catch(() => 0)
        handedOver.length = 0
        givenBack.length = 0
        woken = 0
        const event = await fire(rt, 'handed-1')
        await expect(dispatcher.drain()).rejects.toThrow('not now')
        expect(handedOver).toEqual([])
        expect(givenBack).toEqual([[event.id]])
        expect(woken).toBe(0)
        fail = false
        expect(await dispatcher.drain()).toBe(1)
        expect(handedOver).toEqual([[event.id]])
        expect(givenBack).toEqual([[event.id]])
        expect(woken).toBe(1)
      } finally {
        await dispatcher.stop()
      }
    },
  )

  bothIt(
    'runs a manual run queued while offered runs wait, each run once',
    async () => {
      const rt = await open({ flowConcurrency: 2 })
      sink.on('/held', () => ({ status: 200, delayMs: 200 }))
      await saveFlow(
        rt.db,
        'shop',
        'Busy',
        {
          trigger: { type: 'datasource.refresh.failed', parameters: { dataSourceName: 'busy' } },
          actions: { Call: { type: 'http', inputs: { method: 'POST', uri: `${sink.url}/held` } } },
        },
        'api',
      )
      const events = []
      for (let i = 0; i < 8; i++) events.push(await fire(rt, `busy-${i}`, 'busy'))
      const manual = await startManualRun(rt.db, rt.nudgeFlowRuns, 'shop', 'Busy', {})
      expect((await ended(rt, manual.id)).state).toBe('succeeded')
      for (const event of events)
        expect((await ended(rt, (await runOf(rt, 'Busy', event.id)).id)).state).toBe('succeeded')
      // Each once: none started both from memory and by a claim.
      expect(sink.requestsTo('/held')).toHaveLength(9)
    },
    60_000,
  )

  serverIt(
    'starts the runs its dispatcher creates while it has free slots without a claim, each flow within its concurrency',
    async () => {
      const rt = await open({ flowConcurrency: 4 })
      sink.on('/slots', () => ({ status: 200, delayMs: 300 }))
      await saveFlow(
        rt.db,
        'shop',
        'Slots',
        {
          trigger: { type: 'datasource.refresh.failed', parameters: { dataSourceName: 'slots' } },
          concurrency: 2,
          actions: { Call: { type: 'http', inputs: { method: 'POST', uri: `${sink.url}/slots` } } },
        },
        'api',
      )
      // One batch of five events: two runs fit the flow (concurrency 2) and the worker's four slots.
      const events = await appendEvents(
        rt.db,
        'shop',
        Array.from({ length: 5 }, (_, i) => ({
          type: 'datasource.refresh.failed' as const,
          data: refreshFailed('shop', `slots-${i}`, 'slots'),
        })),
      )
      rt.nudgeEvents()
      const runs = await Promise.all(
        events.map(async (event) => ended(rt, (await runOf(rt, 'Slots', event.id)).id)),
      )
      expect(runs.map((run) => run.state)).toEqual(Array(5).fill('succeeded'))
      const rows = await sql<{ id: string; at_creation: boolean }>`
        select id, started_at = requested_at as at_creation from flow_runs
        where id in (${sql.join(runs.map((run) => run.id))}) order by id`.execute(rt.db)
      // Started in the statement that created them (one now() for both): the first two only.
      expect(rows.rows.map((row) => row.at_creation)).toEqual([true, true, false, false, false])
      expect(sink.requestsTo('/slots')).toHaveLength(5)
      // Never more than two at once: each started after an earlier one ended.
      const spans = runs.map((run) => ({
        start: Date.parse(run.startedAt as string),
        end: Date.parse(run.completedAt as string),
      }))
      for (const [i, { start }] of spans.entries()) {
        const others = spans.filter((other, j) => j !== i && other.start <= start && other.end > start)
        expect(others.length).toBeLessThanOrEqual(1)
      }
    },
    60_000,
  )

  serverIt(
    'gives back the slots it set aside for runs of a batch that rolled back',
    async () => {
      const rt = await open({ flowConcurrency: 2, eventPollIntervalMs: 100 })
      await saveFlow(
        rt.db,
        'shop',
        'Quick',
        {
          trigger: { type: 'datasource.refresh.failed', parameters: { dataSourceName: 'quick' } },
          actions: { Post: { type: 'http', inputs: { method: 'POST', uri: `${sink.url}/again` } } },
        },
        'api',
      )
      // After the flows' share (subscribers take theirs in order), the batch fails three times.
      let failures = 3
      rt.subscribers.add({
        name: 'failing',
        handle: async () => {
          if (failures > 0) {
            failures--
            throw new Error('not now')
          }
          return false
        },
      })
      const event = await fire(rt, 'again-1', 'quick')
      // Had the failed batches kept the slots they set aside, none would be free (two slots,
      // three failures) and the run would never start.
      const run = await ended(rt, (await runOf(rt, 'Quick', event.id)).id)
      expect(failures).toBe(0)
      expect(run.state).toBe('succeeded')
      // Started by the statement that created it.
      expect(run.startedAt).toBe(run.requestedAt)
      expect(sink.requestsTo('/again')).toHaveLength(1)
    },
    60_000,
  )
})

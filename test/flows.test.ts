import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appendEvent } from '../src/events/index.js'
import { eventRunId } from '../src/flows/engine/flow-trigger.js'
import { rerunFlowRun, startManualRun } from '../src/flows/flow-runs.js'
import { executeFlowRun, saveFlow } from '../src/flows/index.js'
import { defineWritableEntity, writeItem } from '../src/pipeline/entities/index.js'
import type { Runtime } from '../src/runtime/index.js'
import { listEvents } from '../src/store/events.js'
import { listActionRecords } from '../src/store/flow-run-actions.js'
import { type FlowRun, getFlowRun, insertFlowRun, listFlowRuns } from '../src/store/flow-runs.js'
import { upsertInstance } from '../src/store/instances.js'
import { resumeAbandonedRun } from './helpers/abandoned-run.js'
import { addPlaceholderSources } from './helpers/flow-fixtures.js'
import { createTestStore, type TestStore } from './helpers/test-store.js'
import { waitFor } from './helpers/wait.js'
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js'

describe('the flow engine', () => {
  let store: TestStore
  let runtime: Runtime
  let sink: WebhookReceiver

  const fire = async (
    data: Record<string, unknown>,
    type: 'datasource.refresh.failed' = 'datasource.refresh.failed',
  ) => {
    const event = await runtime.db
      .transaction()
      .execute((tx) => appendEvent(tx, type, 'shop', { instanceId: 'shop', ...data } as never))
    runtime.nudgeEvents()
    return event
  }
  const runOf = async (flowName: string, eventId: string, timeoutMs = 30_000): Promise<FlowRun> =>
    waitFor(
      async () => {
        const [run] = (await listFlowRuns(runtime.db, 'shop', { flowName, limit: 50 })).filter(
          (r) => r.eventId === eventId,
        )
        return run && !['queued', 'running'].includes(run.state) ? run : undefined
      },
      `the run of ${flowName}`,
      timeoutMs,
    )

  beforeAll(async () => {
    store = await createTestStore('pglite', {
      OPENINSIGHTS_OUTBOUND_ALLOW: '127.0.0.0/8',
      OPENINSIGHTS_FLOW_RETRY_SCALE: '0.01',
    })
    runtime = await store.open()
    await upsertInstance(runtime.db, { id: 'shop', name: 'Shop' })
    // Flows may only wait for data sources that exist.
    await addPlaceholderSources(runtime.db, 'shop', ['crm', 'stop'])
    sink = await startWebhookReceiver()
  }, 60_000)
  afterAll(async () => {
    await sink?.close()
    await store?.dispose()
  })

  it('runs an HTTP action on a matching event with the trigger in its inputs, and records the run', async () => {
    await saveFlow(
      runtime.db,
      'shop',
      'Alert on failure',
      {
        trigger: { type: 'datasource.refresh.failed', parameters: { dataSourceName: 'crm' } },
        actions: {
          Post: {
            type: 'http',
            inputs: {
              method: 'POST',
              uri: `${sink.url}/alert`,
              headers: { 'x-flow': "@{workflow()?['name']}" },
              body: {
                text: "Refresh of @{triggerBody()?['dataSourceName']} failed: @{triggerBody()?['error']?['message']}",
              },
            },
          },
          Summary: {
            type: 'compose',
            runAfter: { Post: ['Succeeded'] },
            inputs: "@outputs('Post')?['statusCode']",
          },
        },
      },
      'api',
    )
    const other = await fire({ dataSourceName: 'erp', error: { code: 'X', message: 'nope' } })
    const event = await fire({
      dataSourceName: 'crm',
      error: { code: 'FileNotFound', message: 'crm.csv is gone' },
    })
    const run = await runOf('Alert on failure', event.id)
    await expect(run.state).toBe('succeeded')
    expect((await listFlowRuns(runtime.db, 'shop', { limit: 50 })).some((r) => r.eventId === other.id)).toBe(
      false,
    )
    const posted = sink.requestsTo('/alert')
    expect(posted).toHaveLength(1)
    expect(JSON.parse(posted[0]!.body)).toEqual({ text: 'Refresh of crm failed: crm.csv is gone' })
    expect(posted[0]!.headers['x-flow']).toBe('Alert on failure')
    const records = await listActionRecords(runtime.db, run.id)
    expect(records.map((r) => [r.path, r.status])).toEqual([
      ['Post', 'Succeeded'],
      ['Summary', 'Succeeded'],
    ])
    expect(records[1]?.outputs).toBe(200)
    // The same event dispatched again does not start a second run: the run's id is derived
    // from the flow and the event.
    expect(run.id).toBe(eventRunId('shop', 'Alert on failure', event.id))
    expect(
      await insertFlowRun(runtime.db, {
        id: eventRunId('shop', 'Alert on failure', event.id),
        instanceId: 'shop',
        flowName: 'Alert on failure',
        eventId: event.id,
        definition: {},
        trigger: {},
      }),
    ).toBeUndefined()
  })

  it('retries transient failures by policy, honouring Retry-After, and fails on the rest with flow.run.failed', async () => {
    sink.on('/flaky', (n): { status: number; headers?: Record<string, string>; body?: string } =>
      n <= 2
        ? { status: n === 1 ? 503 : 429, headers: { 'retry-after': '1' } }
        : { status: 200, body: '{"ok":true}', headers: { 'content-type': 'application/json' } },
    )
    sink.on('/broken', () => ({ status: 400, body: 'bad request' }))
    await saveFlow(
      runtime.db,
      'shop',
      'Retries',
      {
        trigger: { type: 'datasource.refresh.failed' },
        actions: {
          Flaky: { type: 'http', inputs: { method: 'POST', uri: `${sink.url}/flaky`, body: { n: 1 } } },
          Broken: {
            type: 'http',
            runAfter: { Flaky: ['Succeeded'] },
            retryPolicy: { type: 'fixed', count: 3, interval: 'PT1S' },
            inputs: { uri: `${sink.url}/broken` },
          },
        },
      },
      'api',
    )
    const started = Date.now()
    const event = await fire({ dataSourceName: 'any' })
    const run = await runOf('Retries', event.id)
    const records = await listActionRecords(runtime.db, run.id)
    const flaky = records.find((r) => r.name === 'Flaky')
    expect(flaky).toMatchObject({
      status: 'Succeeded',
      attempts: 3,
      outputs: { statusCode: 200, body: { ok: true } },
    })
    // Two Retry-After: 1 waits, though the scaled policy asked for less.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900)
    const broken = records.find((r) => r.name === 'Broken')
    expect(broken).toMatchObject({
      status: 'Failed',
      attempts: 1,
      error: { code: 'Http400' },
      outputs: { statusCode: 400, body: 'bad request' },
    })
    expect(run).toMatchObject({ state: 'failed', error: { code: 'Http400' } })
    await runtime.drainEvents()
    const failed = await listEvents(runtime.db, 'shop', { types: ['flow.run.failed'], limit: 10 })
    expect(failed.map((e) => e.data)).toContainEqual(
      expect.objectContaining({ flowName: 'Retries', runId: run.id, failedAction: 'Broken' }),
    )
  }, 60_000)

  it('ends an HTTP action at its timeout as TimedOut, the request abandoned, and the run goes on to its end', async () => {
    sink.on('/stuck', () => ({ status: 200, delayMs: 20_000 }))
    await saveFlow(
      runtime.db,
      'shop',
      'Stuck',
      {
        trigger: { type: 'datasource.refresh.failed' },
        actions: {
          Call: {
            type: 'http',
            timeout: 'PT1S',
            retryPolicy: { type: 'none' },
            inputs: { method: 'POST', uri: `${sink.url}/stuck` },
          },
        },
      },
      'api',
    )
    const started = Date.now()
    const event = await fire({ dataSourceName: 'stuck' })
    const run = await runOf('Stuck', event.id)
    // The request is aborted at the timeout (1 s), not abandoned after the grace period (5 s more).
    expect(Date.now() - started).toBeLessThan(5_000)
    const [call] = await listActionRecords(runtime.db, run.id)
    expect(call).toMatchObject({ status: 'TimedOut', error: { code: 'Timeout' } })
    expect(call?.durationMs).toBeGreaterThanOrEqual(900)
    expect(run.state).toBe('failed')
  }, 30_000)

  it('branches, loops over items from an entity, handles a failure with runAfter, and skips what may not run', async () => {
    await defineWritableEntity(
      { db: runtime.db, duck: runtime.duck, dataDir: runtime.settings.dataDir },
      'shop',
      'Owners',
      {
        keyColumn: 'id',
        columns: [
          { name: 'id', type: 'VARCHAR' },
          { name: 'email', type: 'VARCHAR' },
          { name: 'active', type: 'BOOLEAN' },
        ],
      },
    )
    for (const [id, email, active] of [
      ['1', 'ann@x.dk', true],
      ['2', 'bo@x.dk', false],
      ['3', 'cy@x.dk', true],
    ] as const)
      await writeItem(
        { db: runtime.db, duck: runtime.duck, dataDir: runtime.settings.dataDir },
        'shop',
        'Owners',
        'create',
        { id, email, active },
      )
    sink.on('/fail-once', (n) => (n === 1 ? { status: 400 } : { status: 200 }))
    await saveFlow(
      runtime.db,
      'shop',
      'Notify owners',
      {
        trigger: { type: 'datasource.refresh.failed' },
        actions: {
          Get_owners: {
            type: 'connector.getItems',
            inputs: { entity: 'Owners', $filter: 'active eq true', $orderby: 'id' },
          },
          Is_big: {
            type: 'condition',
            runAfter: { Get_owners: ['Succeeded'] },
            expression: "@greater(length(body('Get_owners')?['value']), 1)",
            actions: {
              Each_owner: {
                type: 'foreach',
                foreach: "@body('Get_owners')?['value']",
                actions: {
                  Tell: {
                    type: 'http',
                    inputs: {
                      method: 'POST',
                      uri: `${sink.url}/owners`,
                      body: "@items('Each_owner')?['email']",
                    },
                  },
                },
              },
            },
            else: { actions: { Nobody: { type: 'compose', inputs: 'no one to tell' } } },
          },
          Risky: {
            type: 'http',
            runAfter: { Is_big: ['Succeeded'] },
            retryPolicy: { type: 'none' },
            inputs: { uri: `${sink.url}/fail-once` },
          },
          Handle: {
            type: 'compose',
            runAfter: { Risky: ['Failed'] },
            inputs: "handled @{actions('Risky')?['error']?['code']}",
          },
          Celebrate: { type: 'compose', runAfter: { Risky: ['Succeeded'] }, inputs: 'never' },
        },
      },
      'api',
    )
    const event = await fire({ dataSourceName: 'any' })
    const run = await runOf('Notify owners', event.id)
    expect(run.state).toBe('succeeded')
    expect(sink.requestsTo('/owners').map((r) => r.body)).toEqual(['ann@x.dk', 'cy@x.dk'])
    const records = Object.fromEntries((await listActionRecords(runtime.db, run.id)).map((r) => [r.path, r]))
    expect(records['Is_big']).toMatchObject({ status: 'Succeeded', outputs: { expression: true } })
    expect(records['Is_big/actions/Each_owner']).toMatchObject({ status: 'Succeeded', outputs: { count: 2 } })
    expect(records['Is_big/actions/Each_owner[1]/Tell']?.inputs).toMatchObject({ body: 'cy@x.dk' })
    expect(records['Is_big/else/Nobody']).toBeUndefined()
    expect(records.Risky?.status).toBe('Failed')
    expect(records.Handle).toMatchObject({ status: 'Succeeded', outputs: 'handled Http400' })
    expect(records.Celebrate?.status).toBe('Skipped')
  })

  it('resumes an interrupted run at the unfinished action without repeating a finished one', async () => {
    const definition = {
      trigger: { type: 'datasource.refresh.failed' },
      actions: {
        First: { type: 'http', inputs: { method: 'POST', uri: `${sink.url}/first` } },
        Second: {
          type: 'http',
          runAfter: { First: ['Succeeded'] },
          inputs: { method: 'POST', uri: `${sink.url}/second`, body: "@outputs('First')?['statusCode']" },
        },
      },
    }
    const { definition: parsed } = await saveFlow(
      runtime.db,
      'shop',
      'Resumable',
      { ...definition, enabled: false },
      'api',
    )
    // A run whose worker finished First and died: First is recorded, the run still running.
    const { run, engine } = await resumeAbandonedRun(
      runtime,
      'Resumable',
      parsed as unknown as Record<string, unknown>,
      [{ path: 'First', type: 'http', outputs: { statusCode: 201 } }],
    )
    expect(sink.requestsTo('/first')).toHaveLength(0)
    expect(sink.requestsTo('/second').map((r) => r.body)).toEqual(['201'])
    expect((await getFlowRun(runtime.db, run.id))?.state).toBe('succeeded')
    // A finished run is not taken up again.
    expect(await executeFlowRun(engine, run.id)).toBe('gone')
  })

  it('refuses link-local and metadata addresses, and names invalid definitions with the path and the fix', async () => {
    await saveFlow(
      runtime.db,
      'shop',
      'Metadata',
      {
        trigger: { type: 'datasource.refresh.failed' },
        actions: {
          Steal: {
            type: 'http',
            retryPolicy: { type: 'none' },
            inputs: { uri: 'http://169.254.169.254/latest/meta-data/' },
          },
        },
      },
      'api',
    )
    const event = await fire({ dataSourceName: 'any' })
    const run = await runOf('Metadata', event.id)
    const [record] = await listActionRecords(runtime.db, run.id)
    expect(record).toMatchObject({ status: 'Failed', error: { code: 'ForbiddenAddress' } })

    const invalid = (definition: unknown) => saveFlow(runtime.db, 'shop', 'Bad', definition, 'api')
    await expect(invalid({ trigger: { type: 'nope' }, actions: {} })).rejects.toThrow(/trigger\.type/)
    await expect(
      invalid({
        trigger: { type: 'segment.threshold.crossed', parameters: { segmentName: 'Big' } },
        actions: { A: { type: 'compose', inputs: 1 } },
      }),
    ).rejects.toThrow(/trigger\.parameters\.threshold/)
    await expect(
      invalid({
        trigger: { type: 'unify.completed' },
        actions: { A: { type: 'compose', inputs: 1, runAfter: { Ghost: ['Succeeded'] } } },
      }),
    ).rejects.toThrow(/actions\.A\.runAfter\.Ghost: 'Ghost' is not an action in the same scope/)
    await expect(
      invalid({
        trigger: { type: 'unify.completed' },
        actions: { A: { type: 'compose', inputs: "@concat('a'" } },
      }),
    ).rejects.toThrow(/actions\.A\.inputs: .*position/)
    await expect(
      invalid({
        trigger: { type: 'unify.completed' },
        actions: {
          A: { type: 'compose', inputs: 1, runAfter: { B: ['Succeeded'] } },
          B: { type: 'compose', inputs: 1, runAfter: { A: ['Succeeded'] } },
        },
      }),
    ).rejects.toThrow(/runAfter forms a cycle/)
  })
  it('re-runs a failed run from the failed action (keeping what succeeded) or from the start', async () => {
    sink.on('/shaky', (n) => (n === 1 ? { status: 500, body: 'down' } : { status: 200, body: 'up' }))
    await saveFlow(
      runtime.db,
      'shop',
      'Rerunnable',
      {
        trigger: { type: 'unify.completed' },
        actions: {
          Prepare: { type: 'http', inputs: { method: 'POST', uri: `${sink.url}/prepare` } },
          Shaky: {
            type: 'http',
            runAfter: { Prepare: ['Succeeded'] },
            retryPolicy: { type: 'none' },
            inputs: { method: 'POST', uri: `${sink.url}/shaky` },
          },
        },
      },
      'api',
    )
    const first = await startManualRun(runtime.db, runtime.nudgeFlowRuns, 'shop', 'Rerunnable', {})
    const failed = await waitFor(async () => {
      const r = await getFlowRun(runtime.db, first.id)
      return r && r.state !== 'queued' && r.state !== 'running' ? r : undefined
    }, 'the first run')
    expect(failed.state).toBe('failed')
    const fromFailed = await rerunFlowRun(runtime.db, runtime.nudgeFlowRuns, 'shop', first.id, 'failed')
    expect(fromFailed).toMatchObject({ rerunOf: first.id, rerunFrom: 'Shaky' })
    const again = await waitFor(async () => {
      const r = await getFlowRun(runtime.db, fromFailed.id)
      return r && r.state !== 'queued' && r.state !== 'running' ? r : undefined
    }, 'the re-run')
    expect(again.state).toBe('succeeded')
    expect(sink.requestsTo('/prepare')).toHaveLength(1)
    expect(sink.requestsTo('/shaky')).toHaveLength(2)
    const fromStart = await rerunFlowRun(runtime.db, runtime.nudgeFlowRuns, 'shop', first.id, 'start')
    await waitFor(
      async () => ((await getFlowRun(runtime.db, fromStart.id))?.state === 'succeeded' ? true : undefined),
      'the run from the start',
    )
    expect(sink.requestsTo('/prepare')).toHaveLength(2)
  })

  it("holds a flow's runs to its concurrency limit", async () => {
    sink.on('/one-at-a-time', () => ({ status: 200, delayMs: 400 }))
    await saveFlow(
      runtime.db,
      'shop',
      'Serial',
      {
        trigger: { type: 'unify.completed' },
        concurrency: 1,
        actions: { Call: { type: 'http', inputs: { method: 'POST', uri: `${sink.url}/one-at-a-time` } } },
      },
      'api',
    )
    const runs = []
    for (let i = 0; i < 3; i++)
      runs.push(await startManualRun(runtime.db, runtime.nudgeFlowRuns, 'shop', 'Serial', {}))
    for (const run of runs)
      await waitFor(
        async () => ((await getFlowRun(runtime.db, run.id))?.state === 'succeeded' ? true : undefined),
        'a serial run',
        30_000,
      )
    const arrivals = sink
      .requestsTo('/one-at-a-time')
      .map((r) => r.at)
      .sort((a, b) => a - b)
    expect(arrivals).toHaveLength(3)
    // Each request arrived only after the previous one's 400 ms answer.
    for (let i = 1; i < arrivals.length; i++)
      expect((arrivals[i] as number) - (arrivals[i - 1] as number)).toBeGreaterThanOrEqual(380)
  }, 60_000)

  it('ends the run at a terminate action, inside a branch too, running nothing after it', async () => {
    sink.on('/after-terminate', () => ({ status: 200 }))
    await saveFlow(
      runtime.db,
      'shop',
      'Stop early',
      {
        trigger: { type: 'datasource.refresh.failed', parameters: { dataSourceName: 'stop' } },
        actions: {
          Check: {
            type: 'condition',
            expression: "@equals(triggerBody()?['error']?['code'], 'Fatal')",
            actions: {
              Stop: {
                type: 'terminate',
                inputs: {
                  runStatus: 'Failed',
                  runError: { code: 'Fatal', message: 'stopped on a fatal error' },
                },
              },
            },
          },
          After: {
            type: 'http',
            runAfter: { Check: ['Succeeded', 'Failed'] },
            inputs: { method: 'POST', uri: `${sink.url}/after-terminate` },
          },
        },
      },
      'api',
    )
    const started = Date.now()
    const fatal = await fire({ dataSourceName: 'stop', error: { code: 'Fatal', message: 'x' } })
    // Within seconds: not when a worker's lease on the run runs out (30 s).
    const run = await runOf('Stop early', fatal.id, 10_000)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(run.state).toBe('failed')
    expect(run.error).toEqual({ code: 'Fatal', message: 'stopped on a fatal error' })
    const records = await listActionRecords(runtime.db, run.id)
    // What was not run after it shows as skipped, as in Power Automate's run history.
    expect(records.map((r) => [r.path, r.status]).sort()).toEqual([
      ['After', 'Skipped'],
      ['Check', 'Succeeded'],
      ['Check/actions/Stop', 'Succeeded'],
    ])
    expect(sink.requestsTo('/after-terminate')).toHaveLength(0)
    // A terminate with runStatus Succeeded ends the run as succeeded.
    const fine = await fire({ dataSourceName: 'stop', error: { code: 'Other', message: 'y' } })
    expect((await runOf('Stop early', fine.id)).state).toBe('succeeded')
    expect(sink.requestsTo('/after-terminate')).toHaveLength(1)
  }, 30_000)
})

import fc from 'fast-check'
import { sql } from 'kysely'
import { ulid } from 'ulid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appendEvent, appendEvents } from '../src/events/index.js'
import type { Runtime } from '../src/runtime/index.js'
import { upsertDataSource } from '../src/store/data-sources.js'
import { getEntity, listEntityVersions, publishEntityVersion } from '../src/store/entities.js'
import { claimUndispatchedEvents, insertEvents, listEvents, type StoredEvent } from '../src/store/events.js'
import { listActionRecords, recordActions } from '../src/store/flow-run-actions.js'
import {
  claimFlowRuns,
  finishAndClaimFlowRuns,
  finishFlowRuns,
  getFlowRun,
  insertFlowRuns,
  insertFlowRunsStarting,
} from '../src/store/flow-runs.js'
import { upsertInstance } from '../src/store/instances.js'
import { migrate } from '../src/store/migrate.js'
import { finishRefresh, listRefreshes, queueRefresh, startRefresh } from '../src/store/refreshes.js'
import { finishRun, getRun, listRuns, queueRun, startRun } from '../src/store/runs.js'
import { createTestStore, STORE_MODES, storeModeAvailable, type TestStore } from './helpers/test-store.js'

describe.each(STORE_MODES)('control-plane store on %s', (mode) => {
  let store: TestStore
  let runtime: Runtime
  beforeAll(async () => {
    if (!storeModeAvailable(mode)) return
    store = await createTestStore(mode)
    runtime = await store.open({ role: 'api' })
    await upsertInstance(runtime.db, { id: 'acme', name: 'Acme' })
    await upsertDataSource(runtime.db, 'acme', {
      name: 'contacts',
      kind: 'csv',
      options: { path: '/x.csv' },
      maxShrink: 0.5,
      primaryKey: 'id',
      columnTypes: {},
      rejectRatio: 0.05,
    })
  })
  afterAll(async () => store?.dispose())

  it.skipIf(!storeModeAvailable(mode))(
    'runs one lifecycle for unify, insights and full refreshes: joins, starts, ends once, cancels',
    async () => {
      for (const kind of ['unify', 'insights', 'full-refresh'] as const) {
        const first = await queueRun(runtime.db, kind, {
          id: ulid(),
          instanceId: 'acme',
          reason: 'test',
          steps: [],
        })
        const joined = await queueRun(runtime.db, kind, {
          id: ulid(),
          instanceId: 'acme',
          reason: 'again',
          steps: [],
        })
        expect(first.created, kind).toBe(true)
        expect(joined).toMatchObject({ created: false, run: { id: first.run.id, state: 'queued' } })
        expect(await startRun(runtime.db, kind, first.run.id)).toMatchObject({ state: 'running' })
        // A full refresh joins the one running too; unify and insights queue the next.
        const next = await queueRun(runtime.db, kind, {
          id: ulid(),
          instanceId: 'acme',
          reason: 'next',
          steps: [],
        })
        expect(next.created, kind).toBe(kind !== 'full-refresh')
        const done = await finishRun(runtime.db, kind, first.run.id, { state: 'succeeded', stats: { n: 1 } })
        expect(done).toMatchObject({ state: 'succeeded' })
        expect(done?.durationMs).toBeGreaterThanOrEqual(0)
        expect(await finishRun(runtime.db, kind, first.run.id, { state: 'failed' }), kind).toBeUndefined()
        if (next.created) {
          // Cancelling ends a queued run too (a unification could not be cancelled before).
          const cancelled = await finishRun(runtime.db, kind, next.run.id, {
            state: 'cancelled',
            error: { code: 'Cancelled', message: 'on request' },
          })
          expect(cancelled).toMatchObject({ state: 'cancelled', error: { code: 'Cancelled' } })
          expect(await startRun(runtime.db, kind, next.run.id)).toBeUndefined()
        }
        const listed = await listRuns(runtime.db, kind, 'acme', 10)
        expect((listed[0]?.requestedAt ?? '') >= (listed.at(-1)?.requestedAt ?? '')).toBe(true)
        expect((await getRun(runtime.db, kind, 'acme', first.run.id))?.state).toBe('succeeded')
      }
    },
  )

  it.skipIf(!storeModeAvailable(mode))(
    "writes JSON documents holding users' NULs (a column name, a step's error, options) with NULs as U+FFFD",
    async () => {
      // JSON escapes NUL as \u0000, which jsonb refuses: the run, the refresh's entity or the
      // source could not be written at all, and a run that cannot record its end never ends.
      const nul = 'a\u0000b "c" \\u0000 d'
      const safe = 'a\uFFFDb "c" \\u0000 d'
      for (const kind of ['full-refresh', 'unify'] as const) {
        const run = await queueRun(runtime.db, kind, {
          id: ulid(),
          instanceId: 'acme',
          reason: 'nul',
          steps: [{ name: nul } as never],
        })
        await startRun(runtime.db, kind, run.run.id)
        const ended = await finishRun(runtime.db, kind, run.run.id, {
          state: 'failed',
          error: { code: 'Bad', message: nul },
          steps: [{ name: 'read', error: nul } as never],
          stats: { [nul]: 1 },
        })
        expect(ended?.state, kind).toBe('failed')
        const stored = (await getRun(runtime.db, kind, 'acme', run.run.id)) as unknown as Record<
          string,
          unknown
        >
        expect(stored.error, kind).toEqual({ code: 'Bad', message: safe })
        expect(kind === 'unify' ? stored.stats : stored.steps, kind).toEqual(
          kind === 'unify' ? { [safe]: 1 } : [{ name: 'read', error: safe }],
        )
      }
      const id = ulid()
      await publishEntityVersion(
        runtime.db,
        {
          id,
          instanceId: 'acme',
          entityName: 'nul-columns',
          refreshId: id,
          directory: `/data/${id}`,
          rowCount: 1,
          schema: [{ name: nul, type: 'VARCHAR' }],
          partitions: [],
          keyColumn: nul,
        },
        'datasource:contacts',
      )
      expect((await getEntity(runtime.db, 'acme', 'nul-columns'))?.current?.schema).toEqual([
        { name: safe, type: 'VARCHAR' },
      ])
      await upsertDataSource(runtime.db, 'acme', {
        name: 'nul-options',
        kind: 'csv',
        options: { path: '/x.csv', delimiter: nul },
        maxShrink: 0.5,
        primaryKey: 'id',
        columnTypes: { [nul]: 'VARCHAR' },
        rejectRatio: 0.05,
      })
      const options = await sql<{ options: { delimiter: string } }>`
        select options from data_sources where instance_id = 'acme' and name = 'nul-options'`.execute(
        runtime.db,
      )
      expect(options.rows[0]?.options.delimiter).toBe(safe)
    },
  )

  it.skipIf(!storeModeAvailable(mode))('applies migrations once', async () => {
    expect(await migrate(runtime.db)).toEqual([])
    const applied = await sql<{ name: string }>`select name from schema_migrations order by name`.execute(
      runtime.db,
    )
    expect(applied.rows.map((r) => r.name)).toEqual([
      '0001_foundation.sql',
      '0002_connector.sql',
      '0003_unify.sql',
      '0004_insights.sql',
      '0005_flows.sql',
      '0006_web_admin.sql',
      '0007_flow_run_queue.sql',
      '0008_event_outbox.sql',
      '0009_hardening.sql',
      '0010_run_lifecycle.sql',
      '0011_shrink_guard.sql',
      '0012_unify_labels.sql',
      '0013_slim_flow_runs.sql',
      '0014_queue_order.sql',
      '0015_payload_statistics.sql',
      '0016_action_records_unchecked.sql',
      '0017_instance_checked_per_statement.sql',
    ])
    // Action records keep no foreign key to their runs (the engine writes them only for its runs),
    // nor events and runs to their instance (checked per statement: see the test below).
    const foreignKeys = await sql<{ name: string }>`
      select conname as name from pg_constraint
      where conrelid in ('flow_run_actions'::regclass, 'events'::regclass, 'flow_runs'::regclass) and contype = 'f'`.execute(
      runtime.db,
    )
    expect(foreignKeys.rows).toEqual([])
    // Payloads no query filters on are left out of ANALYZE's statistics.
    const noStatistics = await sql<{ column: string }>`
      select c.relname || '.' || a.attname as column from pg_attribute a join pg_class c on c.oid = a.attrelid
      where a.attnum > 0 and not a.attisdropped and a.attstattarget = 0 and c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
      order by 1`.execute(runtime.db)
    expect(noStatistics.rows.map((r) => r.column)).toEqual([
      'events.data',
      'flow_definitions.definition',
      'flow_run_actions.error',
      'flow_run_actions.inputs',
      'flow_run_actions.outputs',
      'flow_runs.definition',
      'flow_runs.error_message',
      'flow_runs.trigger',
    ])
  })

  it.skipIf(!storeModeAvailable(mode))(
    "refuses events and runs of an instance that does not exist, the whole statement, with a foreign key's error",
    async () => {
      // An instance of its own: its rows stay out of the other tests' listings.
      const checked = `checked-${mode}`
      await upsertInstance(runtime.db, { id: checked, name: 'Checked' })
      const refused = async (write: Promise<unknown>) => {
        const error = (await write.then(
          () => undefined,
          (e: unknown) => e,
        )) as { code?: string; message?: string } | undefined
        expect(error?.code).toBe('23503')
        expect(error?.message).toContain(`'ghost-${mode}'`)
      }
      const event = (id: string, instanceId: string) => ({
        id,
        type: 'unify.completed',
        instanceId,
        occurredAt: new Date().toISOString(),
        data: {},
      })
      await refused(
        insertEvents(runtime.db, [event(`ok-${mode}-e`, checked), event(`ghost-${mode}-e`, `ghost-${mode}`)]),
      )
      const definition = { trigger: { type: 'unify.completed' }, actions: {} }
      const run = (id: string, instanceId: string) => ({
        id,
        instanceId,
        flowName: 'Ghost',
        eventId: null,
        definition,
        trigger: {},
      })
      await refused(
        insertFlowRuns(runtime.db, [run(`ok-${mode}-r`, checked), run(`ghost-${mode}-r`, `ghost-${mode}`)]),
      )
      await refused(
        insertFlowRunsStarting(
          runtime.db,
          [run(`ok-${mode}-s`, checked), run(`ghost-${mode}-s`, `ghost-${mode}`)],
          {
            slots: 2,
            leaseSeconds: 30,
          },
        ),
      )
      // Nothing of the statements stayed, not even the rows of the instance that exists.
      const left = await sql<{ n: number }>`
        select (select count(*) from events where id like ${`%-${mode}-e`})::int
          + (select count(*) from flow_runs where id like ${`%-${mode}-_`} and flow_name = 'Ghost')::int as n`.execute(
        runtime.db,
      )
      expect(left.rows[0]?.n).toBe(0)
      // Those of an instance that exists go in as before (events: every other test here).
      expect(await insertFlowRuns(runtime.db, [run(`ok-${mode}-r2`, checked)])).toEqual([`ok-${mode}-r2`])
      await sql`update flow_runs set state = 'cancelled', completed_at = now() where id = ${`ok-${mode}-r2`}`.execute(
        runtime.db,
      )
    },
  )

  it.skipIf(!storeModeAvailable(mode))('keeps one active refresh per data source', async () => {
    const first = await queueRefresh(runtime.db, {
      id: ulid(),
      instanceId: 'acme',
      dataSourceName: 'contacts',
    })
    const second = await queueRefresh(runtime.db, {
      id: ulid(),
      instanceId: 'acme',
      dataSourceName: 'contacts',
    })
    expect(first.created).toBe(true)
    expect(second).toEqual({ refresh: first.refresh, created: false })
    await startRefresh(runtime.db, first.refresh.id, 'w1')
    const done = await finishRefresh(runtime.db, first.refresh.id, {
      state: 'succeeded',
      rowCount: 5,
      rejectedRowCount: 1,
      rejectsPath: null,
    })
    expect(done).toMatchObject({ state: 'succeeded', rowCount: 5, rejectedRowCount: 1, attempt: 1 })
    // An ended refresh cannot be ended again: the outcome and its event are reported once.
    expect(
      await finishRefresh(runtime.db, first.refresh.id, {
        state: 'failed',
        rowCount: null,
        rejectedRowCount: null,
        rejectsPath: null,
        error: { code: 'X', message: 'x' },
      }),
    ).toBeUndefined()
    const third = await queueRefresh(runtime.db, {
      id: ulid(),
      instanceId: 'acme',
      dataSourceName: 'contacts',
    })
    expect(third.created).toBe(true)
    const history = await listRefreshes(runtime.db, 'acme', { limit: 10 })
    expect(history.map((r) => r.id)).toEqual([third.refresh.id, first.refresh.id])
  })

  it.skipIf(!storeModeAvailable(mode))(
    'publishes an entity version by flipping the current pointer',
    async () => {
      const version = (id: string, rows: number) => ({
        id,
        instanceId: 'acme',
        entityName: 'contacts',
        refreshId: id,
        directory: `/data/${id}`,
        rowCount: rows,
        schema: [{ name: 'id', type: 'BIGINT' }],
        partitions: [{ name: 'part-00000', file: 'part-00000.parquet', rowCount: rows, sizeBytes: 100 }],
        keyColumn: 'id',
      })
      const v1 = ulid()
      await publishEntityVersion(runtime.db, version(v1, 10), 'datasource:contacts')
      expect((await getEntity(runtime.db, 'acme', 'contacts'))?.current).toMatchObject({
        id: v1,
        rowCount: 10,
      })
      const v2 = ulid()
      // A publish that fails half-way leaves the previous version current.
      await expect(
        runtime.db.transaction().execute(async (tx) => {
          await publishEntityVersion(tx, version(v2, 20), 'datasource:contacts')
          throw new Error('crash before commit')
        }),
      ).rejects.toThrow('crash before commit')
      expect((await getEntity(runtime.db, 'acme', 'contacts'))?.current.id).toBe(v1)
      await publishEntityVersion(runtime.db, version(v2, 20), 'datasource:contacts')
      expect((await getEntity(runtime.db, 'acme', 'contacts'))?.current).toMatchObject({
        id: v2,
        rowCount: 20,
      })
      expect((await listEntityVersions(runtime.db, 'acme', 'contacts')).map((v) => v.id)).toEqual([v2, v1])
    },
  )

  it.skipIf(!storeModeAvailable(mode))('lists events in order after a cursor and by type', async () => {
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      const type = i % 2 === 0 ? 'datasource.refresh.succeeded' : 'datasource.refresh.failed'
      const event = await appendEvent(runtime.db, type, 'acme', {
        instanceId: 'acme',
        dataSourceName: 'contacts',
        refreshId: `r${i}`,
        startedAt: new Date().toISOString(),
        completedAt: new Date().toISOString(),
        rowCount: i,
        rejectedRowCount: 0,
        error: null,
      })
      ids.push(event.id)
    }
    expect((await listEvents(runtime.db, 'acme', { limit: 100 })).map((e) => e.id)).toEqual(ids)
    expect((await listEvents(runtime.db, 'acme', { limit: 2, after: ids[1] })).map((e) => e.id)).toEqual(
      ids.slice(2, 4),
    )
    expect(
      (await listEvents(runtime.db, 'acme', { limit: 100, types: ['datasource.refresh.failed'] })).map(
        (e) => e.data.refreshId,
      ),
    ).toEqual(['r1', 'r3'])
  })

  it.skipIf(mode !== 'postgres' || !storeModeAvailable(mode))(
    'lets two dispatchers claim disjoint events (SKIP LOCKED)',
    async () => {
      await sql`insert into event_outbox (id) select id from events on conflict do nothing`.execute(
        runtime.db,
      )
      const total = (await listEvents(runtime.db, 'acme', { limit: 1000 })).length
      let release!: () => void
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      let firstClaim: string[] = []
      const first = runtime.db.transaction().execute(async (tx) => {
        firstClaim = (await claimUndispatchedEvents(tx, 2)).map((e) => e.id)
        await held
      })
      await new Promise((resolve) => setTimeout(resolve, 200))
      const secondClaim = await runtime.db
        .transaction()
        .execute(async (tx) => (await claimUndispatchedEvents(tx, 1000)).map((e) => e.id))
      release()
      await first
      expect(firstClaim).toHaveLength(2)
      expect(secondClaim).toHaveLength(total - 2)
      expect(secondClaim.filter((id) => firstClaim.includes(id))).toEqual([])
    },
  )

  it.skipIf(!storeModeAvailable(mode))(
    'claims queued runs oldest first within the flow limit; an end refills its slot in the same statement',
    async () => {
      const definition = { concurrency: 2, trigger: { type: 'unify.completed' }, actions: {} }
      const run = (i: number) => ({
        id: `run-${mode}-${i}`,
        instanceId: 'acme',
        flowName: 'Queue',
        eventId: `event-${i}`,
        definition,
        trigger: {},
      })
      // One at a time, so that requested_at orders them as their numbers do.
      for (let i = 1; i <= 5; i++) await insertFlowRuns(runtime.db, [run(i)])
      const ids = (runs: { id: string }[]) => runs.map((r) => r.id.replace(`run-${mode}-`, '')).sort()
      // The flow admits 2 at once: a claim of 10 takes the 2 oldest.
      const first = await claimFlowRuns(runtime.db, 10, 30)
      expect(ids(first)).toEqual(['1', '2'])
      expect(first.every((r) => r.state === 'queued')).toBe(true) // as they were before the claim
      expect(await claimFlowRuns(runtime.db, 10, 30)).toEqual([])
      // Ending run 1 (with its last action's record) frees one slot, claimed in the same statement.
      const ended = await finishAndClaimFlowRuns(
        runtime.db,
        [{ id: `run-${mode}-1`, outcome: { state: 'succeeded' } }],
        [
          {
            runId: `run-${mode}-1`,
            record: {
              path: 'Post',
              name: 'Post',
              type: 'http',
              status: 'Succeeded',
              inputs: { a: 1 },
              outputs: { statusCode: 200 },
              error: null,
              attempts: 1,
              startedAt: new Date().toISOString(),
              completedAt: new Date().toISOString(),
            },
          },
        ],
        { limit: 5, leaseSeconds: 30 },
      )
      expect(ended.finished.map((r) => [r.id, r.state])).toEqual([[`run-${mode}-1`, 'succeeded']])
      expect(ids(ended.claimed)).toEqual(['3'])
      expect((await getFlowRun(runtime.db, `run-${mode}-3`))?.state).toBe('running')
      expect((await listActionRecords(runtime.db, `run-${mode}-1`)).map((r) => r.outputs)).toEqual([
        { statusCode: 200 },
      ])
      // Ending a run that has ended already changes nothing and claims only the free slots.
      const again = await finishAndClaimFlowRuns(
        runtime.db,
        [{ id: `run-${mode}-1`, outcome: { state: 'failed', error: { code: 'X', message: 'x' } } }],
        [],
        { limit: 5, leaseSeconds: 30 },
      )
      expect(again).toEqual({ finished: [], claimed: [] })
      expect((await getFlowRun(runtime.db, `run-${mode}-1`))?.state).toBe('succeeded')
      // The queue is read in its index's order whatever the planner believes of its size (a
      // bitmap scan and a sort of the whole backlog are ruled out inside the function).
      const settings = await sql<{ config: string[] }>`
        select proconfig as config from pg_proc where proname = 'oldest_queued_flow_runs'`.execute(runtime.db)
      expect(settings.rows[0]?.config).toEqual(['enable_bitmapscan=off', 'enable_sort=off'])
      // A run whose worker's lease ran out is claimed again (resumed), as running.
      await sql`update flow_runs set lease_until = now() - interval '1 second' where id = ${`run-${mode}-2`}`.execute(
        runtime.db,
      )
      const resumed = await claimFlowRuns(runtime.db, 10, 30)
      expect(resumed.map((r) => [r.id, r.state])).toEqual([[`run-${mode}-2`, 'running']])
    },
  )

  it.skipIf(!storeModeAvailable(mode))(
    'an end answers each run it ended as the store now has it (NULs in an error as U+FFFD), and not a run ended before',
    async () => {
      const definition = { trigger: { type: 'unify.completed' }, actions: {} }
      const ids = [1, 2, 3].map((i) => `end-${mode}-${i}`)
      await insertFlowRuns(
        runtime.db,
        ids.map((id) => ({
          id,
          instanceId: 'acme',
          flowName: 'Ends',
          eventId: null,
          definition,
          trigger: {},
        })),
      )
      await finishFlowRuns(runtime.db, [{ id: ids[2] as string, outcome: { state: 'cancelled' } }])
      const message = 'bad "row" \u0000 at {1,2} \\ end'
      const ended = await finishFlowRuns(runtime.db, [
        { id: ids[0] as string, outcome: { state: 'succeeded', startedAt: new Date().toISOString() } },
        { id: ids[1] as string, outcome: { state: 'failed', error: { code: 'Http500\u0000', message } } },
        { id: ids[2] as string, outcome: { state: 'failed', error: { code: 'Late', message: 'too late' } } },
      ])
      const stored = await Promise.all(ids.slice(0, 2).map((id) => getFlowRun(runtime.db, id)))
      expect(ended).toEqual(
        stored.map((run) => ({
          id: run?.id,
          state: run?.state,
          completedAt: run?.completedAt,
          error: run?.error,
        })),
      )
      expect(ended[1]?.error).toEqual({ code: 'Http500\uFFFD', message: 'bad "row" \uFFFD at {1,2} \\ end' })
      expect(ended[0]?.completedAt).toBe(ended[1]?.completedAt)
      expect((await getFlowRun(runtime.db, ids[2] as string))?.state).toBe('cancelled')
    },
  )

  it.skipIf(!storeModeAvailable(mode))(
    'stores events, runs and action records sent as one jsonb document of rows as they were given (NULs as U+FFFD)',
    async () => {
      // Text as users' data has it: quotes, backslashes, braces, commas (what array literals
      // escape), any Unicode, and NUL, which PostgreSQL cannot store.
      const text = fc.string({
        unit: fc.oneof(
          fc.constantFrom('"', '\\', '{', '}', ',', '\0', "'"),
          fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
        ),
        maxLength: 12,
      })
      const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown)
      const storedAs = (value: unknown): unknown =>
        JSON.parse(JSON.stringify(value ?? null).replaceAll('\\u0000', '\\ufffd'))
      let n = 0
      // An instance of its own: the other tests count what acme holds.
      await upsertInstance(runtime.db, { id: 'prop', name: 'Properties' })
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ key: text, value: json, inputs: json, outputs: json, name: text }), {
            minLength: 1,
            maxLength: 4,
          }),
          async (items) => {
            n++
            const events: StoredEvent[] = items.map((item) => ({
              id: ulid(),
              instanceId: 'prop',
              type: 'datasource.refresh.failed',
              occurredAt: new Date().toISOString(),
              data: { [item.key]: item.value },
            }))
            await insertEvents(runtime.db, events)
            const stored = await sql<{ id: string; data: unknown }>`
              select id, data from events where id = any(${events.map((e) => e.id)}::text[])`.execute(
              runtime.db,
            )
            for (const event of events)
              expect(stored.rows.find((e) => e.id === event.id)?.data).toEqual(storedAs(event.data))
            const runIds = items.map((_, i) => `prop-${mode}-${n}-${i}`)
            await insertFlowRuns(
              runtime.db,
              items.map((item, i) => ({
                id: runIds[i] as string,
                instanceId: 'prop',
                flowName: `Prop ${n}`,
                eventId: null,
                definition: { trigger: { type: 'x' }, actions: {} },
                trigger: { body: item.value },
              })),
            )
            await recordActions(
              runtime.db,
              items.map((item, i) => ({
                runId: runIds[i] as string,
                record: {
                  path: item.name,
                  name: item.name,
                  type: 'http',
                  status: 'Succeeded',
                  inputs: item.inputs,
                  outputs: item.outputs,
                  error: null,
                  attempts: 1,
                  startedAt: '2026-12-01T10:00:00.000Z',
                  completedAt: '2026-12-01T10:00:01.500Z',
                },
              })),
            )
            for (const [i, item] of items.entries()) {
              const run = await getFlowRun(runtime.db, runIds[i] as string)
              expect(run?.trigger).toEqual(storedAs({ body: item.value }))
              const [record] = await listActionRecords(runtime.db, runIds[i] as string)
              expect(record?.name).toBe(item.name.replaceAll('\0', '\uFFFD'))
              expect(record?.inputs ?? null).toEqual(storedAs(item.inputs))
              expect(record?.outputs ?? null).toEqual(storedAs(item.outputs))
              expect(record?.durationMs).toBe(1500)
            }
          },
        ),
        { numRuns: 40 },
      )
      // Its queued runs would stand before the next tests' in the queue. Nothing cascades from
      // instances to events and runs (migration 0017): they are deleted first.
      await sql`delete from flow_run_actions where run_id in (select id from flow_runs where instance_id = 'prop')`.execute(
        runtime.db,
      )
      await sql`delete from flow_runs where instance_id = 'prop'`.execute(runtime.db)
      await sql`delete from events where instance_id = 'prop'`.execute(runtime.db)
      await sql`delete from instances where id = 'prop'`.execute(runtime.db)
    },
  )

  it.skipIf(mode !== 'postgres' || !storeModeAvailable(mode))(
    'does not claim by id a run another transaction claims meanwhile: it waits, and leaves it to that one',
    async () => {
      const definition = { concurrency: 5, trigger: { type: 'unify.completed' }, actions: {} }
      const id = `raced-${mode}`
      await insertFlowRuns(runtime.db, [
        { id, instanceId: 'acme', flowName: 'Raced', eventId: null, definition, trigger: {} },
      ])
      let commit!: () => void
      const held = new Promise<void>((resolve) => {
        commit = resolve
      })
      let claimedElsewhere = false
      // Another worker's claim, its transaction still open while the claim by id starts.
      const elsewhere = runtime.db.transaction().execute(async (tx) => {
        await sql`update flow_runs set state = 'running', lease_until = now() + interval '10 minutes' where id = ${id}`.execute(
          tx,
        )
        claimedElsewhere = true
        await held
      })
      while (!claimedElsewhere) await new Promise((resolve) => setTimeout(resolve, 10))
      const byId = finishAndClaimFlowRuns(runtime.db, [], [], { limit: 5, leaseSeconds: 30, offered: [id] })
      // It waits for the other transaction rather than skipping or claiming over it.
      const early = await Promise.race([
        byId.then(() => 'answered'),
        new Promise((r) => setTimeout(() => r('waiting'), 300)),
      ])
      expect(early).toBe('waiting')
      commit()
      await elsewhere
      const answer = await byId
      expect(answer.offered?.claimed).toEqual([])
      // The other worker's lease stands (10 minutes, not this claim's 30 seconds).
      const lease = await sql<{ long: boolean }>`
        select lease_until > now() + interval '5 minutes' as long from flow_runs where id = ${id}`.execute(
        runtime.db,
      )
      expect(lease.rows[0]?.long).toBe(true)
      await sql`update flow_runs set state = 'cancelled', completed_at = now(), lease_until = null where id = ${id}`.execute(
        runtime.db,
      )
    },
  )

  it.skipIf(!storeModeAvailable(mode))(
    'claims offered runs by id along with ends: only those still queued, oldest first, within the flow limit',
    async () => {
      const definition = { concurrency: 3, trigger: { type: 'unify.completed' }, actions: {} }
      const id = (i: number) => `offer-${mode}-${i}`
      for (let i = 1; i <= 6; i++)
        await insertFlowRuns(runtime.db, [
          { id: id(i), instanceId: 'acme', flowName: 'Offered', eventId: `oe-${i}`, definition, trigger: {} },
        ])
      // Run 1 is running (claimed elsewhere) and run 2 has ended: neither is claimed again.
      await sql`update flow_runs set state = 'running', lease_until = now() + interval '1 minute' where id = ${id(1)}`.execute(
        runtime.db,
      )
      await sql`update flow_runs set state = 'succeeded', completed_at = now() where id = ${id(2)}`.execute(
        runtime.db,
      )
      // Offered in another order than they were requested: claimed oldest first, two of them
      // (run 1 holds one of the flow's 3 slots); run 6 is left queued, and said so.
      const offered = [id(6), id(2), id(4), id(1), id(3), id(5)]
      const first = await finishAndClaimFlowRuns(runtime.db, [], [], { limit: 10, leaseSeconds: 30, offered })
      expect(first.offered?.claimed.sort()).toEqual([id(3), id(4)])
      expect(first.offered?.left.sort()).toEqual([id(5), id(6)])
      expect(first.claimed).toEqual([])
      const state = async (i: number) => (await getFlowRun(runtime.db, id(i)))?.state
      expect([await state(3), await state(4), await state(5), await state(6)]).toEqual([
        'running',
        'running',
        'queued',
        'queued',
      ])
      // Ending run 1 frees its slot in the same statement that claims run 5 for it; the limit
      // of the statement holds too (1 of 2 left).
      const second = await finishAndClaimFlowRuns(
        runtime.db,
        [{ id: id(1), outcome: { state: 'succeeded' } }],
        [],
        { limit: 1, leaseSeconds: 30, offered: [id(5), id(6)] },
      )
      expect(second.finished.map((r) => r.id)).toEqual([id(1)])
      expect(second.offered).toEqual({ claimed: [id(5)], left: [id(6)] })
      expect(await state(6)).toBe('queued')
    },
  )

  it.skipIf(!storeModeAvailable(mode))(
    'starts runs as it creates them for the slots set aside: oldest first, each flow within its concurrency counting runs running in the store',
    async () => {
      const definition = (concurrency: number) => ({
        concurrency,
        trigger: { type: 'unify.completed' },
        actions: {},
      })
      const id = (i: number) => `start-${mode}-${i}`
      const run = (i: number, flowName: string, concurrency: number) => ({
        id: id(i),
        instanceId: 'acme',
        flowName,
        eventId: `se-${mode}-${i}`,
        definition: definition(concurrency),
      })
      // Flow A (concurrency 2) has a run running elsewhere, and one whose lease ran out (not counted).
      await insertFlowRuns(runtime.db, [run(1, 'Start A', 2), run(2, 'Start A', 2)])
      await sql`update flow_runs set state = 'running', lease_until = now() + interval '1 minute' where id = ${id(1)}`.execute(
        runtime.db,
      )
      await sql`update flow_runs set state = 'running', lease_until = now() - interval '1 second' where id = ${id(2)}`.execute(
        runtime.db,
      )
      const inserted = await insertFlowRunsStarting(
        runtime.db,
        [
          run(3, 'Start A', 2),
          run(4, 'Start A', 2),
          run(5, 'Start B', 5),
          // Already there: not created again, not started.
          run(1, 'Start A', 2),
          run(6, 'Start B', 5),
          run(7, 'Start B', 5),
        ],
        { slots: 3, leaseSeconds: 30 },
      )
      expect(inserted.created.sort()).toEqual([id(3), id(4), id(5), id(6), id(7)])
      // A: one slot left (run 1 running) → run 3; then B's in order until the three slots are used.
      expect(inserted.started.sort()).toEqual([id(3), id(5), id(6)])
      const rows = await sql<{ id: string; state: string; leased: boolean; at_creation: boolean }>`
        select id, state, lease_until > now() + interval '20 seconds' as leased, started_at = requested_at as at_creation
        from flow_runs where id in (${sql.join([3, 4, 5, 6, 7].map(id))}) order by id`.execute(runtime.db)
      expect(rows.rows.map((r) => [r.id, r.state, r.leased, r.at_creation])).toEqual([
        [id(3), 'running', true, true],
        [id(4), 'queued', null, null],
        [id(5), 'running', true, true],
        [id(6), 'running', true, true],
        [id(7), 'queued', null, null],
      ])
      // Nothing set aside: all queued, as insertFlowRuns makes them.
      const none = await insertFlowRunsStarting(runtime.db, [run(8, 'Start B', 5)], {
        slots: 0,
        leaseSeconds: 30,
      })
      expect(none).toEqual({ created: [id(8)], started: [] })
      // Its queued runs would stand before the next tests' in the queue.
      await sql`update flow_runs set state = 'cancelled', completed_at = now(), lease_until = null where id like ${`start-${mode}-%`}`.execute(
        runtime.db,
      )
    },
  )

  it.skipIf(!storeModeAvailable(mode))(
    "keeps a run's definition once per version and an event's run's trigger in the event; runs stored with their own copies read as before",
    async () => {
      const definition = {
        concurrency: 3,
        trigger: { type: 'unify.completed' },
        actions: { A: { type: 'compose' } },
      }
      const [event] = await appendEvents(runtime.db, 'acme', [
        { type: 'unify.completed', data: { customers: 7, nested: { list: [1, 'two'] } } as never },
      ])
      if (!event) throw new Error('no event appended')
      const manualTrigger = { type: 'manual', id: null, data: { by: 'test' } }
      const created = await insertFlowRuns(runtime.db, [
        { id: `slim-${mode}-1`, instanceId: 'acme', flowName: 'Slim', eventId: event.id, definition },
        // Same definition, its keys in another order: the same version.
        {
          id: `slim-${mode}-2`,
          instanceId: 'acme',
          flowName: 'Slim',
          eventId: null,
          definition: { actions: definition.actions, trigger: definition.trigger, concurrency: 3 },
          trigger: manualTrigger,
        },
      ])
      expect(created.sort()).toEqual([`slim-${mode}-1`, `slim-${mode}-2`])
      const rows = await sql<{
        id: string
        definition: unknown
        trigger: unknown
        concurrency: number
        hash: string
      }>`
        select id, definition, trigger, concurrency, definition_hash as hash from flow_runs
        where id like ${`slim-${mode}-%`} order by id`.execute(runtime.db)
      expect(rows.rows.map((r) => [r.definition, r.concurrency])).toEqual([
        [null, 3],
        [null, 3],
      ])
      expect(rows.rows[0]?.trigger).toBeNull()
      expect(rows.rows[1]?.trigger).toEqual(manualTrigger)
      expect(rows.rows[0]?.hash).toBe(rows.rows[1]?.hash)
      const versions = await sql<{ n: number }>`
        select count(*)::int as n from flow_definitions where hash = ${rows.rows[0]?.hash as string}`.execute(
        runtime.db,
      )
      expect(versions.rows[0]?.n).toBe(1)

      const fromEvent = await getFlowRun(runtime.db, `slim-${mode}-1`)
      expect(fromEvent?.definition).toEqual(definition)
      expect(fromEvent?.trigger).toEqual({
        type: event.type,
        id: event.id,
        occurredAt: event.occurredAt,
        instanceId: 'acme',
        data: event.data,
      })
      expect((await getFlowRun(runtime.db, `slim-${mode}-2`))?.trigger).toEqual(manualTrigger)
      // A claim hands the runs over whole, the two sharing one definition object.
      const claimed = (await claimFlowRuns(runtime.db, 10, 30)).filter((r) => r.flowName === 'Slim')
      expect(claimed.map((r) => r.id).sort()).toEqual([`slim-${mode}-1`, `slim-${mode}-2`])
      expect(claimed.find((r) => r.eventId)?.trigger).toEqual(fromEvent?.trigger)
      expect(claimed[0]?.definition).toBe(claimed[1]?.definition)
      expect(claimed[0]?.definition).toEqual(definition)

      // Definitions belong to their instance: the same one in another instance is its own row,
      // and goes with that instance.
      await upsertInstance(runtime.db, { id: `gone-${mode}`, name: 'Gone' })
      await insertFlowRuns(runtime.db, [
        {
          id: `gone-${mode}-1`,
          instanceId: `gone-${mode}`,
          flowName: 'Slim',
          eventId: null,
          definition,
          trigger: {},
        },
      ])
      const perInstance = sql<{ n: number }>`
        select count(*)::int as n from flow_definitions where hash = ${rows.rows[0]?.hash as string}`
      expect((await perInstance.execute(runtime.db)).rows[0]?.n).toBe(2)
      await sql`delete from instances where id = ${`gone-${mode}`}`.execute(runtime.db)
      expect((await perInstance.execute(runtime.db)).rows[0]?.n).toBe(1)

      // A run stored before migration 0013, with its own copies, reads (and is claimed) as it was.
      await sql`insert into flow_runs (id, instance_id, flow_name, event_id, state, definition, trigger)
        values (${`old-${mode}`}, 'acme', 'Old', ${event.id}, 'queued',
          ${JSON.stringify({ concurrency: 1, trigger: { type: 'x' }, actions: {} })}::jsonb, '{"type":"old"}'::jsonb)`.execute(
        runtime.db,
      )
      const old = await getFlowRun(runtime.db, `old-${mode}`)
      expect(old?.definition).toEqual({ concurrency: 1, trigger: { type: 'x' }, actions: {} })
      expect(old?.trigger).toEqual({ type: 'old' })
      const claimedOld = (await claimFlowRuns(runtime.db, 10, 30)).find((r) => r.id === `old-${mode}`)
      expect(claimedOld?.trigger).toEqual({ type: 'old' })
      expect(claimedOld?.definition).toEqual({ concurrency: 1, trigger: { type: 'x' }, actions: {} })
    },
  )

  it.skipIf(!storeModeAvailable(mode))('appends many events in one statement, in order', async () => {
    const appended = await appendEvents(
      runtime.db,
      'acme',
      Array.from({ length: 1500 }, (_, i) => ({
        type: 'segment.threshold.crossed' as const,
        data: { bulk: i } as never,
      })),
    )
    expect(appended).toHaveLength(1500)
    expect([...appended.map((e) => e.id)].sort()).toEqual(appended.map((e) => e.id))
    const stored = await listEvents(runtime.db, 'acme', { types: ['segment.threshold.crossed'], limit: 2000 })
    expect(stored.filter((e) => 'bulk' in e.data).map((e) => e.data.bulk)).toEqual(
      Array.from({ length: 1500 }, (_, i) => i),
    )
  })
})

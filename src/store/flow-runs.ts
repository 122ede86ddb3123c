import { createHash } from 'node:crypto'
import { type RawBuilder, sql } from 'kysely'
import { type DbOrTx, prepared } from './database.js'
import type { StoredEvent } from './events.js'
import { insertActionRecords, type RunActionRecord, recordActions } from './flow-run-actions.js'
import { instanceKnown, knownInstances } from './instances.js'
import { storableJson, storableText } from './safe-values.js'
import { stableJson } from './stable-json.js'
import type { FlowRunRow, FlowRunState } from './tables.js'

export interface FlowRun {
  id: string
  instanceId: string
  flowName: string
  eventId: string | null
  state: FlowRunState
  definition: Record<string, unknown>
  trigger: Record<string, unknown>
  rerunOf: string | null
  rerunFrom: string | null
  requestedAt: string
  startedAt: string | null
  completedAt: string | null
  durationMs: number | null
  error: { code: string; message: string } | null
}

/**
 * A run row as read (runRows): flow_runs with its definition from flow_definitions and, for an
 * event's run that keeps no trigger of its own, the event's columns (migration 0013).
 */
export type StoredRunRow = FlowRunRow & {
  stored_definition: Record<string, unknown> | null
  event_type: string | null
  event_occurred_at: Date | string | null
  event_data: Record<string, unknown> | null
}

export function toFlowRun(row: StoredRunRow): FlowRun {
  return {
    id: row.id,
    instanceId: row.instance_id,
    flowName: row.flow_name,
    eventId: row.event_id,
    state: row.state,
    definition: row.definition ?? row.stored_definition ?? {},
    trigger: row.trigger ?? storedEventTrigger(row),
    rerunOf: row.rerun_of,
    rerunFrom: row.rerun_from,
    requestedAt: row.requested_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    completedAt: row.completed_at?.toISOString() ?? null,
    durationMs:
      row.started_at && row.completed_at ? row.completed_at.getTime() - row.started_at.getTime() : null,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
  }
}

/** An event's run's trigger: the event's type, id, time, instance and data. */
export function eventTrigger(event: StoredEvent): Record<string, unknown> {
  return {
    type: event.type,
    id: event.id,
    occurredAt: event.occurredAt,
    instanceId: event.instanceId,
    data: event.data,
  }
}

/** The trigger of an event's run that keeps none of its own, from the event's columns. */
function storedEventTrigger(row: StoredRunRow): Record<string, unknown> {
  return {
    type: row.event_type,
    id: row.event_id,
    occurredAt: row.event_occurred_at === null ? null : new Date(row.event_occurred_at).toISOString(),
    instanceId: row.instance_id,
    data: row.event_data,
  }
}

/** Runs with what they point at: `where` filters `f` (flow_runs), `tail` orders and limits. */
function runRows(db: DbOrTx, where: RawBuilder<unknown>, tail: RawBuilder<unknown> = sql``) {
  return sql<StoredRunRow>`
    select f.*, d.definition as stored_definition,
      e.type as event_type, e.occurred_at as event_occurred_at, e.data as event_data
    from flow_runs f
    left join flow_definitions d on d.instance_id = f.instance_id and d.hash = f.definition_hash
    left join events e on f.trigger is null and e.id = f.event_id
    where ${where} ${tail}`.execute(db)
}

/** A definition's key in flow_definitions: the hash of its stable JSON. */
export function definitionHash(definition: Record<string, unknown>): string {
  return createHash('sha256').update(stableJson(definition)).digest('base64url')
}

export interface NewFlowRun {
  id: string
  instanceId: string
  flowName: string
  eventId: string | null
  definition: Record<string, unknown>
  /** Left out for an event's run whose trigger is the event's (the run reads it from the event). */
  trigger?: Record<string, unknown>
  rerunOf?: string | null
  rerunFrom?: string | null
}

/** Creates a queued run; for an event already started by this flow, returns undefined. */
export async function insertFlowRun(db: DbOrTx, run: NewFlowRun): Promise<FlowRun | undefined> {
  const [id] = await insertFlowRuns(db, [run])
  return id ? getFlowRun(db, id) : undefined
}

/**
 * Creates queued runs in one statement (the dispatcher's batch of events); answers the ids of
 * those created: a run whose id is taken is not created again (an event's run of a flow has an
 * id derived from both: see eventRunId).
 */
export async function insertFlowRuns(db: DbOrTx, runs: NewFlowRun[]): Promise<string[]> {
  return (await insertRuns(db, runs)).map((row) => row.id)
}

/** Slots a worker holds for runs created in the same statement (see insertFlowRunsStarting). */
export interface RunReservation {
  /** How many of the runs may start at once (the worker's free slots). */
  slots: number
  leaseSeconds: number
}

/**
 * Creates runs as insertFlowRuns does, and starts up to `reservation.slots` of them in the same
 * statement — as running, with the worker's lease, oldest first, each flow within its
 * concurrency counting the runs running in the store — so that the worker of the inserting
 * process takes them without a claim. The rest are queued. Answers the ids created, and which
 * of those were started.
 */
export async function insertFlowRunsStarting(
  db: DbOrTx,
  runs: NewFlowRun[],
  reservation: RunReservation,
): Promise<{ created: string[]; started: string[] }> {
  const rows = await insertRuns(db, runs, reservation.slots > 0 ? reservation : undefined)
  return {
    created: rows.map((row) => row.id),
    started: rows.filter((row) => row.state === 'running').map((row) => row.id),
  }
}

async function insertRuns(
  db: DbOrTx,
  runs: NewFlowRun[],
  reservation?: RunReservation,
): Promise<{ id: string; state: FlowRunState }[]> {
  if (runs.length === 0) return []
  // Each definition once per instance and statement (a batch's runs usually share a few).
  const hashes = new Map<Record<string, unknown>, string>()
  const definitions = new Map<
    string,
    { instanceId: string; hash: string; definition: Record<string, unknown> }
  >()
  for (const run of runs) {
    let hash = hashes.get(run.definition)
    if (!hash) {
      hash = definitionHash(run.definition)
      hashes.set(run.definition, hash)
    }
    definitions.set(`${run.instanceId}\u0000${hash}`, {
      instanceId: run.instanceId,
      hash,
      definition: run.definition,
    })
  }
  const stored = [...definitions.values()]
  // Definitions and runs as jsonb documents of rows (see insertActionRecords: cheaper than an array per column).
  const rows = runs.map((r, place) => ({
    id: r.id,
    instance_id: r.instanceId,
    flow_name: r.flowName,
    event_id: r.eventId,
    definition_hash: hashes.get(r.definition) as string,
    concurrency: concurrencyOf(r.definition),
    trigger: r.trigger ?? null,
    rerun_of: r.rerunOf ?? null,
    rerun_from: r.rerunFrom ?? null,
    place,
  }))
  const definitionsCte = sql`stored as (
      insert into flow_definitions (instance_id, hash, definition)
      select instance_id, hash, definition
      from jsonb_to_recordset(${storableJson(stored.map((d) => ({ instance_id: d.instanceId, hash: d.hash, definition: d.definition })))}::jsonb)
        as d (instance_id text, hash text, definition jsonb)
      on conflict (instance_id, hash) do nothing
    )`
  const rowsSource = sql`jsonb_to_recordset(${storableJson(rows)}::jsonb)
      as r (id text, instance_id text, flow_name text, event_id text, definition_hash text, concurrency int,
        trigger jsonb, rerun_of text, rerun_from text, place int)`
  const instances = knownInstances([...new Set(runs.map((run) => run.instanceId))])
  if (!reservation) {
    const result = await prepared(sql<{ id: string; state: FlowRunState }>`
    with ${definitionsCte}, ${instances}
    insert into flow_runs (id, instance_id, flow_name, event_id, state, definition_hash, concurrency, trigger, rerun_of, rerun_from)
    select id, instance_id, flow_name, event_id, 'queued', definition_hash, concurrency, trigger, rerun_of, rerun_from
    from ${rowsSource}
    where ${instanceKnown(sql`r.instance_id`)}
    on conflict (id) do nothing
    returning id, state`).execute(db)
    return result.rows
  }
  // As a claim picks (pickAndClaim): each flow's runs in order after those running in the store.
  const result = await prepared(sql<{ id: string; state: FlowRunState }>`
    with ${definitionsCte}, ${instances},
    new_runs as materialized (select * from ${rowsSource}),
    ${runningPerFlow(sql`new_runs`, [])},
    ranked as (
      select r.id, r.place, r.concurrency,
        row_number() over (partition by r.instance_id, r.flow_name order by r.place) + coalesce(b.n, 0) as taken
      from new_runs r
      left join busy b on b.instance_id = r.instance_id and b.flow_name = r.flow_name
    ),
    starting as (
      select id from ranked where taken <= concurrency order by place limit ${reservation.slots}
    )
    insert into flow_runs (id, instance_id, flow_name, event_id, state, definition_hash, concurrency, trigger,
      rerun_of, rerun_from, started_at, lease_until)
    select r.id, r.instance_id, r.flow_name, r.event_id, case when s.id is null then 'queued' else 'running' end,
      r.definition_hash, r.concurrency, r.trigger, r.rerun_of, r.rerun_from,
      case when s.id is null then null else now() end,
      case when s.id is null then null else now() + make_interval(secs => ${reservation.leaseSeconds}) end
    from new_runs r left join starting s on s.id = r.id
    where ${instanceKnown(sql`r.instance_id`)}
    on conflict (id) do nothing
    returning id, state`).execute(db)
  return result.rows
}

/** A definition's limit on runs in flight (10 unless it says). */
function concurrencyOf(definition: Record<string, unknown>): number {
  const value = definition.concurrency
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : 10
}

export async function getFlowRun(db: DbOrTx, id: string): Promise<FlowRun | undefined> {
  const [row] = (await runRows(db, sql`f.id = ${id}`)).rows
  return row ? toFlowRun(row) : undefined
}

export async function listFlowRuns(
  db: DbOrTx,
  instanceId: string,
  filter: { flowName?: string | undefined; state?: string | undefined; limit: number },
): Promise<FlowRun[]> {
  const conditions = [sql`f.instance_id = ${instanceId}`]
  if (filter.flowName) conditions.push(sql`f.flow_name = ${filter.flowName}`)
  if (filter.state) conditions.push(sql`f.state = ${filter.state}`)
  const { rows } = await runRows(
    db,
    sql.join(conditions, sql` and `),
    sql`order by f.requested_at desc, f.id desc limit ${filter.limit}`,
  )
  return rows.map(toFlowRun)
}

/**
 * Takes a run to execute: a queued one when fewer than `concurrency` runs of its flow are
 * running, or a running one whose worker's lease ran out (resumed). The lease is this worker's
 * for `leaseSeconds`; renew it while working.
 */
export async function claimFlowRun(
  db: DbOrTx,
  id: string,
  concurrency: number,
  leaseSeconds: number,
): Promise<'claimed' | 'busy' | 'gone'> {
  const result = await sql<{ id: string }>`
    update flow_runs r set state = 'running', started_at = coalesce(r.started_at, now()),
      lease_until = now() + make_interval(secs => ${leaseSeconds})
    where r.id = ${id} and (
      (r.state = 'queued' and (
        select count(*) from flow_runs o
        where o.instance_id = r.instance_id and o.flow_name = r.flow_name and o.state = 'running'
          and o.lease_until > now()) < ${concurrency})
      or (r.state = 'running' and (r.lease_until is null or r.lease_until <= now())))
    returning r.id`.execute(db)
  if (result.rows.length > 0) return 'claimed'
  const row = await db.selectFrom('flow_runs').select('state').where('id', '=', id).executeTakeFirst()
  return row && (row.state === 'queued' || row.state === 'running') ? 'busy' : 'gone'
}

/**
 * Writes that runs a worker started without a claim (see the flow run worker's sole mode) are
 * running, from when they started, with its lease: only runs still queued in the store.
 */
export async function markFlowRunsRunning(
  db: DbOrTx,
  runs: { id: string; startedAt: string }[],
  leaseSeconds: number,
): Promise<void> {
  if (runs.length === 0) return
  await prepared(sql`
    update flow_runs f set state = 'running', started_at = s.started_at,
      lease_until = now() + make_interval(secs => ${leaseSeconds})
    from unnest(${runs.map((r) => r.id)}::text[], ${runs.map((r) => r.startedAt)}::timestamptz[]) as s (id, started_at)
    where f.id = s.id and f.state = 'queued'`).execute(db)
}

/**
 * Ends the leases of every running run: for a worker that knows it is the only one on its store
 * (embedded mode, a process at a time), any run still marked running was left by a process that
 * died, and is taken up again at once instead of when its lease would have run out.
 */
export async function expireRunningLeases(db: DbOrTx): Promise<number> {
  const result = await db
    .updateTable('flow_runs')
    .set({ lease_until: sql`now()` })
    .where('state', '=', 'running')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '>', sql<Date>`now()`)]))
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

export async function renewFlowRunLease(db: DbOrTx, id: string, leaseSeconds: number): Promise<boolean> {
  const result = await db
    .updateTable('flow_runs')
    .set({ lease_until: sql`now() + make_interval(secs => ${leaseSeconds})` })
    .where('id', '=', id)
    .where('state', '=', 'running')
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

export type FlowRunOutcome = {
  state: 'succeeded' | 'failed' | 'cancelled'
  error?: { code: string; message: string } | undefined
  /** When the run started, for a run whose start was not written (see markFlowRunsRunning). */
  startedAt?: string | undefined
}

/** A run as its end left it. */
export type EndedFlowRun = Pick<FlowRun, 'id' | 'state' | 'completedAt' | 'error'>

export async function finishFlowRun(
  db: DbOrTx,
  id: string,
  outcome: FlowRunOutcome,
): Promise<EndedFlowRun | undefined> {
  return (await finishFlowRuns(db, [{ id, outcome }]))[0]
}

/**
 * Ends runs that are still queued or running, in one statement with `records` (their last
 * actions', say), so that those commit together with the ends. Answers the runs it ended; one
 * already ended elsewhere is left out.
 */
export async function finishFlowRuns(
  db: DbOrTx,
  runs: { id: string; outcome: FlowRunOutcome }[],
  records: RunActionRecord[] = [],
): Promise<EndedFlowRun[]> {
  return (await finishAndClaimFlowRuns(db, runs, records, { limit: 0, leaseSeconds: 0 })).finished
}

/**
 * Ends runs (as finishFlowRuns) and, in the same statement, claims up to `claim.limit` runs to
 * execute next (as claimFlowRuns, counting the runs it ends as no longer running): a worker's
 * slots are refilled as they free, without a claim of their own.
 */
export async function finishAndClaimFlowRuns(
  db: DbOrTx,
  runs: { id: string; outcome: FlowRunOutcome }[],
  records: RunActionRecord[],
  claim: ClaimRequest,
): Promise<{ finished: EndedFlowRun[]; claimed: FlowRun[]; offered?: OfferedClaim }> {
  if (runs.length === 0 && claim.limit <= 0) {
    await recordActions(db, records)
    return { finished: [], claimed: [] }
  }
  if (claim.limit > 0 && claim.offered) return finishAndClaimOffered(db, runs, records, claim, claim.offered)
  const { ends, endingIds } = endCtes(runs, records)
  // Every access to flow_runs below goes through its primary key (= any of an array) or an
  // ordered partial index, whatever the planner estimates: a queue's statistics are usually
  // taken while it is empty (1 queued run, it believes), and a prepared statement keeps its plan.
  const result = await prepared(sql<ClaimResult>`
    with ${ends},
    ${claimCtes(claim.limit, claim.leaseSeconds, endingIds)}
    select
      (select coalesce(json_agg(id), '[]') from finished) as finished, now() as ended_at,
      (select coalesce(json_agg(c), '[]') from (
        select claimed.*, e.type as event_type, e.occurred_at as event_occurred_at, e.data as event_data
        from claimed left join events e on claimed.trigger is null and e.id = claimed.event_id) c) as claimed,
      -- Each definition the claimed runs point at, once.
      (select coalesce(json_object_agg(d.hash, d.definition), '{}') from (
        select distinct on (hash) hash, definition from flow_definitions
        where (instance_id, hash) in (select instance_id, definition_hash from claimed)) d) as definitions`).execute(
    db,
  )
  const row = result.rows[0] as ClaimResult
  return {
    finished: endedRuns(runs, row.finished, row.ended_at),
    claimed: row.claimed.map((claimed) => fromJsonRow(claimed, row.definitions)),
  }
}

/** A claim along with ends: how many runs, for how long, and which (see finishAndClaimFlowRuns). */
export interface ClaimRequest {
  limit: number
  leaseSeconds: number
  /**
   * Claim only these queued runs (oldest first, each flow within its concurrency): runs this
   * process's dispatcher created and offered, whose rows it has in memory already. Without it,
   * the oldest queued runs of the store and those whose lease ran out are claimed.
   */
  offered?: string[] | undefined
}

/** What a claim of offered runs found: the ids claimed, and those still queued it left (their flow was busy). */
export interface OfferedClaim {
  claimed: string[]
  left: string[]
}

/**
 * Ends runs and claims some of the runs offered (ClaimRequest.offered) in one statement: only
 * those ids are looked at (no search of the queue), and only ids come back (the caller has the
 * runs), so the statement reads and sends far less than a claim from the whole queue.
 */
async function finishAndClaimOffered(
  db: DbOrTx,
  runs: { id: string; outcome: FlowRunOutcome }[],
  records: RunActionRecord[],
  claim: ClaimRequest,
  offered: string[],
): Promise<{ finished: EndedFlowRun[]; claimed: FlowRun[]; offered: OfferedClaim }> {
  const { ends, endingIds } = endCtes(runs, records)
  // By primary key: with the state in the same scan, the planner went through the whole index
  // of queued runs instead, testing each against the ids (offset 0 keeps the two apart).
  const candidates = sql`
    select id, instance_id, flow_name, requested_at, concurrency from (
      select id, instance_id, flow_name, requested_at, state,
        coalesce(concurrency, (definition ->> 'concurrency')::int, 10) as concurrency
      from flow_runs where id = any(${offered}::text[]) offset 0) o
    where state = 'queued'`
  const result = await prepared(sql<OfferedResult>`
    with ${ends},
    ${rankedCandidates(sql`candidates as (${candidates})`, endingIds)},
    claimed as (
      -- Without locking the rows first (as the claim from the whole queue does, to skip those
      -- other claimers hold): these runs were offered to this process alone. The update checks
      -- its condition on the state again on the newest version of a row that another
      -- transaction changed meanwhile, so a run claimed elsewhere is not claimed twice. The state
      -- is compared through coalesce so that the planner does not match the partial index of
      -- queued runs and read every queued run to find these few.
      update flow_runs f set state = 'running', started_at = coalesce(f.started_at, now()),
        lease_until = now() + make_interval(secs => ${claim.leaseSeconds})
      where f.id = any(array(select id from ranked where place + busy <= concurrency order by id limit ${claim.limit}))
        and coalesce(f.state, '') = 'queued'
      returning f.id
    )
    select
      (select coalesce(json_agg(id), '[]') from finished) as finished, now() as ended_at,
      (select coalesce(json_agg(id), '[]') from claimed) as claimed,
      (select coalesce(json_agg(id), '[]') from candidates where id not in (select id from claimed)) as left`).execute(
    db,
  )
  const row = result.rows[0] as OfferedResult
  return {
    finished: endedRuns(runs, row.finished, row.ended_at),
    claimed: [],
    offered: { claimed: row.claimed, left: row.left },
  }
}

/** The common table expressions `recorded` (the records) and `finished` (the runs ended). */
function endCtes(runs: { id: string; outcome: FlowRunOutcome }[], records: RunActionRecord[]) {
  const recorded = records.length > 0 ? sql`recorded as (${insertActionRecords(records)}),` : sql``
  const endingIds = runs.map((r) => r.id)
  const outcomes = Object.fromEntries(
    runs.map((r) => [
      r.id,
      {
        state: r.outcome.state,
        code: r.outcome.error?.code ?? null,
        message: r.outcome.error?.message ?? null,
        startedAt: r.outcome.startedAt ?? null,
      },
    ]),
  )
  const ends = sql`${recorded}
    finished as (
      -- Each run's outcome looked up by its id in one jsonb object (keys kept sorted: a binary
      -- search), not joined: a join of the ids' array with the runs was planned as a nested loop
      -- that went over every outcome for every run (2,450 comparisons for 50 ends, 80% of it).
      update flow_runs f set state = o.outcome -> f.id ->> 'state', completed_at = now(), lease_until = null,
        started_at = coalesce(f.started_at, (o.outcome -> f.id ->> 'startedAt')::timestamptz),
        error_code = o.outcome -> f.id ->> 'code', error_message = o.outcome -> f.id ->> 'message'
      from (select ${storableJson(outcomes)}::jsonb as outcome) o
      where f.id = any(${endingIds}::text[]) and f.state in ('queued', 'running')
      returning f.id
    )`
  return { ends, endingIds }
}

/**
 * The runs a statement ended (`ids`, from `finished`), as the store now has them: what the
 * statement wrote is what it was given, and its completion time the transaction's (now()), so
 * only ids come back (with the time once) rather than each row's columns.
 */
function endedRuns(
  runs: { id: string; outcome: FlowRunOutcome }[],
  ids: string[],
  endedAt: string | Date,
): EndedFlowRun[] {
  const completedAt = new Date(endedAt).toISOString()
  const outcomes = new Map(runs.map((run) => [run.id, run.outcome]))
  return ids.flatMap((id) => {
    const outcome = outcomes.get(id)
    if (!outcome) return []
    const error = outcome.error?.code
      ? // Stored as storableJson sent it: NULs as U+FFFD.
        {
          code: storableText(outcome.error.code),
          message: storableText(outcome.error.message ?? ''),
        }
      : null
    return [{ id, state: outcome.state, completedAt, error }]
  })
}

type OfferedResult = { finished: string[]; ended_at: Date; claimed: string[]; left: string[] }

type ClaimResult = {
  finished: string[]
  ended_at: Date
  claimed: JsonFlowRunRow[]
  definitions: Record<string, Record<string, unknown>>
}

/** A claimed run as json_agg renders it (timestamps as text), with its state before the claim. */
type JsonFlowRunRow = Omit<
  StoredRunRow,
  'requested_at' | 'started_at' | 'completed_at' | 'lease_until' | 'stored_definition'
> & {
  requested_at: string
  started_at: string | null
  completed_at: string | null
  lease_until: string | null
  prev_state: FlowRunState
}
function fromJsonRow(row: JsonFlowRunRow, definitions: ClaimResult['definitions']): FlowRun {
  const date = (value: string | null) => (value === null ? null : new Date(value))
  return {
    ...toFlowRun({
      ...row,
      // One object per definition: runs of a flow share it (and what the engine works out from it).
      stored_definition: row.definition_hash ? (definitions[row.definition_hash] ?? null) : null,
      requested_at: new Date(row.requested_at),
      started_at: date(row.started_at),
      completed_at: date(row.completed_at),
      lease_until: date(row.lease_until),
    }),
    // As it was before the claim: a fresh queued run has nothing recorded to replay.
    state: row.prev_state,
  }
}

/**
 * The claim, as common table expressions in the statement that ends `endingIds` (which count as
 * no longer running): `claimed` holds the runs claimed, with their state before.
 */
function claimCtes(limit: number, leaseSeconds: number, endingIds: string[]) {
  if (limit <= 0) return sql`claimed as (select f.*, f.state as prev_state from flow_runs f where false)`
  return pickAndClaim(
    sql`
    -- The oldest queued runs (in the order of their index: see migration 0014) and runs whose
    -- worker's lease ran out.
    -- Only the runs picked from them are locked (SKIP LOCKED: concurrent claimers take others).
    queued as (select * from oldest_queued_flow_runs(${limit * 4})),
    expired as (
      select id, instance_id, flow_name, requested_at, coalesce(concurrency, (definition ->> 'concurrency')::int, 10) as concurrency
      from flow_runs
      where state = 'running' and lease_until <= now() and id <> all(${endingIds}::text[])
      limit ${limit * 4}
    ),
    candidates as (select * from queued union all select * from expired)`,
    limit,
    leaseSeconds,
    endingIds,
  )
}

/**
 * `busy` (instance_id, flow_name, n): the runs running (lease not run out) of each flow in the
 * common table expression `source`, but those in `endingIds` — from the index of running runs,
 * counted once per flow (materialized), not once per row when a join is planned as a nested loop.
 */
function runningPerFlow(source: RawBuilder<unknown>, endingIds: string[]) {
  return sql`busy as materialized (
      select w.instance_id, w.flow_name, (
        select count(*) from flow_runs o
        where o.instance_id = w.instance_id and o.flow_name = w.flow_name and o.state = 'running'
          and o.lease_until > now() and o.id <> all(${endingIds}::text[])
      ) as n
      from (select distinct instance_id, flow_name from ${source}) w
    )`
}

/**
 * `candidates` (a common table expression of id, instance_id, flow_name, requested_at,
 * concurrency), `busy` (runningPerFlow) and `ranked`: each candidate's place in its flow, oldest
 * first, and its flow's runs running but those in `endingIds` — a candidate may start when
 * place + busy <= concurrency.
 */
function rankedCandidates(candidates: RawBuilder<unknown>, endingIds: string[]) {
  return sql`
    ${candidates},
    ${runningPerFlow(sql`candidates`, endingIds)},
    ranked as (
      select c.id, c.concurrency,
        row_number() over (partition by c.instance_id, c.flow_name order by c.requested_at, c.id) as place,
        coalesce(b.n, 0) as busy
      from candidates c
      left join busy b on b.instance_id = c.instance_id and b.flow_name = c.flow_name
    )`
}

/**
 * From `candidates` (id, instance_id, flow_name, requested_at, concurrency: common table
 * expressions ending in one named candidates), picks up to `limit`, oldest first, each flow
 * within its concurrency counting the runs running (but those in `endingIds`), and claims them:
 * `picked` (with each run's state before) and `claimed` (the rows after).
 */
function pickAndClaim(
  candidates: RawBuilder<unknown>,
  limit: number,
  leaseSeconds: number,
  endingIds: string[],
) {
  return sql`
    ${rankedCandidates(candidates, endingIds)},
    picked as (
      select f.id, f.state as prev_state
      from flow_runs f
      where f.id = any(array(select id from ranked where place + busy <= concurrency order by id limit ${limit}))
        and (f.state = 'queued' or (f.state = 'running' and f.lease_until <= now()))
      for update skip locked
    ),
    claimed as (
      -- Not joined with picked: on a table its statistics still call tiny (a fresh database,
      -- before the first analyze) that join was planned as a nested loop with a sequential scan
      -- of flow_runs for every picked run (21 ms for 50). Each run's state before the claim is
      -- looked up among the picked ones instead.
      update flow_runs f set state = 'running', started_at = coalesce(f.started_at, now()),
        lease_until = now() + make_interval(secs => ${leaseSeconds})
      where f.id = any(array(select id from picked))
      returning f.*, (select p.prev_state from picked p where p.id = f.id) as prev_state
    )`
}

/**
 * Claims up to `limit` runs to execute, oldest first: queued ones, and running ones whose lease
 * ran out (their worker died). Each flow's `concurrency` holds across the batch and the runs
 * already running. SKIP LOCKED lets any number of workers claim at once.
 */
export async function claimFlowRuns(db: DbOrTx, limit: number, leaseSeconds: number): Promise<FlowRun[]> {
  return (await finishAndClaimFlowRuns(db, [], [], { limit, leaseSeconds })).claimed
}

import { sql } from 'kysely'
import type { DbOrTx } from './database.js'
import { storableJson } from './safe-values.js'
import type { FullRefreshStep, RunState } from './tables.js'

/**
 * One lifecycle for the tracked runs of an instance — unification, measures and segments, and
 * the full refresh that chains them: queued → running → succeeded | failed | cancelled, each end
 * recorded once (a conditional update). The tables differ only in what a run carries besides
 * (stats, or a full refresh's steps).
 */
export const RUN_TABLES = {
  unify: 'unify_runs',
  insights: 'insight_runs',
  'full-refresh': 'full_refreshes',
} as const
export type RunKind = keyof typeof RUN_TABLES

/** What every run has. */
export interface RunBase {
  id: string
  instanceId: string
  state: RunState
  reason: string
  requestedAt: string
  startedAt: string | null
  completedAt: string | null
  durationMs: number | null
  error: { code: string; message: string } | null
}

/** A unification or measures-and-segments run. */
export interface Run extends RunBase {
  /** The full refresh it is a step of, if any. */
  fullRefreshId: string | null
  stats: Record<string, number> | null
}

/** A full refresh: its steps, and the share of them that have ended. */
export interface FullRefresh extends RunBase {
  steps: FullRefreshStep[]
  /** 0..1: the share of steps that have ended. */
  fraction: number
}

interface RunRow {
  id: string
  instance_id: string
  state: RunState
  reason: string
  requested_at: Date
  started_at: Date | null
  completed_at: Date | null
  error_code: string | null
  error_message: string | null
  full_refresh_id?: string | null
  stats?: Record<string, number> | null
  steps?: FullRefreshStep[]
}

const STEP_ENDED = new Set(['succeeded', 'failed', 'skipped', 'cancelled'])

function toBase(row: RunRow): RunBase {
  return {
    id: row.id,
    instanceId: row.instance_id,
    state: row.state,
    reason: row.reason,
    requestedAt: new Date(row.requested_at).toISOString(),
    startedAt: row.started_at ? new Date(row.started_at).toISOString() : null,
    completedAt: row.completed_at ? new Date(row.completed_at).toISOString() : null,
    durationMs:
      row.started_at && row.completed_at
        ? new Date(row.completed_at).getTime() - new Date(row.started_at).getTime()
        : null,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
  }
}

export function toRun(row: RunRow): Run {
  return { ...toBase(row), fullRefreshId: row.full_refresh_id ?? null, stats: row.stats ?? null }
}

export function toFullRefresh(row: RunRow): FullRefresh {
  const steps = row.steps ?? []
  return {
    ...toBase(row),
    steps,
    fraction: steps.length ? steps.filter((s) => STEP_ENDED.has(s.state)).length / steps.length : 0,
  }
}

/** What a run of each kind reads as. */
export type RunOf<K extends RunKind> = K extends 'full-refresh' ? FullRefresh : Run

function mapped<K extends RunKind>(kind: K, row: RunRow): RunOf<K> {
  return (kind === 'full-refresh' ? toFullRefresh(row) : toRun(row)) as RunOf<K>
}

const table = (kind: RunKind) => sql.table(RUN_TABLES[kind])
/**
 * `state = 'x'` or `state in ('x', 'y')` with literals (constants of this module): ON CONFLICT
 * infers a partial unique index only from a predicate written as the index's is.
 */
const stateIn = (list: readonly RunState[]) =>
  sql.raw(list.length === 1 ? `state = '${list[0]}'` : `state in (${list.map((s) => `'${s}'`).join(', ')})`)

/**
 * Queues a run, or returns the one it joins: the one already queued (it will see the same
 * data), or for a full refresh also the one running (one at a time per instance).
 */
export async function queueRun<K extends RunKind>(
  db: DbOrTx,
  kind: K,
  run: {
    id: string
    instanceId: string
    reason: string
    fullRefreshId?: string | undefined
    steps?: FullRefreshStep[]
  },
): Promise<{ run: RunOf<K>; created: boolean }> {
  const joins: RunState[] = kind === 'full-refresh' ? ['queued', 'running'] : ['queued']
  const extra =
    kind === 'full-refresh'
      ? sql`, steps) values (${run.id}, ${run.instanceId}, 'queued', ${run.reason}, ${storableJson(run.steps ?? [])}::jsonb)`
      : sql`, full_refresh_id) values (${run.id}, ${run.instanceId}, 'queued', ${run.reason}, ${run.fullRefreshId ?? null})`
  const inserted = await sql<RunRow>`
    insert into ${table(kind)} (id, instance_id, state, reason${extra}
    on conflict (instance_id) where ${stateIn(joins)} do nothing
    returning *`.execute(db)
  if (inserted.rows[0]) return { run: mapped(kind, inserted.rows[0]), created: true }
  const active = await sql<RunRow>`
    select * from ${table(kind)} where instance_id = ${run.instanceId} and ${stateIn(joins)}
    limit 1`.execute(db)
  if (!active.rows[0]) throw new Error(`${kind} run of ${run.instanceId}: neither queued nor found`)
  return { run: mapped(kind, active.rows[0]), created: false }
}

export async function getRun<K extends RunKind>(
  db: DbOrTx,
  kind: K,
  instanceId: string,
  id: string,
): Promise<RunOf<K> | undefined> {
  const result = await sql<RunRow>`
    select * from ${table(kind)} where instance_id = ${instanceId} and id = ${id}`.execute(db)
  return result.rows[0] && mapped(kind, result.rows[0])
}

/** Newest first. */
export async function listRuns<K extends RunKind>(
  db: DbOrTx,
  kind: K,
  instanceId: string,
  limit: number,
): Promise<RunOf<K>[]> {
  const result = await sql<RunRow>`
    select * from ${table(kind)} where instance_id = ${instanceId}
    order by requested_at desc, id desc limit ${limit}`.execute(db)
  return result.rows.map((row) => mapped(kind, row))
}

/**
 * Moves a queued run to running — or keeps an interrupted running one running, for a retried
 * job (its start time kept). Undefined when it has ended.
 */
export async function startRun<K extends RunKind>(
  db: DbOrTx,
  kind: K,
  id: string,
): Promise<RunOf<K> | undefined> {
  const result = await sql<RunRow>`
    update ${table(kind)} set state = 'running', started_at = coalesce(started_at, now())
    where id = ${id} and state in ('queued', 'running')
    returning *`.execute(db)
  return result.rows[0] && mapped(kind, result.rows[0])
}

/**
 * Ends a run once: from running (or, to cancel it, from queued too). Undefined when it had
 * already ended — its outcome was recorded by whoever ended it first.
 */
export async function finishRun<K extends RunKind>(
  db: DbOrTx,
  kind: K,
  id: string,
  outcome: {
    state: 'succeeded' | 'failed' | 'cancelled'
    stats?: Record<string, number> | undefined
    steps?: FullRefreshStep[] | undefined
    error?: { code: string; message: string } | undefined
  },
): Promise<RunOf<K> | undefined> {
  const from: RunState[] = outcome.state === 'cancelled' ? ['queued', 'running'] : ['running']
  const carried =
    kind === 'full-refresh'
      ? sql`steps = coalesce(${outcome.steps ? storableJson(outcome.steps) : null}::jsonb, steps)`
      : sql`stats = ${outcome.stats ? storableJson(outcome.stats) : null}::jsonb`
  const result = await sql<RunRow>`
    update ${table(kind)} set state = ${outcome.state}, started_at = coalesce(started_at, now()),
      completed_at = now(), ${carried},
      error_code = ${outcome.error?.code ?? null}, error_message = ${outcome.error?.message ?? null}
    where id = ${id} and ${stateIn(from)}
    returning *`.execute(db)
  return result.rows[0] && mapped(kind, result.rows[0])
}

/**
 * Saves a running full refresh's steps as they progress; false once it has ended (cancelled,
 * say), so its orchestrator stops.
 */
export async function saveFullRefreshSteps(
  db: DbOrTx,
  id: string,
  steps: FullRefreshStep[],
): Promise<boolean> {
  const result = await db
    .updateTable('full_refreshes')
    .set({ steps: storableJson(steps) })
    .where('id', '=', id)
    .where('state', '=', 'running')
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

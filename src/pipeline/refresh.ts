/**
 * The full refresh: every data source (in parallel, as refresh jobs) → unification → measures and
 * segments, as one tracked run. Each step is the ordinary job of its kind, tagged with the full
 * refresh so the triggers that chain steps on their own leave it alone; this orchestrator waits
 * on them, records each step's outcome, and ends with `refresh.full.completed`. A failed source
 * fails its step only: unification and measures run on the last good version of its data, and
 * the summary says which step failed.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { AppError, notFound } from '../errors.js'
import { appendEvent, type FullRefreshCompletedEventData } from '../events/index.js'
import { newId } from '../ids.js'
import type { JobQueue } from '../jobs/index.js'
import { listDataSources } from '../store/data-sources.js'
import type { Db, DbOrTx } from '../store/database.js'
import { getInsightConfig } from '../store/insights.js'
import { queueRefresh } from '../store/refreshes.js'
import {
  type FullRefresh,
  finishRun,
  getRun,
  queueRun,
  saveFullRefreshSteps,
  startRun,
} from '../store/runs.js'
import type { FullRefreshStep } from '../store/tables.js'
import { getUnifyConfig } from '../store/unify.js'
import { cancelRefresh } from './request-refresh.js'
import { requestRun } from './request-run.js'

export interface FullRefreshContext {
  db: Db
  jobs: JobQueue
  onEventsAppended: () => void
  log: (message: string) => void
  /** How often to look at the steps' jobs (default 250 ms). */
  pollMs?: number
  /**
   * How long a full refresh may take in all (its steps have watchdogs of their own; this ends one
   * whose step never even starts, say for want of a worker). Default 6 h.
   */
  maxMs?: number
}

const pending = (name: string, kind: FullRefreshStep['kind']): FullRefreshStep => ({
  name,
  kind,
  state: 'pending',
  runId: null,
  startedAt: null,
  completedAt: null,
  durationMs: null,
  counts: null,
  error: null,
})

/** Plans and queues a full refresh of an instance; joins the one already under way. */
export async function requestFullRefresh(
  db: Db,
  jobs: JobQueue,
  instanceId: string,
  reason: string,
): Promise<{ fullRefresh: FullRefresh; created: boolean }> {
  const result = await db.transaction().execute(async (tx) => {
    const sources = await listDataSources(tx, instanceId)
    if (sources.length === 0)
      throw new AppError(
        'NoDataSources',
        `instance '${instanceId}' has no data sources; add some with 'openinsights apply'`,
        { target: 'sources' },
      )
    const insights = await getInsightConfig(tx, instanceId)
    const steps = [
      ...sources.map((s) => pending(`source:${s.name}`, 'source')),
      ...((await getUnifyConfig(tx, instanceId)) ? [pending('unify', 'unify')] : []),
      ...(insights && Object.keys(insights.measures).length + Object.keys(insights.segments).length > 0
        ? [pending('insights', 'insights')]
        : []),
    ]
    const queued = await queueRun(tx, 'full-refresh', { id: newId(), instanceId, reason, steps })
    if (queued.created) await jobs.send(tx, 'full-refresh', { instanceId, fullRefreshId: queued.run.id })
    return { fullRefresh: queued.run, created: queued.created }
  })
  jobs.nudge('full-refresh')
  return result
}

const ENDED = new Set(['succeeded', 'failed', 'skipped', 'cancelled'])

/** The state of the job carrying a step out, read into the step. */
async function observe(db: DbOrTx, step: FullRefreshStep): Promise<void> {
  if (!step.runId) return
  const table = { source: 'refreshes', unify: 'unify_runs', insights: 'insight_runs' } as const
  const row = await db
    .selectFrom(table[step.kind])
    .select(['state', 'started_at', 'completed_at', 'error_code', 'error_message'])
    .where('id', '=', step.runId)
    .executeTakeFirst()
  if (!row) return
  step.state = row.state === 'queued' ? 'pending' : row.state
  step.startedAt = row.started_at?.toISOString() ?? step.startedAt
  step.completedAt = row.completed_at?.toISOString() ?? null
  step.durationMs =
    row.started_at && row.completed_at ? row.completed_at.getTime() - row.started_at.getTime() : null
  step.error = row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null
  if (!ENDED.has(step.state)) return
  if (step.kind === 'source') {
    const counts = await db
      .selectFrom('refreshes')
      .select(['row_count', 'rejected_row_count'])
      .where('id', '=', step.runId)
      .executeTakeFirst()
    step.counts = {
      rows: Number(counts?.row_count ?? 0),
      rejectedRows: Number(counts?.rejected_row_count ?? 0),
    }
  } else {
    const stats = await db
      .selectFrom(table[step.kind])
      .select('stats')
      .where('id', '=', step.runId)
      .executeTakeFirst()
    step.counts = (stats?.stats as Record<string, number> | null) ?? null
  }
}

/**
 * Carries a full refresh out (a `full-refresh` job). Safe to run again after a crash: steps that
 * already have a job are waited on, not started twice. Returns once it has ended or was cancelled.
 */
export async function runFullRefresh(
  context: FullRefreshContext,
  job: { instanceId: string; fullRefreshId: string },
): Promise<FullRefresh | undefined> {
  const { db, jobs } = context
  const { instanceId, fullRefreshId } = job
  const started = await startRun(db, 'full-refresh', fullRefreshId)
  if (!started) return undefined
  const steps = started.steps
  const pollMs = context.pollMs ?? 250
  const maxMs = context.maxMs ?? 6 * 3600_000
  const deadline = Date.parse(started.startedAt ?? started.requestedAt) + maxMs
  let timedOut = false

  /**
   * Waits until the given steps have ended; false when the full refresh was cancelled meanwhile.
   * Past the deadline, the steps not ended are failed as timed out (in this summary; each run's
   * own watchdog ends it) and no further step starts.
   */
  const waitFor = async (group: FullRefreshStep[]): Promise<boolean> => {
    for (;;) {
      for (const step of group) await observe(db, step)
      if (Date.now() > deadline && !group.every((s) => ENDED.has(s.state))) {
        timedOut = true
        for (const step of group.filter((s) => !ENDED.has(s.state)))
          Object.assign(step, {
            state: 'failed',
            error: {
              code: 'TimedOut',
              message: `did not end within the full refresh's limit of ${Math.round(maxMs / 1000)} s`,
            },
          })
        for (const step of steps.filter((s) => s.state === 'pending' && !s.runId))
          Object.assign(step, { state: 'skipped' })
      }
      if (!(await saveFullRefreshSteps(db, fullRefreshId, steps))) return false
      if (group.every((s) => ENDED.has(s.state))) return true
      await sleep(pollMs)
    }
  }

  // 1. Every data source at once.
  const sources = steps.filter((s) => s.kind === 'source')
  await db.transaction().execute(async (tx) => {
    for (const step of sources) {
      if (step.runId) continue
      const { refresh, created } = await queueRefresh(tx, {
        id: newId(),
        instanceId,
        dataSourceName: step.name.slice('source:'.length),
        fullRefreshId,
      })
      if (created) await jobs.send(tx, 'datasource-refresh', { instanceId, refreshId: refresh.id })
      step.runId = refresh.id
      step.state = 'running'
      step.startedAt = new Date().toISOString()
    }
    await saveFullRefreshSteps(tx, fullRefreshId, steps)
  })
  jobs.nudge('datasource-refresh')
  if (!(await waitFor(sources))) return undefined

  // 2. Unification, then 3. measures and segments, each on the last good data of what failed.
  for (const kind of ['unify', 'insights'] as const) {
    const step = steps.find((s) => s.kind === kind)
    if (!step || timedOut) continue
    if (!step.runId) {
      await db.transaction().execute(async (tx) => {
        const run = await requestRun(tx, jobs, kind, instanceId, `full:${fullRefreshId}`, fullRefreshId)
        step.runId = run.id
        step.state = 'running'
        step.startedAt = new Date().toISOString()
        await saveFullRefreshSteps(tx, fullRefreshId, steps)
      })
      jobs.nudge(kind)
    }
    if (!(await waitFor([step]))) return undefined
  }

  const failed = steps.find((s) => s.state === 'failed')
  const finished = await db.transaction().execute(async (tx) => {
    const done = await finishRun(tx, 'full-refresh', fullRefreshId, {
      state: failed ? 'failed' : 'succeeded',
      steps,
      error: failed
        ? {
            code: 'StepFailed',
            message: `${failed.name} failed: ${failed.error?.message ?? 'unknown error'}`,
          }
        : undefined,
    })
    if (done) await appendEvent(tx, 'refresh.full.completed', instanceId, completedEventData(done))
    return done
  })
  if (finished) {
    context.onEventsAppended()
    context.log(
      `full refresh ${fullRefreshId} of ${instanceId} ${finished.state} in ${finished.durationMs} ms${failed ? ` (${failed.name} failed)` : ''}`,
    )
  }
  return finished
}

export function completedEventData(done: FullRefresh): FullRefreshCompletedEventData {
  return {
    instanceId: done.instanceId,
    fullRefreshId: done.id,
    status: done.state as FullRefreshCompletedEventData['status'],
    startedAt: done.startedAt ?? done.requestedAt,
    completedAt: done.completedAt ?? new Date().toISOString(),
    durationMs: done.durationMs ?? 0,
    failedStep: done.steps.find((s) => s.state === 'failed')?.name ?? null,
    steps: done.steps.map((s) => ({
      name: s.name,
      kind: s.kind,
      status: s.state === 'pending' || s.state === 'running' ? 'cancelled' : s.state,
      durationMs: s.durationMs,
      counts: s.counts,
      error: s.error,
    })),
  }
}

/**
 * Cancels a queued or running full refresh: its unfinished steps are cancelled (a source refresh
 * mid-way publishes nothing; a unification or computation under way is not published when it
 * ends), so published data stays as it was. Raises `refresh.full.completed` with status cancelled.
 */
export async function cancelFullRefresh(db: Db, instanceId: string, id: string): Promise<FullRefresh> {
  const current = await getRun(db, 'full-refresh', instanceId, id)
  if (!current) throw notFound('Full refresh', id)
  const running = current.steps.filter((s) => s.runId && !ENDED.has(s.state))
  for (const step of running.filter((s) => s.kind === 'source'))
    await cancelRefresh(db, instanceId, step.runId as string).catch(() => undefined)
  const done = await db.transaction().execute(async (tx) => {
    for (const step of running)
      if (step.kind === 'unify' || step.kind === 'insights')
        await finishRun(tx, step.kind, step.runId as string, {
          state: 'cancelled',
          error: { code: 'Cancelled', message: `cancelled with full refresh ${id}` },
        })
    const steps = current.steps.map((s) => (ENDED.has(s.state) ? s : { ...s, state: 'cancelled' as const }))
    const ended = await finishRun(tx, 'full-refresh', id, {
      state: 'cancelled',
      steps,
      error: { code: 'Cancelled', message: 'cancelled on request' },
    })
    if (ended) await appendEvent(tx, 'refresh.full.completed', instanceId, completedEventData(ended))
    return ended
  })
  if (!done)
    throw new AppError('FullRefreshNotActive', `full refresh ${id} already ended as ${current.state}`, {
      target: id,
    })
  return done
}

import { sql } from 'kysely'
import type { DbOrTx } from './database.js'
import type { FullRefreshRow, FullRefreshStep, RunState } from './tables.js'

export interface FullRefresh {
  id: string
  instanceId: string
  state: RunState
  reason: string
  requestedAt: string
  startedAt: string | null
  completedAt: string | null
  durationMs: number | null
  steps: FullRefreshStep[]
  /** 0..1: the share of steps that have ended. */
  fraction: number
  error: { code: string; message: string } | null
}

const ENDED = new Set(['succeeded', 'failed', 'skipped', 'cancelled'])

export function toFullRefresh(row: FullRefreshRow): FullRefresh {
  const steps = row.steps
  return {
    id: row.id,
    instanceId: row.instance_id,
    state: row.state,
    reason: row.reason,
    requestedAt: row.requested_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    completedAt: row.completed_at?.toISOString() ?? null,
    durationMs:
      row.started_at && row.completed_at ? row.completed_at.getTime() - row.started_at.getTime() : null,
    steps,
    fraction: steps.length ? steps.filter((s) => ENDED.has(s.state)).length / steps.length : 0,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
  }
}

/** Queues a full refresh, or returns the one already queued or running. */
export async function insertQueuedFullRefresh(
  db: DbOrTx,
  refresh: { id: string; instanceId: string; reason: string; steps: FullRefreshStep[] },
): Promise<{ fullRefresh: FullRefresh; created: boolean }> {
  const inserted = await db
    .insertInto('full_refreshes')
    .values({
      id: refresh.id,
      instance_id: refresh.instanceId,
      state: 'queued',
      reason: refresh.reason,
      steps: JSON.stringify(refresh.steps),
    })
    .onConflict((oc) => oc.column('instance_id').where('state', 'in', ['queued', 'running']).doNothing())
    .returningAll()
    .executeTakeFirst()
  if (inserted) return { fullRefresh: toFullRefresh(inserted), created: true }
  const active = await db
    .selectFrom('full_refreshes')
    .selectAll()
    .where('instance_id', '=', refresh.instanceId)
    .where('state', 'in', ['queued', 'running'])
    .executeTakeFirstOrThrow()
  return { fullRefresh: toFullRefresh(active), created: false }
}

export async function getFullRefresh(
  db: DbOrTx,
  instanceId: string,
  id: string,
): Promise<FullRefresh | undefined> {
  const row = await db
    .selectFrom('full_refreshes')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where('id', '=', id)
    .executeTakeFirst()
  return row ? toFullRefresh(row) : undefined
}

export async function listFullRefreshes(
  db: DbOrTx,
  instanceId: string,
  limit: number,
): Promise<FullRefresh[]> {
  const rows = await db
    .selectFrom('full_refreshes')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .orderBy('requested_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
  return rows.map(toFullRefresh)
}

/** Marks it running (again, on a retried job); undefined when it has ended. */
export async function startFullRefresh(db: DbOrTx, id: string): Promise<FullRefresh | undefined> {
  const row = await db
    .updateTable('full_refreshes')
    .set({ state: 'running', started_at: sql`coalesce(started_at, now())` })
    .where('id', '=', id)
    .where('state', 'in', ['queued', 'running'])
    .returningAll()
    .executeTakeFirst()
  return row ? toFullRefresh(row) : undefined
}

/** Saves the steps' progress while it runs; false once it has ended (e.g. was cancelled). */
export async function saveFullRefreshSteps(
  db: DbOrTx,
  id: string,
  steps: FullRefreshStep[],
): Promise<boolean> {
  const result = await db
    .updateTable('full_refreshes')
    .set({ steps: JSON.stringify(steps) })
    .where('id', '=', id)
    .where('state', '=', 'running')
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/** Ends it once (a conditional update); undefined when it had already ended. */
export async function finishFullRefresh(
  db: DbOrTx,
  id: string,
  outcome: {
    state: 'succeeded' | 'failed' | 'cancelled'
    steps: FullRefreshStep[]
    error?: { code: string; message: string } | undefined
  },
  from: RunState[] = ['running'],
): Promise<FullRefresh | undefined> {
  const row = await db
    .updateTable('full_refreshes')
    .set({
      state: outcome.state,
      started_at: sql`coalesce(started_at, now())`,
      completed_at: sql`now()`,
      steps: JSON.stringify(outcome.steps),
      error_code: outcome.error?.code ?? null,
      error_message: outcome.error?.message ?? null,
    })
    .where('id', '=', id)
    .where('state', 'in', from)
    .returningAll()
    .executeTakeFirst()
  return row ? toFullRefresh(row) : undefined
}

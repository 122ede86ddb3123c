import { sql } from 'kysely'
import type { DbOrTx } from './database.js'
import { storableJson } from './safe-values.js'
import type { RefreshProgress, RefreshRow, RefreshState } from './tables.js'

/** One attempt to ingest a data source, from request to its published (or failed) outcome. */
export interface Refresh {
  id: string
  instanceId: string
  dataSourceName: string
  state: RefreshState
  attempt: number
  requestedAt: string
  startedAt: string | null
  completedAt: string | null
  durationMs: number | null
  progress: RefreshProgress | null
  rowCount: number | null
  rejectedRowCount: number | null
  rejectsPath: string | null
  error: { code: string; message: string } | null
  /** Asked to publish even if it removes more rows than the data source's maxShrink allows. */
  allowShrink: boolean
  /** How a text file was read, and which settings were detected (CSV). */
  dialect: Record<string, unknown> | null
}

const ACTIVE: RefreshState[] = ['queued', 'running']

function toRefresh(row: RefreshRow): Refresh {
  return {
    id: row.id,
    instanceId: row.instance_id,
    dataSourceName: row.data_source_name,
    state: row.state,
    attempt: row.attempt,
    requestedAt: row.requested_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    completedAt: row.completed_at?.toISOString() ?? null,
    durationMs:
      row.started_at && row.completed_at ? row.completed_at.getTime() - row.started_at.getTime() : null,
    progress: row.progress,
    rowCount: row.row_count === null ? null : Number(row.row_count),
    rejectedRowCount: row.rejected_row_count === null ? null : Number(row.rejected_row_count),
    rejectsPath: row.rejects_path,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    allowShrink: row.allow_shrink,
    dialect: row.dialect,
  }
}

/**
 * Queues a refresh unless one of the same data source is already queued or running, in which
 * case that one is returned: asking twice does not ingest twice.
 */
export async function queueRefresh(
  db: DbOrTx,
  refresh: {
    id: string
    instanceId: string
    dataSourceName: string
    fullRefreshId?: string | undefined
    allowShrink?: boolean | undefined
  },
): Promise<{ refresh: Refresh; created: boolean }> {
  const inserted = await db
    .insertInto('refreshes')
    .values({
      full_refresh_id: refresh.fullRefreshId ?? null,
      id: refresh.id,
      instance_id: refresh.instanceId,
      data_source_name: refresh.dataSourceName,
      state: 'queued',
      allow_shrink: refresh.allowShrink ?? false,
      progress: storableJson({ phase: 'queued', fraction: 0 } satisfies RefreshProgress),
    })
    .onConflict((oc) =>
      oc.columns(['instance_id', 'data_source_name']).where('state', 'in', ACTIVE).doNothing(),
    )
    .returningAll()
    .executeTakeFirst()
  if (inserted) return { refresh: toRefresh(inserted), created: true }
  // Joining the refresh already asked for; a confirmation to publish a shrink carries over.
  const active = refresh.allowShrink
    ? await db
        .updateTable('refreshes')
        .set({ allow_shrink: true })
        .where('instance_id', '=', refresh.instanceId)
        .where('data_source_name', '=', refresh.dataSourceName)
        .where('state', 'in', ACTIVE)
        .returningAll()
        .executeTakeFirstOrThrow()
    : await db
        .selectFrom('refreshes')
        .selectAll()
        .where('instance_id', '=', refresh.instanceId)
        .where('data_source_name', '=', refresh.dataSourceName)
        .where('state', 'in', ACTIVE)
        .executeTakeFirstOrThrow()
  return { refresh: toRefresh(active), created: false }
}

/** Marks a queued (or retried) refresh running on this worker; undefined if it already ended. */
export async function startRefresh(db: DbOrTx, id: string, workerId: string): Promise<Refresh | undefined> {
  const row = await db
    .updateTable('refreshes')
    .set({
      state: 'running',
      started_at: sql`coalesce(started_at, now())`,
      heartbeat_at: sql`now()`,
      progress: storableJson({ phase: 'reading', fraction: 0 } satisfies RefreshProgress),
      attempt: sql`attempt + 1`,
      worker_id: workerId,
    })
    .where('id', '=', id)
    .where('state', 'in', ACTIVE)
    .returningAll()
    .executeTakeFirst()
  return row && toRefresh(row)
}

/** Records progress and proves this worker is alive; false if the refresh is no longer ours. */
export async function reportRefreshProgress(
  db: DbOrTx,
  id: string,
  workerId: string,
  progress: RefreshProgress,
): Promise<boolean> {
  const result = await db
    .updateTable('refreshes')
    .set({ progress: storableJson(progress), heartbeat_at: sql`now()` })
    .where('id', '=', id)
    .where('state', '=', 'running')
    .where('worker_id', '=', workerId)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export type RefreshOutcome =
  | {
      state: 'succeeded'
      rowCount: number
      rejectedRowCount: number
      rejectsPath: string | null
      dialect?: Record<string, unknown> | undefined
    }
  | {
      state: 'failed' | 'cancelled'
      rowCount: number | null
      rejectedRowCount: number | null
      rejectsPath: string | null
      error: { code: string; message: string }
    }

/**
 * Ends a refresh that is still active. Returns undefined when it had already ended (a sweeper
 * or a cancel got there first), so a caller never reports one refresh's outcome twice.
 */
export async function finishRefresh(
  db: DbOrTx,
  id: string,
  outcome: RefreshOutcome,
): Promise<Refresh | undefined> {
  const row = await db
    .updateTable('refreshes')
    .set({
      state: outcome.state,
      completed_at: sql`now()`,
      started_at: sql`coalesce(started_at, now())`,
      progress: storableJson({ phase: 'done', fraction: 1 } satisfies RefreshProgress),
      row_count: outcome.rowCount,
      rejected_row_count: outcome.rejectedRowCount,
      rejects_path: outcome.rejectsPath,
      dialect: outcome.state === 'succeeded' && outcome.dialect ? storableJson(outcome.dialect) : null,
      error_code: outcome.state === 'succeeded' ? null : outcome.error.code,
      error_message: outcome.state === 'succeeded' ? null : outcome.error.message,
    })
    .where('id', '=', id)
    .where('state', 'in', ACTIVE)
    .returningAll()
    .executeTakeFirst()
  return row && toRefresh(row)
}

export async function getRefresh(db: DbOrTx, instanceId: string, id: string): Promise<Refresh | undefined> {
  const row = await db
    .selectFrom('refreshes')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where('id', '=', id)
    .executeTakeFirst()
  return row && toRefresh(row)
}

/** Refresh history, newest first. */
export async function listRefreshes(
  db: DbOrTx,
  instanceId: string,
  filter: { dataSourceName?: string; state?: RefreshState; before?: string; limit: number },
): Promise<Refresh[]> {
  let query = db.selectFrom('refreshes').selectAll().where('instance_id', '=', instanceId)
  if (filter.dataSourceName) query = query.where('data_source_name', '=', filter.dataSourceName)
  if (filter.state) query = query.where('state', '=', filter.state)
  if (filter.before) query = query.where('id', '<', filter.before)
  const rows = await query.orderBy('id', 'desc').limit(filter.limit).execute()
  return rows.map(toRefresh)
}

/** The latest refresh of each data source of an instance. */
export async function latestRefreshPerSource(db: DbOrTx, instanceId: string): Promise<Refresh[]> {
  const rows = await db
    .selectFrom('refreshes')
    .selectAll()
    .distinctOn('data_source_name')
    .where('instance_id', '=', instanceId)
    .orderBy('data_source_name')
    .orderBy('id', 'desc')
    .execute()
  return rows.map(toRefresh)
}

/**
 * Running refreshes whose worker stopped proving it is alive: their process died (SIGKILL,
 * crash, power loss). `allRunning` is for embedded mode at start-up, when this process is the
 * only one that can hold the store, so every running refresh is an orphan.
 */
export async function findAbandonedRefreshes(
  db: DbOrTx,
  criteria: { heartbeatOlderThanMs: number } | { allRunning: true },
): Promise<Refresh[]> {
  let query = db.selectFrom('refreshes').selectAll().where('state', '=', 'running')
  if ('heartbeatOlderThanMs' in criteria) {
    query = query.where(
      'heartbeat_at',
      '<',
      sql<Date>`now() - make_interval(secs => ${criteria.heartbeatOlderThanMs / 1000})`,
    )
  }
  const rows = await query.orderBy('id').execute()
  return rows.map(toRefresh)
}

/** Puts a running refresh back in the queue after a retryable failure, keeping the error visible. */
export async function requeueRefresh(
  db: DbOrTx,
  id: string,
  error: { code: string; message: string },
): Promise<Refresh | undefined> {
  const row = await db
    .updateTable('refreshes')
    .set({
      state: 'queued',
      progress: storableJson({ phase: 'retrying', fraction: 0 } satisfies RefreshProgress),
      error_code: error.code,
      error_message: error.message,
    })
    .where('id', '=', id)
    .where('state', '=', 'running')
    .returningAll()
    .executeTakeFirst()
  return row && toRefresh(row)
}

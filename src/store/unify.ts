import { sql } from 'kysely'
import type { DbOrTx } from './database.js'
import type { UnifyRunRow, UnifyRunState } from './tables.js'

export interface UnifyRun {
  id: string
  instanceId: string
  state: UnifyRunState
  reason: string
  requestedAt: string
  startedAt: string | null
  completedAt: string | null
  durationMs: number | null
  stats: Record<string, number> | null
  error: { code: string; message: string } | null
}

export function toUnifyRun(row: UnifyRunRow): UnifyRun {
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
    stats: row.stats,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
  }
}

export async function getUnifyConfig(
  db: DbOrTx,
  instanceId: string,
): Promise<Record<string, unknown> | undefined> {
  const row = await db
    .selectFrom('unify_configs')
    .select('config')
    .where('instance_id', '=', instanceId)
    .executeTakeFirst()
  return row?.config
}

/** Stores the unify section; returns whether it changed. */
export async function putUnifyConfig(
  db: DbOrTx,
  instanceId: string,
  config: Record<string, unknown>,
): Promise<'created' | 'updated' | 'unchanged'> {
  const existing = await getUnifyConfig(db, instanceId)
  if (existing && JSON.stringify(existing) === JSON.stringify(config)) return 'unchanged'
  await db
    .insertInto('unify_configs')
    .values({ instance_id: instanceId, config: JSON.stringify(config) })
    .onConflict((oc) =>
      oc.column('instance_id').doUpdateSet({ config: JSON.stringify(config), updated_at: sql`now()` }),
    )
    .execute()
  return existing ? 'updated' : 'created'
}

export async function deleteUnifyConfig(db: DbOrTx, instanceId: string): Promise<boolean> {
  const result = await db.deleteFrom('unify_configs').where('instance_id', '=', instanceId).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

/** Queues a run, or returns the one already queued (it will see the same data). */
export async function insertQueuedUnifyRun(
  db: DbOrTx,
  run: { id: string; instanceId: string; reason: string; fullRefreshId?: string | undefined },
): Promise<{ run: UnifyRun; created: boolean }> {
  const inserted = await db
    .insertInto('unify_runs')
    .values({
      id: run.id,
      instance_id: run.instanceId,
      state: 'queued',
      reason: run.reason,
      full_refresh_id: run.fullRefreshId ?? null,
    })
    .onConflict((oc) => oc.column('instance_id').where('state', '=', 'queued').doNothing())
    .returningAll()
    .executeTakeFirst()
  if (inserted) return { run: toUnifyRun(inserted), created: true }
  const queued = await db
    .selectFrom('unify_runs')
    .selectAll()
    .where('instance_id', '=', run.instanceId)
    .where('state', '=', 'queued')
    .executeTakeFirstOrThrow()
  return { run: toUnifyRun(queued), created: false }
}

export async function getUnifyRun(db: DbOrTx, instanceId: string, id: string): Promise<UnifyRun | undefined> {
  const row = await db
    .selectFrom('unify_runs')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where('id', '=', id)
    .executeTakeFirst()
  return row ? toUnifyRun(row) : undefined
}

export async function listUnifyRuns(db: DbOrTx, instanceId: string, limit: number): Promise<UnifyRun[]> {
  const rows = await db
    .selectFrom('unify_runs')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .orderBy('requested_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
  return rows.map(toUnifyRun)
}

/** Moves a queued run to running; false if it is not queued any more. */
export async function startUnifyRun(db: DbOrTx, id: string): Promise<boolean> {
  const result = await db
    .updateTable('unify_runs')
    .set({ state: 'running', started_at: sql`now()` })
    .where('id', '=', id)
    .where('state', 'in', ['queued', 'running'])
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

export async function finishUnifyRun(
  db: DbOrTx,
  id: string,
  outcome: {
    state: 'succeeded' | 'failed'
    stats?: Record<string, number>
    error?: { code: string; message: string }
  },
): Promise<UnifyRun | undefined> {
  const row = await db
    .updateTable('unify_runs')
    .set({
      state: outcome.state,
      completed_at: sql`now()`,
      stats: outcome.stats ? JSON.stringify(outcome.stats) : null,
      error_code: outcome.error?.code ?? null,
      error_message: outcome.error?.message ?? null,
    })
    .where('id', '=', id)
    .where('state', '=', 'running')
    .returningAll()
    .executeTakeFirst()
  return row ? toUnifyRun(row) : undefined
}

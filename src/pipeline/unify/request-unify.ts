import { newId } from '../../ids.js'
import type { JobQueue } from '../../jobs/index.js'
import type { DbOrTx } from '../../store/database.js'
import { insertQueuedUnifyRun, type UnifyRun } from '../../store/unify.js'

/**
 * Queues a unify run in the caller's transaction, or joins the one already queued. Call
 * `jobs.nudge('unify')` after commit.
 */
export async function requestUnify(
  tx: DbOrTx,
  jobs: JobQueue,
  instanceId: string,
  reason: string,
  fullRefreshId?: string,
): Promise<UnifyRun> {
  const { run, created } = await insertQueuedUnifyRun(tx, { id: newId(), instanceId, reason, fullRefreshId })
  if (created) await jobs.send(tx, 'unify', { instanceId, runId: run.id })
  return run
}

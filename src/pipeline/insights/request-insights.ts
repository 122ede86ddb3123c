import { newId } from '../../ids.js'
import type { JobQueue } from '../../jobs/index.js'
import type { DbOrTx } from '../../store/database.js'
import { type InsightRun, insertQueuedInsightRun } from '../../store/insights.js'

/**
 * Queues a computation of the instance's measures and segments in the caller's transaction, or
 * joins the one already queued. Call `jobs.nudge('insights')` after commit.
 */
export async function requestInsights(
  tx: DbOrTx,
  jobs: JobQueue,
  instanceId: string,
  reason: string,
  fullRefreshId?: string,
): Promise<InsightRun> {
  const { run, created } = await insertQueuedInsightRun(tx, {
    id: newId(),
    instanceId,
    reason,
    fullRefreshId,
  })
  if (created) await jobs.send(tx, 'insights', { instanceId, runId: run.id })
  return run
}

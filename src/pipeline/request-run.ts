import { newId } from '../ids.js'
import type { JobQueue } from '../jobs/index.js'
import type { DbOrTx } from '../store/database.js'
import { queueRun, type Run } from '../store/runs.js'

/**
 * Queues a unification or a computation of measures and segments in the caller's transaction
 * (its job with it), or joins the one already queued. Call `jobs.nudge(kind)` after commit.
 */
export async function requestRun(
  tx: DbOrTx,
  jobs: JobQueue,
  kind: 'unify' | 'insights',
  instanceId: string,
  reason: string,
  fullRefreshId?: string,
): Promise<Run> {
  const { run, created } = await queueRun(tx, kind, { id: newId(), instanceId, reason, fullRefreshId })
  if (created) await jobs.send(tx, kind, { instanceId, runId: run.id })
  return run
}

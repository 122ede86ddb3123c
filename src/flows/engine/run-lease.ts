import type { Db } from '../../store/database.js'
import { renewFlowRunLease } from '../../store/flow-runs.js'

/**
 * Keeps a claimed run's lease while this worker runs it (renewed every third of its length);
 * the returned function lets it go. Should the worker die, the lease runs out and another
 * worker takes the run up again.
 */
export function holdFlowRunLease(db: Db, runId: string, leaseSeconds: number): () => void {
  const timer = setInterval(
    () => void renewFlowRunLease(db, runId, leaseSeconds).catch(() => undefined),
    (leaseSeconds * 1000) / 3,
  )
  return () => clearInterval(timer)
}

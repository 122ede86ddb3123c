import { coerceError } from '../../errors.js'
import { startPoller } from '../../poller.js'
import type { FlowRun } from '../../store/flow-runs.js'
import { executeClaimedRun, type FlowEngineContext } from './run-flow.js'
import { groupedRunWrites } from './run-writes.js'

export interface FlowRunWorker {
  /** Looks for runs now (after the dispatcher committed new ones, or a re-run). */
  nudge(): void
  stop(): Promise<void>
}

/**
 * Executes flow runs. The flow_runs table is the queue (as deliveries are): the worker claims
 * runs with SKIP LOCKED and a lease, runs them at once, and claims again while claims come back
 * full. The statement that ends finished runs also claims the runs for the slots they free, and
 * claims asked for otherwise (a nudge, the poll) go in the same stream of statements, so a
 * worker's claims never race each other. Runs whose worker died are claimed again once their
 * lease runs out, and resume from their records. Any number of processes may run workers
 * against one database.
 */
export function startFlowRunWorker(
  context: FlowEngineContext & {
    batchSize: number
    pollIntervalMs?: number
    onError?: (error: Error) => void
  },
): FlowRunWorker {
  const leaseSeconds = context.leaseSeconds ?? 30
  let stopped = false
  const active = new Set<Promise<void>>()
  const writes = groupedRunWrites(context.db, {
    leaseSeconds,
    limit: (ending) => (stopped ? 0 : Math.max(0, context.batchSize - active.size + ending)),
    claimed: (runs) => {
      for (const run of runs) start(run)
    },
  })
  // Runs whose end went with a claim for their slot: they need no claim of their own.
  const refilled = new Set<string>()
  const runContext: FlowEngineContext = {
    ...context,
    writes: {
      record: (runId, record) => writes.record(runId, record),
      finish: async (runId, outcome, records) => {
        const ended = await writes.finish(runId, outcome, records)
        refilled.add(runId)
        return ended
      },
    },
  }

  function start(run: FlowRun): void {
    const work: Promise<void> = executeClaimedRun(runContext, run)
      .catch((error: unknown) => context.onError?.(coerceError(error)))
      .finally(() => {
        active.delete(work)
        // A run that ended otherwise (failed, or its end failed) frees its slot for a claim.
        if (!refilled.delete(run.id)) poller.nudge()
      })
    active.add(work)
  }

  // Claims while they come back full; claims asked for otherwise (a nudge, the poll) go in the
  // same stream of statements as the refills, so they never race.
  const poller = startPoller({
    look: async () => {
      const { asked, claimed } = await writes.claim()
      return asked > 0 && claimed === asked
    },
    intervalMs: context.pollIntervalMs ?? 500,
    onError: context.onError,
  })
  return {
    nudge: poller.nudge,
    async stop() {
      stopped = true
      await poller.stop()
      while (active.size > 0) await Promise.allSettled([...active])
    },
  }
}

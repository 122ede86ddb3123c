import { coerceError } from '../../errors.js'
import { claimFlowRuns } from '../../store/flows.js'
import { executeClaimedRun, type FlowEngineContext } from './run-flow.js'
import { groupedRunWrites } from './run-writes.js'

export interface FlowRunWorker {
  /** Looks for runs now (after the dispatcher committed new ones, or a re-run). */
  nudge(): void
  stop(): Promise<void>
}

/**
 * Executes flow runs. The flow_runs table is the queue (as deliveries are): the worker claims a
 * batch with SKIP LOCKED and a lease, runs them at once, and goes on while batches come back
 * full. Runs whose worker died are claimed again once their lease runs out, and resume from
 * their records. Any number of processes may run workers against one database.
 */
export function startFlowRunWorker(
  context: FlowEngineContext & {
    batchSize: number
    pollIntervalMs?: number
    onError?: (error: Error) => void
  },
): FlowRunWorker {
  const pollIntervalMs = context.pollIntervalMs ?? 500
  const leaseSeconds = context.leaseSeconds ?? 30
  let stopped = false
  let running: Promise<void> | undefined
  let again = false
  let timer: NodeJS.Timeout | undefined
  let soon: NodeJS.Immediate | undefined
  const active = new Set<Promise<void>>()
  // Concurrent runs' records and ends go to the database together (group commit).
  const runContext: FlowEngineContext = { ...context, writes: context.writes ?? groupedRunWrites(context.db) }

  async function drain(): Promise<void> {
    while (!stopped) {
      const free = context.batchSize - active.size
      if (free <= 0) {
        await Promise.race(active)
        continue
      }
      const claimed = await claimFlowRuns(context.db, free, leaseSeconds)
      if (claimed.length === 0) return
      for (const run of claimed) {
        const work: Promise<void> = executeClaimedRun(runContext, run)
          .catch((error: unknown) => context.onError?.(coerceError(error)))
          .finally(() => {
            active.delete(work)
            // A slot is free, and a run of the same flow may have been waiting for it. Runs
            // whose ends were committed together free their slots together: one claim for all.
            if (!soon)
              soon = setImmediate(() => {
                soon = undefined
                tick()
              })
          })
        active.add(work)
      }
    }
  }

  function tick(): void {
    if (stopped) return
    if (running) {
      again = true
      return
    }
    clearTimeout(timer)
    running = drain()
      .catch((error: unknown) => context.onError?.(coerceError(error)))
      .finally(() => {
        running = undefined
        if (stopped) return
        if (again) {
          again = false
          tick()
        } else timer = setTimeout(tick, pollIntervalMs)
      })
  }

  tick()
  return {
    nudge: tick,
    async stop() {
      stopped = true
      clearTimeout(timer)
      if (soon) clearImmediate(soon)
      await running
      await Promise.allSettled([...active])
    },
  }
}

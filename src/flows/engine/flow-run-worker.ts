import { coerceError } from '../../errors.js'
import { claimFlowRuns, type FlowRun } from '../../store/flows.js'
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
 * full. The statement that ends finished runs claims the next ones for their slots, so a busy
 * worker needs no claims of its own. Runs whose worker died are claimed again once their lease
 * runs out, and resume from their records. Any number of processes may run workers against one
 * database.
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
  // Concurrent runs' records and ends go to the database together (group commit); the statement
  // that ends runs claims the runs that take their slots. Runs ended that way need no claim of
  // their own; a run that ended otherwise (failed, or its end failed) frees its slot for one.
  const grouped = groupedRunWrites(context.db, {
    leaseSeconds,
    limit: (ending) =>
      stopped ? 0 : Math.max(0, Math.min(ending, context.batchSize - active.size + ending)),
    claimed: (runs) => {
      for (const run of runs) start(run)
    },
  })
  const refilled = new Set<string>()
  const runContext: FlowEngineContext = {
    ...context,
    writes: {
      record: (runId, record) => grouped.record(runId, record),
      finish: async (runId, outcome, records) => {
        const ended = await grouped.finish(runId, outcome, records)
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
        if (refilled.delete(run.id)) return
        // A slot is free, and a run of the same flow may have been waiting for it. Runs that
        // end together free their slots together: one claim for all.
        if (!soon)
          soon = setImmediate(() => {
            soon = undefined
            tick()
          })
      })
    active.add(work)
  }

  async function drain(): Promise<void> {
    while (!stopped) {
      const free = context.batchSize - active.size
      if (free <= 0) {
        await Promise.race(active)
        continue
      }
      const claimed = await claimFlowRuns(context.db, free, leaseSeconds)
      if (claimed.length === 0) return
      for (const run of claimed) start(run)
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
      while (active.size > 0) await Promise.allSettled([...active])
    },
  }
}

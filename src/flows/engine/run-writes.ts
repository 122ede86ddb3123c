import type { Db } from '../../store/database.js'
import {
  type ActionRecord,
  type FlowRun,
  type FlowRunOutcome,
  finishFlowRuns,
  recordActions,
} from '../../store/flows.js'
import { groupCommit } from '../../store/group-commit.js'

/** How a run persists what it did: each call returns once the write is committed. */
export interface RunWrites {
  record(runId: string, record: Omit<ActionRecord, 'durationMs'>): Promise<void>
  /** Ends a run that is still queued or running; undefined when it had ended already. */
  finish(runId: string, outcome: FlowRunOutcome): Promise<FlowRun | undefined>
}

/** One statement per write. */
export function directRunWrites(db: Db): RunWrites {
  return {
    record: (runId, record) => recordActions(db, [{ runId, record }]),
    finish: async (id, outcome) => (await finishFlowRuns(db, [{ id, outcome }]))[0],
  }
}

/**
 * Writes of a worker's concurrent runs, group-committed: records (and finishes) that arrive
 * while one is in flight go together as one statement. Each run still waits for its own record
 * before it goes on, so durability is unchanged.
 */
export function groupedRunWrites(db: Db): RunWrites {
  const record = groupCommit<{ runId: string; record: Omit<ActionRecord, 'durationMs'> }>(async (items) => {
    await recordActions(db, items)
    return undefined
  })
  const finish = groupCommit<{ id: string; outcome: FlowRunOutcome }, FlowRun | undefined>(async (items) => {
    const finished = new Map((await finishFlowRuns(db, items)).map((run) => [run.id, run]))
    return items.map((item) => finished.get(item.id))
  })
  return {
    record: (runId, item) => record({ runId, record: item }),
    finish: (id, outcome) => finish({ id, outcome }),
  }
}

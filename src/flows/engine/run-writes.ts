import type { Db } from '../../store/database.js'
import {
  type ActionRecord,
  type EndedFlowRun,
  type FlowRun,
  type FlowRunOutcome,
  finishAndClaimFlowRuns,
  finishFlowRuns,
  type RunActionRecord,
  recordActions,
} from '../../store/flows.js'
import { groupCommit } from '../../store/group-commit.js'

/** How a run persists what it did: each call returns once the write is committed. */
export interface RunWrites {
  record(runId: string, record: Omit<ActionRecord, 'durationMs'>): Promise<void>
  /**
   * Ends a run that is still queued or running, with the records of its last actions in the
   * same statement; undefined when it had ended already (the records are written all the same).
   */
  finish(
    runId: string,
    outcome: FlowRunOutcome,
    records?: Omit<ActionRecord, 'durationMs'>[],
  ): Promise<EndedFlowRun | undefined>
}

/** One statement per write. */
export function directRunWrites(db: Db): RunWrites {
  return {
    record: (runId, record) => recordActions(db, [{ runId, record }]),
    finish: async (id, outcome, records = []) =>
      (
        await finishFlowRuns(
          db,
          [{ id, outcome }],
          records.map((record) => ({ runId: id, record })),
        )
      )[0],
  }
}

/** Who takes the runs a finish claims in the slots it frees. */
export interface SlotRefill {
  leaseSeconds: number
  /** How many runs to claim for `ending` runs that end now (0 when stopping). */
  limit(ending: number): number
  /** Called with the runs claimed (before the ended runs' callers resume), and how many were asked. */
  claimed(runs: FlowRun[], asked: number): void
}

/**
 * Writes of a worker's concurrent runs, group-committed: records (and finishes) that arrive
 * while one is in flight go together as one statement. Each run still waits for its own record
 * before it goes on, so durability is unchanged. With `refill`, the statement that ends runs
 * also claims the next ones for the slots they free.
 */
export function groupedRunWrites(db: Db, refill?: SlotRefill): RunWrites {
  const record = groupCommit<RunActionRecord>(async (items) => {
    await recordActions(db, items)
    return undefined
  })
  const finish = groupCommit<
    { id: string; outcome: FlowRunOutcome; records: RunActionRecord[] },
    EndedFlowRun | undefined
  >(async (items) => {
    const limit = refill?.limit(items.length) ?? 0
    const { finished, claimed } = await finishAndClaimFlowRuns(
      db,
      items,
      items.flatMap((item) => item.records),
      { limit, leaseSeconds: refill?.leaseSeconds ?? 30 },
    )
    if (refill && limit > 0) refill.claimed(claimed, limit)
    const ended = new Map(finished.map((run) => [run.id, run]))
    return items.map((item) => ended.get(item.id))
  })
  return {
    record: (runId, item) => record({ runId, record: item }),
    finish: (id, outcome, records = []) =>
      finish({ id, outcome, records: records.map((item) => ({ runId: id, record: item })) }),
  }
}

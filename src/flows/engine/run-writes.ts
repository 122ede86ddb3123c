import type { Db } from '../../store/database.js'
import { type ActionRecord, type RunActionRecord, recordActions } from '../../store/flow-run-actions.js'
import {
  type EndedFlowRun,
  type FlowRun,
  type FlowRunOutcome,
  finishAndClaimFlowRuns,
  finishFlowRuns,
} from '../../store/flow-runs.js'
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

/** Who takes the runs claimed along with ends, for the slots they free. */
export interface SlotRefill {
  leaseSeconds: number
  /** How many runs to claim in a statement that ends `ending` runs (0 when stopping). */
  limit(ending: number): number
  /** Called with the runs claimed, before the callers of the statement resume. */
  claimed(runs: FlowRun[]): void
}

/** A worker's writes: also claims, in the same stream of statements as the ends. */
export interface GroupedRunWrites extends RunWrites {
  /** Claims runs for the free slots, in the next statement sent: how many it asked and claimed. */
  claim(): Promise<{ asked: number; claimed: number }>
}

type Pending =
  | { kind: 'end'; id: string; outcome: FlowRunOutcome; records: RunActionRecord[] }
  | { kind: 'claim' }

/**
 * Writes of a worker's concurrent runs, group-committed: records (and ends) that arrive while one
 * is in flight go together as one statement. Each run still waits for its own record before it
 * goes on, so durability is unchanged. The statement that ends runs also claims the runs for the
 * slots they free; claims asked for separately go in the same stream, so two never race.
 */
export function groupedRunWrites(db: Db, refill: SlotRefill): GroupedRunWrites {
  const record = groupCommit<RunActionRecord>(async (items) => {
    await recordActions(db, items)
    return undefined
  })
  const endOrClaim = groupCommit<Pending, EndedFlowRun | { asked: number; claimed: number } | undefined>(
    async (items) => {
      const ends = items.filter((item) => item.kind === 'end')
      const limit = refill.limit(ends.length)
      const { finished, claimed } = await finishAndClaimFlowRuns(
        db,
        ends,
        ends.flatMap((item) => item.records),
        { limit, leaseSeconds: refill.leaseSeconds },
      )
      if (claimed.length > 0) refill.claimed(claimed)
      const ended = new Map(finished.map((run) => [run.id, run]))
      return items.map((item) =>
        item.kind === 'end' ? ended.get(item.id) : { asked: limit, claimed: claimed.length },
      )
    },
  )
  return {
    record: (runId, item) => record({ runId, record: item }),
    finish: async (id, outcome, records = []) =>
      (await endOrClaim({
        kind: 'end',
        id,
        outcome,
        records: records.map((item) => ({ runId: id, record: item })),
      })) as EndedFlowRun | undefined,
    claim: async () => (await endOrClaim({ kind: 'claim' })) as { asked: number; claimed: number },
  }
}

import type { Db } from '../../store/database.js'
import { type ActionRecord, type RunActionRecord, recordActions } from '../../store/flow-run-actions.js'
import {
  type EndedFlowRun,
  type FlowRun,
  type FlowRunOutcome,
  finishAndClaimFlowRuns,
  finishFlowRuns,
  markFlowRunsRunning,
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
  /** Called with the runs a claim of `asked` took, before the callers of the statement resume. */
  claimed(runs: FlowRun[], asked: number): void
  /**
   * Runs to claim by id (ClaimRequest.offered) in a statement that claims up to `limit` and ends
   * the runs `ending` (their slots count as free), taken from those offered to the worker;
   * undefined claims from the whole queue.
   */
  offered?(limit: number, ending: string[]): FlowRun[] | undefined
  /** Offered runs a claim by id found still queued and left (their flow was at its concurrency). */
  left?(runs: FlowRun[]): void
  /**
   * Runs started without a claim whose running state is not written yet (see the worker's sole
   * mode): they are marked running before any claim, so that the claim counts them against
   * their flows' concurrency and does not take them again.
   */
  unmarked?(): { id: string; startedAt: string }[]
  /** Called with the ids of runs just marked running. */
  marked?(ids: string[]): void
  /** Called once a statement that claimed (limit > 0) has been answered or has failed. */
  settled?(): void
}

/** A worker's writes: also claims, in the same stream of statements as the ends. */
export interface GroupedRunWrites extends RunWrites {
  /** Claims runs for the free slots, in the next statement sent: how many it asked and claimed. */
  claim(): Promise<{ asked: number; claimed: number }>
  /** Writes that a run started without a claim is running (since `startedAt`). */
  mark(runId: string, startedAt: string): Promise<void>
}

type Pending =
  | { kind: 'end'; id: string; outcome: FlowRunOutcome; records: RunActionRecord[] }
  | { kind: 'claim' }
  | { kind: 'mark'; id: string; startedAt: string }

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
      try {
        return await endAndClaim(items, ends, limit)
      } finally {
        if (limit > 0) refill.settled?.()
      }
    },
  )
  async function endAndClaim(
    items: Pending[],
    ends: Extract<Pending, { kind: 'end' }>[],
    limit: number,
  ): Promise<(EndedFlowRun | { asked: number; claimed: number } | undefined)[]> {
    // Marks first, in a statement of their own (a run updated twice in one statement would
    // keep only one of the updates): those asked for, and before a claim every unmarked run.
    // A run ending here needs none: its end writes its start.
    const ending = new Set(ends.map((item) => item.id))
    const marks = new Map<string, string>()
    for (const item of items) if (item.kind === 'mark') marks.set(item.id, item.startedAt)
    if (limit > 0) for (const run of refill.unmarked?.() ?? []) marks.set(run.id, run.startedAt)
    for (const id of ending) marks.delete(id)
    if (marks.size > 0) {
      await markFlowRunsRunning(
        db,
        [...marks].map(([id, startedAt]) => ({ id, startedAt })),
        refill.leaseSeconds,
      )
      refill.marked?.([...marks.keys()])
    }
    const offered = limit > 0 ? refill.offered?.(limit, [...ending]) : undefined
    const result = await finishAndClaimFlowRuns(
      db,
      ends,
      ends.flatMap((item) => item.records),
      { limit, leaseSeconds: refill.leaseSeconds, offered: offered?.map((run) => run.id) },
    )
    const { finished } = result
    let claimed = result.claimed
    if (offered && result.offered) {
      // The runs offered are as the store has them, queued until now (nothing to replay).
      const byId = new Map(offered.map((run) => [run.id, run]))
      const pick = (ids: string[]) => ids.flatMap((id) => byId.get(id) ?? [])
      claimed = pick(result.offered.claimed)
      refill.left?.(pick(result.offered.left))
    }
    if (limit > 0) refill.claimed(claimed, limit)
    const ended = new Map(finished.map((run) => [run.id, run]))
    return items.map((item) =>
      item.kind === 'end'
        ? ended.get(item.id)
        : item.kind === 'claim'
          ? { asked: limit, claimed: claimed.length }
          : undefined,
    )
  }
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
    mark: async (id, startedAt) => {
      await endOrClaim({ kind: 'mark', id, startedAt })
    },
  }
}

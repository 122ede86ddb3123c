import { appendEvent } from '../../events/index.js'
import type { Db } from '../../store/database.js'
import { type ActionRecord, listActionRecords, recordActions } from '../../store/flow-run-actions.js'
import { type EndedFlowRun, type FlowRun, type FlowRunOutcome, finishFlowRun } from '../../store/flow-runs.js'

/**
 * Ends a failed run: its last records, its end and — unless the run was itself started by a
 * flow.run.failed event — a flow.run.failed event naming the action that failed, in one
 * transaction, so the event is there exactly when the failure is.
 */
export async function finishFailedRun(
  db: Db,
  stored: FlowRun,
  outcome: FlowRunOutcome,
  heldRecords: Omit<ActionRecord, 'durationMs'>[],
): Promise<EndedFlowRun | undefined> {
  const runId = stored.id
  return db.transaction().execute(async (tx) => {
    await recordActions(
      tx,
      heldRecords.map((record) => ({ runId, record })),
    )
    const done = await finishFlowRun(tx, runId, outcome)
    if (done?.state === 'failed' && stored.trigger.type !== 'flow.run.failed') {
      const records = await listActionRecords(tx, runId)
      const failedAction = records.find((r) => r.status === 'Failed' || r.status === 'TimedOut')
      await appendEvent(tx, 'flow.run.failed', stored.instanceId, {
        instanceId: stored.instanceId,
        flowName: stored.flowName,
        runId,
        eventId: stored.eventId,
        failedAction: failedAction?.path ?? null,
        error: outcome.error ?? { code: 'RunFailed', message: 'the run failed' },
        completedAt: done.completedAt ?? new Date().toISOString(),
      })
    }
    return done
  })
}

import type { DbOrTx } from '../../store/database.js'
import { insertFlowRuns, type NewFlowRun } from '../../store/flow-runs.js'
import { listScheduledFlows } from '../../store/flows.js'
import { latestRecurrenceSlot, type Recurrence, recurrenceRunId } from '../definition/recurrence.js'

/**
 * Starts the run of every scheduled flow whose latest slot has come since the flow was saved.
 * The run's id is the slot's and the flow's, so a slot another worker (or an earlier tick)
 * already started is not started again; a worker that was down runs only the latest slot it
 * missed, not every one. Returns the runs it started.
 */
export async function runDueRecurrences(db: DbOrTx, now = new Date()): Promise<string[]> {
  const runs: NewFlowRun[] = []
  for (const flow of await listScheduledFlows(db)) {
    const recurrence = (flow.definition.trigger as { recurrence?: Recurrence }).recurrence
    if (!recurrence) continue
    let slot: Date | undefined
    try {
      slot = latestRecurrenceSlot(recurrence, now)
    } catch {
      continue // a definition saved before its zone was known; saving validates it now
    }
    // A slot from before the flow was saved (or changed) is not run.
    if (!slot || slot.getTime() < Date.parse(flow.updatedAt)) continue
    runs.push({
      id: recurrenceRunId(flow.instanceId, flow.name, slot),
      instanceId: flow.instanceId,
      flowName: flow.name,
      eventId: null,
      definition: flow.definition,
      trigger: {
        type: 'Recurrence',
        id: null,
        occurredAt: slot.toISOString(),
        instanceId: flow.instanceId,
        data: { scheduledTime: slot.toISOString() },
      },
    })
  }
  return insertFlowRuns(db, runs)
}

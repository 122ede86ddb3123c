import { AppError, notFound } from '../errors.js'
import { matchesTrigger } from '../events/index.js'
import { newId } from '../ids.js'
import type { Db } from '../store/database.js'
import { listEvents } from '../store/events.js'
import { type ActionRecord, listActionRecords, recordAction } from '../store/flow-run-actions.js'
import { type FlowRun, getFlowRun, insertFlowRun } from '../store/flow-runs.js'
import { getFlow } from '../store/flows.js'

/**
 * "Test with the last event": runs a flow on the newest stored event of its trigger's type that
 * its trigger parameters match (else the newest of that type), as Power Automate's test does.
 */
export async function startTestRun(
  db: Db,
  nudgeWorker: () => void,
  instanceId: string,
  flowName: string,
): Promise<{ run: FlowRun; eventId: string }> {
  const flow = await getFlow(db, instanceId, flowName)
  if (!flow) throw notFound('Flow', flowName)
  const trigger = flow.definition.trigger as { type: string; parameters?: Record<string, unknown> }
  if (trigger.type === 'Recurrence') {
    // A scheduled flow's test is a run now, as if its slot had come.
    const run = await startManualRun(db, nudgeWorker, instanceId, flowName, {
      scheduledTime: new Date().toISOString(),
    })
    return { run, eventId: '' }
  }
  const recent = await listEvents(db, instanceId, { types: [trigger.type], newestFirst: true, limit: 200 })
  const event = recent.find((e) => matchesTrigger(e, trigger.parameters ?? {})) ?? recent[0]
  if (!event)
    throw new AppError(
      'NoEventYet',
      `no ${trigger.type} event has happened on ${instanceId} yet; make one happen (e.g. refresh) or run the flow with a trigger body`,
      { target: 'trigger.type' },
    )
  const run = await startManualRun(db, nudgeWorker, instanceId, flowName, event.data, event.id)
  return { run, eventId: event.id }
}

/** Starts a run of a flow by hand, with the given trigger body (Power Automate's "Test"). */
export async function startManualRun(
  db: Db,
  nudgeWorker: () => void,
  instanceId: string,
  flowName: string,
  body: Record<string, unknown>,
  /** The stored event a test run replays (recorded in its trigger, not as the run's event). */
  testOf?: string,
): Promise<FlowRun> {
  const flow = await getFlow(db, instanceId, flowName)
  if (!flow) throw notFound('Flow', flowName)
  const trigger = flow.definition.trigger as { type: string }
  const run = await db.transaction().execute(async (tx) => {
    const created = (await insertFlowRun(tx, {
      id: newId(),
      instanceId,
      flowName,
      eventId: null,
      definition: flow.definition,
      trigger: {
        type: trigger.type,
        id: null,
        occurredAt: new Date().toISOString(),
        instanceId,
        data: body,
        manual: true,
        ...(testOf ? { testOf } : {}),
      },
    })) as FlowRun
    return created
  })
  nudgeWorker()
  return run
}

/**
 * Runs a finished run again with the same trigger and definition: from the start, or from the
 * failed action (every action that succeeded is carried over and not executed again).
 */
export async function rerunFlowRun(
  db: Db,
  nudgeWorker: () => void,
  instanceId: string,
  runId: string,
  from: 'start' | 'failed',
): Promise<FlowRun> {
  const original = await getFlowRun(db, runId)
  if (!original || original.instanceId !== instanceId) throw notFound('Flow run', runId)
  if (original.state === 'queued' || original.state === 'running')
    throw new AppError('RunNotEnded', `run ${runId} is still ${original.state}`, {
      target: runId,
    })
  const records =
    from === 'failed' ? (await listActionRecords(db, runId)).filter((r) => r.status === 'Succeeded') : []
  const failed = (await listActionRecords(db, runId)).find(
    (r) => r.status === 'Failed' || r.status === 'TimedOut',
  )
  const run = await db.transaction().execute(async (tx) => {
    const created = (await insertFlowRun(tx, {
      id: newId(),
      instanceId,
      flowName: original.flowName,
      eventId: original.eventId,
      definition: original.definition,
      trigger: original.trigger,
      rerunOf: original.id,
      rerunFrom: from === 'failed' ? (failed?.path ?? '') : '',
    })) as FlowRun
    for (const record of records)
      await recordAction(tx, created.id, record as Omit<ActionRecord, 'durationMs'>)
    return created
  })
  nudgeWorker()
  return run
}

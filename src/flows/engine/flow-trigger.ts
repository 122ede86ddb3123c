import { createHash } from 'node:crypto'
import { type EventSubscriber, matchesTrigger, type Share } from '../../events/index.js'
import type { StoredEvent } from '../../store/events.js'
import {
  eventTrigger,
  type FlowRun,
  insertFlowRuns,
  insertFlowRunsStarting,
  type NewFlowRun,
} from '../../store/flow-runs.js'
import { listFlows, type StoredFlow } from '../../store/flows.js'
import type { FlowRunWorker, SlotReservation } from './flow-run-worker.js'

/**
 * Starts a run of every enabled flow whose trigger an event matches (type and parameters, as a
 * webhook subscription would), in the dispatcher's transaction: one run per flow and event. As
 * many as the worker of this process has free slots for (server mode) are created running with
 * its lease, and run by it without a claim once the batch has committed; the rest are created
 * queued and offered to it then.
 */
export function flowTrigger(worker: Pick<FlowRunWorker, 'offer' | 'reserve'>): EventSubscriber {
  const subscriber: EventSubscriber = {
    name: 'flows',
    handle: (event, tx) => subscriber.handleBatch?.([event], tx) ?? Promise.resolve(false),
    async handleBatch(events, tx) {
      // One look at each instance's flows, and one insert of all the runs, per batch of events.
      const flowsOf = new Map<string, Awaited<ReturnType<typeof listFlows>>>()
      const runs: NewFlowRun[] = []
      const eventOf = new Map<string, StoredEvent>()
      for (const event of events) {
        let flows = flowsOf.get(event.instanceId)
        if (!flows) {
          flows = await listFlows(tx, event.instanceId)
          flowsOf.set(event.instanceId, flows)
        }
        for (const run of runsFor(event, flows)) {
          runs.push(run)
          eventOf.set(run.id, event)
        }
      }
      if (runs.length === 0) return false
      const reservation = worker.reserve(runs.length)
      try {
        return await createRuns(runs, eventOf, tx, reservation)
      } catch (error) {
        // The slots set aside go back (a statement that failed started nothing).
        reservation?.release()
        throw error
      }
    },
  }
  return subscriber

  /** Creates the runs (starting those the reservation has slots for); the share hands them over. */
  async function createRuns(
    runs: NewFlowRun[],
    eventOf: Map<string, StoredEvent>,
    tx: Parameters<EventSubscriber['handle']>[1],
    reservation: SlotReservation | undefined,
  ): Promise<Share> {
    let created: Set<string>
    let started = new Set<string>()
    if (reservation) {
      const inserted = await insertFlowRunsStarting(tx, runs, reservation)
      created = new Set(inserted.created)
      started = new Set(inserted.started)
    } else created = new Set(await insertFlowRuns(tx, runs))
    if (created.size === 0) {
      reservation?.release()
      return false
    }
    const requestedAt = new Date().toISOString()
    // As the store would read them back (see toFlowRun): the trigger is the event's. A started
    // run is handed over as a claim hands it (its state before: nothing recorded to replay).
    const toRun = (run: NewFlowRun): FlowRun => ({
      id: run.id,
      instanceId: run.instanceId,
      flowName: run.flowName,
      eventId: run.eventId,
      state: 'queued',
      definition: run.definition,
      trigger: eventTrigger(eventOf.get(run.id) as StoredEvent),
      rerunOf: null,
      rerunFrom: null,
      requestedAt,
      startedAt: started.has(run.id) ? requestedAt : null,
      completedAt: null,
      durationMs: null,
      error: null,
    })
    const starting: FlowRun[] = []
    const offered: FlowRun[] = []
    for (const run of runs) {
      if (started.has(run.id)) starting.push(toRun(run))
      else if (created.has(run.id)) offered.push(toRun(run))
    }
    return (committed) => {
      if (!committed) {
        reservation?.release()
        return
      }
      reservation?.start(starting)
      if (offered.length > 0) worker.offer(offered)
    }
  }

  function runsFor(event: StoredEvent, flows: StoredFlow[]): NewFlowRun[] {
    return flows
      .filter((flow) => {
        if (!flow.enabled) return false
        const trigger = flow.definition.trigger as { type: string; parameters?: Record<string, unknown> }
        return trigger.type === event.type && matchesTrigger(event, trigger.parameters ?? {})
      })
      .map((flow) => ({
        id: eventRunId(event.instanceId, flow.name, event.id),
        instanceId: event.instanceId,
        flowName: flow.name,
        eventId: event.id,
        definition: flow.definition,
        // No trigger of its own: the run reads the event's (type, id, occurredAt, instanceId, data).
      }))
  }
}

/**
 * The id of the run an event starts of a flow: the event's id (a ULID, so runs still sort by
 * time) and a digest of the flow. Derived, not drawn, so the primary key is what makes one run
 * per flow and event — a second dispatch of the event finds the run there — and no index of its
 * own has to be kept up to date at every change of every run.
 */
export function eventRunId(instanceId: string, flowName: string, eventId: string): string {
  const digest = createHash('sha1').update(`${instanceId}\u0000${flowName}`).digest('hex').slice(0, 12)
  return `${eventId}${digest.toUpperCase()}`
}

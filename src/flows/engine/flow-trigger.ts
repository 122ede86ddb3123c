import { ulid } from 'ulid'
import { matchesSubscription } from '../../connector/webhooks/trigger-parameters.js'
import type { EventSubscriber } from '../../events/index.js'
import { insertFlowRun, listFlows } from '../../store/flows.js'

/**
 * Starts a run of every enabled flow whose trigger an event matches (type and parameters, as a
 * webhook subscription would), in the dispatcher's transaction: one run per flow and event.
 */
export function flowTrigger(nudgeWorker: () => void): EventSubscriber {
  return {
    name: 'flows',
    async handle(event, tx) {
      await this.handleBatch?.([event], tx)
    },
    async handleBatch(events, tx) {
      // One look at each instance's flows per batch of events.
      const flowsOf = new Map<string, Awaited<ReturnType<typeof listFlows>>>()
      for (const event of events) {
        let flows = flowsOf.get(event.instanceId)
        if (!flows) {
          flows = await listFlows(tx, event.instanceId)
          flowsOf.set(event.instanceId, flows)
        }
        await startRuns(event, flows, tx)
      }
    },
    dispatched() {
      nudgeWorker()
    },
  }

  async function startRuns(
    event: Parameters<EventSubscriber['handle']>[0],
    flows: Awaited<ReturnType<typeof listFlows>>,
    tx: Parameters<EventSubscriber['handle']>[1],
  ): Promise<void> {
    for (const flow of flows) {
      if (!flow.enabled) continue
      const trigger = flow.definition.trigger as { type: string; parameters?: Record<string, unknown> }
      if (trigger.type !== event.type || !matchesSubscription(event, trigger.parameters ?? {})) continue
      await insertFlowRun(tx, {
        id: ulid(),
        instanceId: event.instanceId,
        flowName: flow.name,
        eventId: event.id,
        definition: flow.definition,
        trigger: {
          type: event.type,
          id: event.id,
          occurredAt: event.occurredAt,
          instanceId: event.instanceId,
          data: event.data,
        },
      })
    }
  }
}

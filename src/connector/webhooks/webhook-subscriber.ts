import type { Transaction } from 'kysely'
import type { EventSubscriber } from '../../events/index.js'
import { matchesTrigger } from '../../events/index.js'
import { deliveryId } from '../../store/deliveries.js'
import type { StoredEvent } from '../../store/events.js'
import { activeSubscriptionsTo } from '../../store/subscriptions.js'
import type { Tables } from '../../store/tables.js'

/**
 * The dispatcher's webhook share: for each event, one due delivery per matching active
 * subscription, created in the dispatcher's transaction (two statements per batch of events).
 * `onCreated` wakes the delivery worker once they are committed.
 */
export function webhookSubscriber(onCreated: () => void): EventSubscriber {
  async function handleBatch(events: StoredEvent[], tx: Transaction<Tables>): Promise<boolean> {
    const instances = [...new Set(events.map((e) => e.instanceId))]
    const types = [...new Set(events.map((e) => e.type))]
    const subscriptions = await activeSubscriptionsTo(tx, instances, types)
    if (subscriptions.length === 0) return false
    const rows = events.flatMap((event) =>
      subscriptions
        .filter((s) => s.instance_id === event.instanceId && s.event_type === event.type)
        .filter((s) => matchesTrigger(event, s.parameters))
        .map((s) => ({
          id: deliveryId(event.id, s.id),
          instance_id: event.instanceId,
          subscription_id: s.id,
          event_id: event.id,
          state: 'pending' as const,
          next_attempt_at: new Date(),
        })),
    )
    if (rows.length === 0) return false
    await tx
      .insertInto('deliveries')
      .values(rows)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute()
    return true
  }
  return {
    name: 'webhooks',
    handle: (event, tx) => handleBatch([event], tx),
    handleBatch,
    dispatched: onCreated,
  }
}

import type { EventSubscriber } from '../../events/index.js'
import type { JobQueue } from '../../jobs/index.js'
import { insertDeliveries } from '../../store/deliveries.js'
import { enqueueDeliveries } from './deliver.js'
import { matchesSubscription } from './trigger-parameters.js'

/**
 * The dispatcher's webhook share: for each event, one delivery per matching active subscription,
 * created with its first attempt's job in the dispatcher's transaction.
 */
export function webhookSubscriber(jobs: JobQueue): EventSubscriber {
  return {
    name: 'webhooks',
    async handle(event, tx) {
      const subscriptions = await tx
        .selectFrom('subscriptions')
        .select(['id', 'parameters'])
        .where('instance_id', '=', event.instanceId)
        .where('event_type', '=', event.type)
        .where('removed_at', 'is', null)
        .execute()
      const matching = subscriptions.filter((s) => matchesSubscription(event, s.parameters)).map((s) => s.id)
      const created = await insertDeliveries(tx, event.instanceId, event.id, matching)
      await enqueueDeliveries(tx, jobs, created)
    },
    dispatched() {
      jobs.nudge('webhook-delivery')
    },
  }
}

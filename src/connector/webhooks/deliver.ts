import type { JobQueue } from '../../jobs/index.js'
import type { Db } from '../../store/database.js'
import {
  cancelPendingDeliveries,
  getDelivery,
  recordDeliveryAttempt,
  updateDelivery,
} from '../../store/deliveries.js'
import type { StoredEvent } from '../../store/events.js'
import { removeSubscription, toSubscription } from '../../store/subscriptions.js'
import { nextAttemptDelaySeconds, parseRetryAfter } from './retry-schedule.js'
import { sendWebhook } from './send-webhook.js'
import { webhookPayload } from './webhook-payload.js'

export interface DeliveryContext {
  db: Db
  jobs: JobQueue
  /** Delays before attempts 2, 3, … in seconds. */
  schedule: readonly number[]
  timeoutSeconds: number
  log: (message: string) => void
}

export type AttemptOutcome = 'succeeded' | 'retrying' | 'dead' | 'gone' | 'skipped'

/**
 * Makes one attempt of a delivery and records it: 2xx is done; 410 Gone ends the subscription;
 * anything else is retried on the schedule (longer if the receiver's Retry-After asks), and
 * after the last attempt the delivery is dead until re-driven.
 */
export async function attemptDelivery(context: DeliveryContext, id: string): Promise<AttemptOutcome> {
  const { db } = context
  const loaded = await db
    .selectFrom('deliveries')
    .innerJoin('subscriptions', 'subscriptions.id', 'deliveries.subscription_id')
    .innerJoin('events', 'events.id', 'deliveries.event_id')
    .selectAll('subscriptions')
    .select([
      'deliveries.state as delivery_state',
      'deliveries.attempt_count',
      'deliveries.schedule_start',
      'events.id as event_id',
      'events.type as event_type',
      'events.occurred_at',
      'events.data as event_data',
    ])
    .where('deliveries.id', '=', id)
    .executeTakeFirst()
  if (!loaded || loaded.delivery_state !== 'pending') return 'skipped'
  const subscription = toSubscription(loaded)
  if (subscription.removedAt) {
    await cancelPendingDeliveries(db, subscription.id, `subscription removed (${subscription.removedReason})`)
    return 'skipped'
  }
  const event: StoredEvent = {
    id: loaded.event_id,
    type: loaded.event_type,
    instanceId: subscription.instanceId,
    occurredAt: loaded.occurred_at.toISOString(),
    data: loaded.event_data,
  }
  const attempt = loaded.attempt_count + 1
  const startedAt = new Date()
  const response = await sendWebhook({
    url: subscription.callbackUrl,
    id,
    secret: subscription.secret,
    body: JSON.stringify(webhookPayload(event, subscription.id)),
    timeoutMs: context.timeoutSeconds * 1000,
  })
  const status = response.status
  const error =
    response.error ?? (status !== null && (status < 200 || status > 299) ? `HTTP ${status}` : null)

  return db.transaction().execute(async (tx) => {
    const current = await getDelivery(tx, id, { lock: true })
    if (!current || current.state !== 'pending' || current.attemptCount !== loaded.attempt_count)
      return 'skipped'
    await recordDeliveryAttempt(tx, id, {
      attempt,
      startedAt: startedAt.toISOString(),
      latencyMs: response.latencyMs,
      status,
      error,
      responseExcerpt: response.excerpt,
    })
    const base = { attemptCount: attempt, lastStatus: status, lastError: error }
    if (status !== null && status >= 200 && status <= 299) {
      await updateDelivery(tx, id, { ...base, state: 'succeeded', nextAttemptAt: null })
      return 'succeeded'
    }
    if (status === 410) {
      const reason = 'the receiver answered 410 Gone'
      await updateDelivery(tx, id, { ...base, state: 'cancelled', nextAttemptAt: null, lastError: reason })
      await removeSubscription(tx, subscription.instanceId, subscription.id, reason)
      await cancelPendingDeliveries(tx, subscription.id, reason)
      context.log(`subscription ${subscription.id} removed: ${reason}`)
      return 'gone'
    }
    const delay = nextAttemptDelaySeconds(
      attempt - current.scheduleStart,
      context.schedule,
      status === 429 || status === 503 ? parseRetryAfter(response.retryAfter) : undefined,
    )
    if (delay === undefined) {
      await updateDelivery(tx, id, { ...base, state: 'dead', nextAttemptAt: null })
      context.log(`delivery ${id} is dead after ${attempt} attempts: ${error}`)
      return 'dead'
    }
    await updateDelivery(tx, id, {
      ...base,
      state: 'pending',
      nextAttemptAt: new Date(Date.now() + delay * 1000),
    })
    await context.jobs.send(tx, 'webhook-delivery', { deliveryId: id }, { startAfterSeconds: delay })
    return 'retrying'
  })
}

/** Enqueues an attempt of each delivery now, in the caller's transaction. */
export async function enqueueDeliveries(
  tx: Parameters<JobQueue['send']>[0],
  jobs: JobQueue,
  ids: string[],
): Promise<void> {
  for (const deliveryId of ids) await jobs.send(tx, 'webhook-delivery', { deliveryId })
}

import { sql } from 'kysely'
import type { JobQueue } from '../../jobs/index.js'
import type { Db, DbOrTx } from '../../store/database.js'
import { cancelPendingDeliveries, updateDelivery } from '../../store/deliveries.js'
import type { StoredEvent } from '../../store/events.js'
import { removeSubscription, type Subscription, toSubscription } from '../../store/subscriptions.js'
import { nextAttemptDelaySeconds, parseRetryAfter } from './retry-schedule.js'
import { sendWebhook, type WebhookResponse } from './send-webhook.js'
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

interface Loaded {
  id: string
  attemptCount: number
  scheduleStart: number
  subscription: Subscription
  event: StoredEvent
}

interface Sent extends Loaded {
  attempt: number
  startedAt: Date
  response: WebhookResponse
  error: string | null
}

async function loadPending(db: Db, ids: string[]): Promise<Loaded[]> {
  if (ids.length === 0) return []
  const rows = await db
    .selectFrom('deliveries')
    .innerJoin('subscriptions', 'subscriptions.id', 'deliveries.subscription_id')
    .innerJoin('events', 'events.id', 'deliveries.event_id')
    .selectAll('subscriptions')
    .select([
      'deliveries.id as delivery_id',
      'deliveries.attempt_count',
      'deliveries.schedule_start',
      'events.id as event_id',
      'events.type as event_type',
      'events.occurred_at',
      'events.data as event_data',
    ])
    .where('deliveries.id', 'in', ids)
    .where('deliveries.state', '=', 'pending')
    .execute()
  return rows.map((row) => ({
    id: row.delivery_id,
    attemptCount: row.attempt_count,
    scheduleStart: row.schedule_start,
    subscription: toSubscription(row),
    event: {
      id: row.event_id,
      type: row.event_type,
      instanceId: row.instance_id,
      occurredAt: row.occurred_at.toISOString(),
      data: row.event_data,
    },
  }))
}

async function send(context: DeliveryContext, delivery: Loaded): Promise<Sent> {
  const startedAt = new Date()
  const response = await sendWebhook({
    url: delivery.subscription.callbackUrl,
    id: delivery.id,
    secret: delivery.subscription.secret,
    body: JSON.stringify(webhookPayload(delivery.event, delivery.subscription.id)),
    timeoutMs: context.timeoutSeconds * 1000,
  })
  const status = response.status
  const error =
    response.error ?? (status !== null && (status < 200 || status > 299) ? `HTTP ${status}` : null)
  return { ...delivery, attempt: delivery.attemptCount + 1, startedAt, response, error }
}

const attemptRow = (s: Sent) => ({
  delivery_id: s.id,
  attempt: s.attempt,
  started_at: s.startedAt,
  latency_ms: s.response.latencyMs,
  status: s.response.status,
  error: s.error,
  response_excerpt: s.response.excerpt,
})

/**
 * Marks delivered ones succeeded and logs their attempts in one statement; a delivery someone
 * else settled meanwhile (its attempt count moved) is left alone. Returns the ids settled.
 */
async function settleSuccesses(db: Db, sent: Sent[]): Promise<string[]> {
  if (sent.length === 0) return []
  const values = sql.join(
    sent.map(
      (s) =>
        sql`(${s.id}::text, ${s.attemptCount}::int, ${s.attempt}::int, ${s.startedAt.toISOString()}::timestamptz, ${s.response.latencyMs}::int, ${s.response.status}::int, ${s.response.excerpt}::text)`,
    ),
  )
  const result = await sql<{ delivery_id: string }>`
    with v (id, expected, attempt, started_at, latency_ms, status, excerpt) as (values ${values}),
    updated as (
      update deliveries d
      set state = 'succeeded', attempt_count = v.attempt, next_attempt_at = null,
          last_status = v.status, last_error = null, completed_at = now()
      from v
      where d.id = v.id and d.state = 'pending' and d.attempt_count = v.expected
      returning d.id
    )
    insert into delivery_attempts (delivery_id, attempt, started_at, latency_ms, status, error, response_excerpt)
    select v.id, v.attempt, v.started_at, v.latency_ms, v.status, null, v.excerpt
    from v join updated on updated.id = v.id
    on conflict (delivery_id, attempt) do nothing
    returning delivery_id`.execute(db)
  return result.rows.map((r) => r.delivery_id)
}

const isSuccess = (s: Sent) =>
  s.response.status !== null && s.response.status >= 200 && s.response.status <= 299

/** Records one failed attempt: 410 ends the subscription; otherwise retry on schedule or die. */
async function settleFailure(context: DeliveryContext, tx: DbOrTx, s: Sent): Promise<AttemptOutcome> {
  const status = s.response.status
  const base = { attemptCount: s.attempt, lastStatus: status, lastError: s.error }
  if (status === 410) {
    const reason = 'the receiver answered 410 Gone'
    await updateDelivery(tx, s.id, { ...base, state: 'cancelled', nextAttemptAt: null, lastError: reason })
    await removeSubscription(tx, s.subscription.instanceId, s.subscription.id, reason)
    await cancelPendingDeliveries(tx, s.subscription.id, reason)
    context.log(`subscription ${s.subscription.id} removed: ${reason}`)
    return 'gone'
  }
  const delay = nextAttemptDelaySeconds(
    s.attempt - s.scheduleStart,
    context.schedule,
    status === 429 || status === 503 ? parseRetryAfter(s.response.retryAfter) : undefined,
  )
  if (delay === undefined) {
    await updateDelivery(tx, s.id, { ...base, state: 'dead', nextAttemptAt: null })
    context.log(`delivery ${s.id} is dead after ${s.attempt} attempts: ${s.error}`)
    return 'dead'
  }
  await updateDelivery(tx, s.id, {
    ...base,
    state: 'pending',
    nextAttemptAt: new Date(Date.now() + delay * 1000),
  })
  await context.jobs.send(tx, 'webhook-delivery', { deliveryId: s.id }, { startAfterSeconds: delay })
  return 'retrying'
}

/**
 * Makes one attempt of each pending delivery, all at once, and records them in one transaction:
 * 2xx is done; 410 Gone ends the subscription; anything else is retried on the schedule (longer
 * if the receiver's Retry-After asks), and after the last attempt the delivery is dead until
 * re-driven. Returns each delivery's outcome.
 */
export async function attemptDeliveries(
  context: DeliveryContext,
  ids: string[],
): Promise<Map<string, AttemptOutcome>> {
  const outcomes = new Map<string, AttemptOutcome>(ids.map((id) => [id, 'skipped']))
  const loaded = await loadPending(context.db, ids)
  const removed = loaded.filter((d) => d.subscription.removedAt)
  for (const d of removed)
    await cancelPendingDeliveries(
      context.db,
      d.subscription.id,
      `subscription removed (${d.subscription.removedReason})`,
    )
  const sent = await Promise.all(loaded.filter((d) => !d.subscription.removedAt).map((d) => send(context, d)))
  if (sent.length === 0) return outcomes

  // Successes (the common case) are settled in one statement, without a transaction round trip.
  for (const id of await settleSuccesses(context.db, sent.filter(isSuccess))) outcomes.set(id, 'succeeded')
  const failures = sent.filter((s) => !isSuccess(s))
  if (failures.length === 0) return outcomes
  await context.db.transaction().execute(async (tx) => {
    // Only deliveries nobody else recorded meanwhile (a redrive, a duplicate job) are settled here.
    const current = await tx
      .selectFrom('deliveries')
      .select(['id', 'attempt_count', 'state'])
      .where(
        'id',
        'in',
        failures.map((s) => s.id),
      )
      .forUpdate()
      .execute()
    const unchanged = new Set(
      current
        .filter(
          (c) =>
            c.state === 'pending' && c.attempt_count === failures.find((s) => s.id === c.id)?.attemptCount,
        )
        .map((c) => c.id),
    )
    const settled = failures.filter((s) => unchanged.has(s.id))
    if (settled.length === 0) return
    await tx
      .insertInto('delivery_attempts')
      .values(settled.map(attemptRow))
      .onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing())
      .execute()
    for (const s of settled) outcomes.set(s.id, await settleFailure(context, tx, s))
  })
  return outcomes
}

/** One delivery's attempt (see attemptDeliveries). */
export async function attemptDelivery(context: DeliveryContext, id: string): Promise<AttemptOutcome> {
  return (await attemptDeliveries(context, [id])).get(id) ?? 'skipped'
}

/** Enqueues an attempt of each delivery now, in the caller's transaction. */
export async function enqueueDeliveries(tx: DbOrTx, jobs: JobQueue, ids: string[]): Promise<void> {
  await jobs.sendMany(
    tx,
    'webhook-delivery',
    ids.map((deliveryId) => ({ deliveryId })),
  )
}

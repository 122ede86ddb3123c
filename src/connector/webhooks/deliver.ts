import { sql } from 'kysely'
import type { OutboundGuard } from '../../outbound/index.js'
import type { Db, DbOrTx } from '../../store/database.js'
import { cancelPendingDeliveries, updateDelivery } from '../../store/deliveries.js'
import type { StoredEvent } from '../../store/events.js'
import { removeSubscription, type Subscription, toSubscription } from '../../store/subscriptions.js'
import type { SubscriptionRow } from '../../store/tables.js'
import { nextAttemptDelaySeconds, parseRetryAfter } from './retry-schedule.js'
import { sendWebhook, type WebhookResponse } from './send-webhook.js'
import { webhookPayload } from './webhook-payload.js'

export interface DeliveryContext {
  db: Db
  /** Delays before attempts 2, 3, … in seconds. */
  schedule: readonly number[]
  timeoutSeconds: number
  /** The gate every delivery passes: receivers' addresses are checked as connections are made. */
  outbound: OutboundGuard
  log: (message: string) => void
}

export type AttemptOutcome = 'succeeded' | 'retrying' | 'dead' | 'gone' | 'skipped'

export interface Loaded {
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

/**
 * Claims up to `limit` due deliveries for this worker (SKIP LOCKED, so workers in other processes
 * take others) and loads what sending them needs, in one statement. The claim is a lease: if the
 * worker dies, the delivery is due again once the lease runs out.
 */
export async function claimDueDeliveries(db: Db, limit: number, leaseSeconds: number): Promise<Loaded[]> {
  const result = await sql<
    SubscriptionRow & {
      delivery_id: string
      attempt_count: number
      schedule_start: number
      event_id: string
      event_type: string
      occurred_at: Date
      event_data: Record<string, unknown>
    }
  >`
    with claimed as (
      update deliveries d
      set lease_until = now() + make_interval(secs => ${leaseSeconds})
      where d.id in (
        select id from deliveries
        where state = 'pending' and next_attempt_at <= now() and (lease_until is null or lease_until < now())
        order by next_attempt_at
        limit ${limit}
        for update skip locked
      )
      returning d.id, d.attempt_count, d.schedule_start, d.subscription_id, d.event_id
    )
    select s.*, c.id as delivery_id, c.attempt_count, c.schedule_start,
      e.id as event_id, e.type as event_type, e.occurred_at, e.data as event_data
    from claimed c
    join subscriptions s on s.id = c.subscription_id
    join events e on e.id = c.event_id`.execute(db)
  return result.rows.map((row) => ({
    id: row.delivery_id,
    attemptCount: row.attempt_count,
    scheduleStart: row.schedule_start,
    subscription: toSubscription(row),
    event: {
      id: row.event_id,
      type: row.event_type,
      instanceId: row.instance_id,
      occurredAt: new Date(row.occurred_at).toISOString(),
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
    outbound: context.outbound,
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
        sql`(${s.id}::text, ${s.attemptCount}::int, ${s.attempt}::int, ${s.startedAt.toISOString()}::timestamptz, ${s.response.latencyMs}::int, ${s.response.status}::int)`,
    ),
  )
  const result = await sql<{ delivery_id: string }>`
    with v (id, expected, attempt, started_at, latency_ms, status) as (values ${values}),
    updated as (
      update deliveries d
      set state = 'succeeded', attempt_count = v.attempt, next_attempt_at = null, lease_until = null,
          last_status = v.status, last_error = null, completed_at = now()
      from v
      where d.id = v.id and d.state = 'pending' and d.attempt_count = v.expected
      returning d.id
    )
    insert into delivery_attempts (delivery_id, attempt, started_at, latency_ms, status, error)
    select v.id, v.attempt, v.started_at, v.latency_ms, v.status, null
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
  return 'retrying'
}

/**
 * Makes one attempt of each claimed delivery, all at once, and records the outcomes:
 * 2xx is done; 410 Gone ends the subscription; anything else is retried on the schedule (longer
 * if the receiver's Retry-After asks), and after the last attempt the delivery is dead until
 * re-driven. Returns each delivery's outcome.
 */
export async function deliverClaimed(
  context: DeliveryContext,
  loaded: Loaded[],
): Promise<Map<string, AttemptOutcome>> {
  const outcomes = new Map<string, AttemptOutcome>(loaded.map((d) => [d.id, 'skipped']))
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

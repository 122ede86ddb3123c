import { sql } from 'kysely'
import type { DbOrTx } from './database.js'
import type { DeliveryAttemptRow, DeliveryRow, DeliveryState } from './tables.js'

/** One event on its way to one subscription. */
export interface Delivery {
  /** `eventId:subscriptionId`, sent as `webhook-id`. */
  id: string
  instanceId: string
  subscriptionId: string
  eventId: string
  state: DeliveryState
  attemptCount: number
  scheduleStart: number
  nextAttemptAt: string | null
  lastStatus: number | null
  lastError: string | null
  createdAt: string
  completedAt: string | null
}

export interface DeliveryAttempt {
  attempt: number
  startedAt: string
  latencyMs: number
  status: number | null
  error: string | null
}

function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    instanceId: row.instance_id,
    subscriptionId: row.subscription_id,
    eventId: row.event_id,
    state: row.state,
    attemptCount: row.attempt_count,
    scheduleStart: row.schedule_start,
    nextAttemptAt: row.next_attempt_at?.toISOString() ?? null,
    lastStatus: row.last_status,
    lastError: row.last_error,
    createdAt: row.created_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
  }
}

function toAttempt(row: DeliveryAttemptRow): DeliveryAttempt {
  return {
    attempt: row.attempt,
    startedAt: row.started_at.toISOString(),
    latencyMs: row.latency_ms,
    status: row.status,
    error: row.error,
  }
}

export const deliveryId = (eventId: string, subscriptionId: string) => `${eventId}:${subscriptionId}`

/** Creates pending deliveries; ones that exist already (a re-dispatched event) are left alone. Returns the new ids. */
export async function insertDeliveries(
  db: DbOrTx,
  instanceId: string,
  eventId: string,
  subscriptionIds: string[],
): Promise<string[]> {
  if (subscriptionIds.length === 0) return []
  const rows = await db
    .insertInto('deliveries')
    .values(
      subscriptionIds.map((subscriptionId) => ({
        id: deliveryId(eventId, subscriptionId),
        instance_id: instanceId,
        subscription_id: subscriptionId,
        event_id: eventId,
        state: 'pending' as const,
        next_attempt_at: sql<Date>`now()`,
      })),
    )
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .execute()
  return rows.map((r) => r.id)
}

export async function getDelivery(
  db: DbOrTx,
  id: string,
  options: { lock?: boolean } = {},
): Promise<Delivery | undefined> {
  let query = db.selectFrom('deliveries').selectAll().where('id', '=', id)
  if (options.lock) query = query.forUpdate()
  const row = await query.executeTakeFirst()
  return row ? toDelivery(row) : undefined
}

export async function listDeliveries(
  db: DbOrTx,
  instanceId: string,
  filter: { state?: DeliveryState; subscriptionId?: string; before?: string; limit: number },
): Promise<Delivery[]> {
  let query = db.selectFrom('deliveries').selectAll().where('instance_id', '=', instanceId)
  if (filter.state) query = query.where('state', '=', filter.state)
  if (filter.subscriptionId) query = query.where('subscription_id', '=', filter.subscriptionId)
  if (filter.before) query = query.where('id', '<', filter.before)
  const rows = await query.orderBy('id', 'desc').limit(filter.limit).execute()
  return rows.map(toDelivery)
}

export async function listDeliveryAttempts(db: DbOrTx, id: string): Promise<DeliveryAttempt[]> {
  const rows = await db
    .selectFrom('delivery_attempts')
    .selectAll()
    .where('delivery_id', '=', id)
    .orderBy('attempt')
    .execute()
  return rows.map(toAttempt)
}

export async function recordDeliveryAttempt(db: DbOrTx, id: string, attempt: DeliveryAttempt): Promise<void> {
  await db
    .insertInto('delivery_attempts')
    .values({
      delivery_id: id,
      attempt: attempt.attempt,
      started_at: attempt.startedAt,
      latency_ms: attempt.latencyMs,
      status: attempt.status,
      error: attempt.error,
    })
    .onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing())
    .execute()
}

/** Records the outcome of an attempt: done, waiting for the next one, or dead. */
export async function updateDelivery(
  db: DbOrTx,
  id: string,
  change: {
    state: DeliveryState
    attemptCount: number
    nextAttemptAt: Date | null
    lastStatus: number | null
    lastError: string | null
  },
): Promise<void> {
  await db
    .updateTable('deliveries')
    .set({
      state: change.state,
      attempt_count: change.attemptCount,
      next_attempt_at: change.nextAttemptAt,
      last_status: change.lastStatus,
      last_error: change.lastError,
      lease_until: null,
      completed_at: change.state === 'pending' ? null : sql`now()`,
    })
    .where('id', '=', id)
    .execute()
}

/** Cancels a subscription's pending deliveries (it was removed). */
export async function cancelPendingDeliveries(
  db: DbOrTx,
  subscriptionId: string,
  reason: string,
): Promise<number> {
  const result = await db
    .updateTable('deliveries')
    .set({ state: 'cancelled', completed_at: sql`now()`, next_attempt_at: null, last_error: reason })
    .where('subscription_id', '=', subscriptionId)
    .where('state', '=', 'pending')
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/**
 * Puts dead deliveries back on a fresh retry schedule. With `ids`, those (if dead); otherwise every
 * dead delivery of the instance, optionally of one subscription. Returns the ids re-driven.
 */
export async function redriveDeliveries(
  db: DbOrTx,
  instanceId: string,
  filter: { ids?: string[]; subscriptionId?: string },
): Promise<string[]> {
  let query = db
    .updateTable('deliveries')
    .set({
      state: 'pending',
      schedule_start: sql`attempt_count`,
      next_attempt_at: sql`now()`,
      lease_until: null,
      completed_at: null,
    })
    .where('instance_id', '=', instanceId)
    .where('state', '=', 'dead')
    .where('subscription_id', 'in', (eb) =>
      eb.selectFrom('subscriptions').select('id').where('removed_at', 'is', null),
    )
  if (filter.ids) query = query.where('id', 'in', filter.ids.length > 0 ? filter.ids : [''])
  if (filter.subscriptionId) query = query.where('subscription_id', '=', filter.subscriptionId)
  const rows = await query.returning('id').execute()
  return rows.map((r) => r.id)
}

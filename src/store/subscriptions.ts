import { sql } from 'kysely'
import { type DbOrTx, prepared } from './database.js'
import type { SubscriptionRow } from './tables.js'

/** A webhook subscription: where to POST which events of an instance, and how to sign them. */
export interface Subscription {
  id: string
  instanceId: string
  eventType: string
  callbackUrl: string
  parameters: Record<string, unknown>
  secret: string
  description: string | null
  createdByKey: string | null
  createdAt: string
  removedAt: string | null
  removedReason: string | null
}

export function toSubscription(row: SubscriptionRow): Subscription {
  return {
    id: row.id,
    instanceId: row.instance_id,
    eventType: row.event_type,
    callbackUrl: row.callback_url,
    parameters: row.parameters,
    secret: row.secret,
    description: row.description,
    createdByKey: row.created_by_key,
    createdAt: row.created_at.toISOString(),
    removedAt: row.removed_at?.toISOString() ?? null,
    removedReason: row.removed_reason,
  }
}

export async function insertSubscription(
  db: DbOrTx,
  s: Omit<Subscription, 'createdAt' | 'removedAt' | 'removedReason'>,
): Promise<Subscription> {
  const row = await db
    .insertInto('subscriptions')
    .values({
      id: s.id,
      instance_id: s.instanceId,
      event_type: s.eventType,
      callback_url: s.callbackUrl,
      parameters: JSON.stringify(s.parameters),
      secret: s.secret,
      description: s.description,
      created_by_key: s.createdByKey,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toSubscription(row)
}

export async function getSubscription(
  db: DbOrTx,
  instanceId: string,
  id: string,
): Promise<Subscription | undefined> {
  const row = await db
    .selectFrom('subscriptions')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where('id', '=', id)
    .executeTakeFirst()
  return row ? toSubscription(row) : undefined
}

export async function listSubscriptions(
  db: DbOrTx,
  instanceId: string,
  filter: { eventType?: string; includeRemoved?: boolean } = {},
): Promise<Subscription[]> {
  let query = db.selectFrom('subscriptions').selectAll().where('instance_id', '=', instanceId)
  if (filter.eventType) query = query.where('event_type', '=', filter.eventType)
  if (!filter.includeRemoved) query = query.where('removed_at', 'is', null)
  const rows = await query.orderBy('created_at').orderBy('id').execute()
  return rows.map(toSubscription)
}

/** Ends a subscription (unsubscribed, or the receiver is gone); its history stays. */
export async function removeSubscription(
  db: DbOrTx,
  instanceId: string,
  id: string,
  reason: string,
): Promise<Subscription | undefined> {
  const row = await db
    .updateTable('subscriptions')
    .set({ removed_at: sql`now()`, removed_reason: reason })
    .where('instance_id', '=', instanceId)
    .where('id', '=', id)
    .where('removed_at', 'is', null)
    .returningAll()
    .executeTakeFirst()
  return row ? toSubscription(row) : undefined
}

/**
 * The active subscriptions of `instanceIds` to any of `eventTypes` (the dispatcher's webhook
 * share, for every batch of events): prepared, one text whatever the numbers of each.
 */
export async function activeSubscriptionsTo(
  db: DbOrTx,
  instanceIds: string[],
  eventTypes: string[],
): Promise<Pick<SubscriptionRow, 'id' | 'instance_id' | 'event_type' | 'parameters'>[]> {
  const { rows } = await prepared(
    sql<Pick<SubscriptionRow, 'id' | 'instance_id' | 'event_type' | 'parameters'>>`
      select id, instance_id, event_type, parameters from subscriptions
      where instance_id = any(${instanceIds}::text[]) and event_type = any(${eventTypes}::text[])
        and removed_at is null`,
  ).execute(db)
  return rows
}

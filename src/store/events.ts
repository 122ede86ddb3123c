import { sql } from 'kysely'
import type { DbOrTx } from './database.js'
import type { EventRow } from './tables.js'

/** An event as stored in the outbox: `{ id (ULID), type, instanceId, occurredAt, data }`. */
export interface StoredEvent {
  id: string
  type: string
  instanceId: string
  occurredAt: string
  data: Record<string, unknown>
}

function toEvent(row: EventRow): StoredEvent {
  return {
    id: row.id,
    type: row.type,
    instanceId: row.instance_id,
    occurredAt: row.occurred_at.toISOString(),
    data: row.data,
  }
}

/** Told (NOTIFY) when an event is appended, so dispatchers in other processes start at once. */
export const EVENTS_CHANNEL = 'openinsights_events'

export async function insertEvent(db: DbOrTx, event: StoredEvent): Promise<void> {
  // One statement: the row, and a notification delivered when (and only if) it commits.
  await sql`
    with appended as (
      insert into events (id, instance_id, type, occurred_at, data)
      values (${event.id}, ${event.instanceId}, ${event.type}, ${event.occurredAt}, ${JSON.stringify(event.data)})
      returning id
    )
    select pg_notify(${EVENTS_CHANNEL}, '') from appended`.execute(db)
}

/** Events of an instance in id order, after a cursor (an event id). */
export async function listEvents(
  db: DbOrTx,
  instanceId: string,
  filter: { types?: string[]; after?: string; before?: string; newestFirst?: boolean; limit: number },
): Promise<StoredEvent[]> {
  let query = db.selectFrom('events').selectAll().where('instance_id', '=', instanceId)
  if (filter.types && filter.types.length > 0) query = query.where('type', 'in', filter.types)
  if (filter.after) query = query.where('id', '>', filter.after)
  if (filter.before) query = query.where('id', '<', filter.before)
  const rows = await query
    .orderBy('id', filter.newestFirst ? 'desc' : 'asc')
    .limit(filter.limit)
    .execute()
  return rows.map(toEvent)
}

/**
 * Locks up to `limit` undispatched events for the caller's transaction. Rows another dispatcher
 * holds are skipped, so several processes can dispatch side by side without doing work twice.
 */
export async function claimUndispatchedEvents(db: DbOrTx, limit: number): Promise<StoredEvent[]> {
  const rows = await db
    .selectFrom('events')
    .selectAll()
    .where('dispatched_at', 'is', null)
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute()
  return rows.map(toEvent)
}

export async function markEventsDispatched(db: DbOrTx, ids: string[]): Promise<void> {
  if (ids.length === 0) return
  await db.updateTable('events').set({ dispatched_at: sql`now()` }).where('id', 'in', ids).execute()
}

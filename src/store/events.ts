import { sql } from 'kysely'
import { type DbOrTx, prepared } from './database.js'
import { instanceKnown, knownInstances } from './instances.js'
import { storableJson } from './safe-values.js'
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

/** Inserts events in one statement and notifies listeners once they commit. */
export async function insertEvents(db: DbOrTx, events: readonly StoredEvent[]): Promise<void> {
  if (events.length === 0) return
  // As one jsonb document of rows (see insertActionRecords: cheaper than an array per column).
  const rows = events.map((e) => ({
    id: e.id,
    instance_id: e.instanceId,
    type: e.type,
    occurred_at: e.occurredAt,
    data: e.data,
  }))
  // The history row, the outbox entry the dispatcher takes, and one notification delivered when
  // (and only if) they commit.
  await prepared(sql`
    with ${knownInstances([...new Set(events.map((e) => e.instanceId))])},
    appended as (
      insert into events (id, instance_id, type, occurred_at, data)
      select id, instance_id, type, occurred_at, data
      from jsonb_to_recordset(${storableJson(rows)}::jsonb)
        as r (id text, instance_id text, type text, occurred_at timestamptz, data jsonb)
      where ${instanceKnown(sql`r.instance_id`)}
      returning id
    ),
    waiting as (insert into event_outbox (id) select id from appended returning 1)
    select pg_notify(${EVENTS_CHANNEL}, '') from (select 1 from waiting limit 1) one`).execute(db)
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
 * Takes up to `limit` of the oldest undispatched events in the caller's transaction, in one
 * statement: their outbox entries locked (entries another dispatcher holds are skipped, so
 * several processes can dispatch side by side without doing work twice) and deleted, which
 * commits or rolls back with what the caller does with them.
 */
export async function claimUndispatchedEvents(db: DbOrTx, limit: number): Promise<StoredEvent[]> {
  const result = await prepared(sql<EventRow>`
    with taken as (
      delete from event_outbox
      where id = any(array(select id from event_outbox order by id limit ${limit} for update skip locked))
      returning id
    )
    select e.* from events e where e.id = any(array(select id from taken))`).execute(db)
  return result.rows.map(toEvent).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

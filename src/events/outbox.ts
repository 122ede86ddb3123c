import { monotonicIds } from '../ids.js'
import type { DbOrTx } from '../store/database.js'
import { insertEvents, type StoredEvent } from '../store/events.js'
import type { EventDataByType, StoredEventType } from './triggers/index.js'

const nextId = monotonicIds()

/** An event to append: its type and the payload that type carries. */
export type NewEvent = { [T in StoredEventType]: { type: T; data: EventDataByType[T] } }[StoredEventType]

/**
 * Appends an event in the caller's transaction: it exists exactly when the state change it
 * reports was committed (the transactional outbox).
 */
export async function appendEvent<T extends StoredEventType>(
  tx: DbOrTx,
  type: T,
  instanceId: string,
  data: EventDataByType[T],
): Promise<StoredEvent> {
  return (await appendEvents(tx, instanceId, [{ type, data } as NewEvent]))[0] as StoredEvent
}

/**
 * Appends several events of one instance in the caller's transaction, in one statement per
 * thousand (a refresh crossing many thresholds, a bulk load): ids in the order given.
 */
export async function appendEvents(
  tx: DbOrTx,
  instanceId: string,
  events: readonly NewEvent[],
): Promise<StoredEvent[]> {
  const occurredAt = new Date()
  const stored = events.map(
    (event): StoredEvent => ({
      id: nextId(occurredAt.getTime()),
      type: event.type,
      instanceId,
      occurredAt: occurredAt.toISOString(),
      data: event.data as unknown as Record<string, unknown>,
    }),
  )
  await insertEvents(tx, stored)
  return stored
}

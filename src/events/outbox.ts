import { monotonicIds } from '../ids.js'
import type { DbOrTx } from '../store/database.js'
import { insertEvent, type StoredEvent } from '../store/events.js'
import type { EventDataByType, StoredEventType } from './event-types.js'

const nextId = monotonicIds()

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
  const occurredAt = new Date()
  const event: StoredEvent = {
    id: nextId(occurredAt.getTime()),
    type,
    instanceId,
    occurredAt: occurredAt.toISOString(),
    data: data as unknown as Record<string, unknown>,
  }
  await insertEvent(tx, event)
  return event
}

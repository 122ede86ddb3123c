import type { Transaction } from 'kysely'
import { coerceError } from '../errors.js'
import { startPoller } from '../poller.js'
import type { Db } from '../store/database.js'
import { claimUndispatchedEvents, type StoredEvent } from '../store/events.js'
import type { Tables } from '../store/tables.js'

/**
 * What a subscriber made of its share: true when it made work (a delivery, a run, a job) that
 * `dispatched` should wake someone for, or a function to call once the batch has ended — with
 * true when it committed (to hand what it made to whoever takes it up in this process), false
 * when it was rolled back (to give back what was set aside for it).
 */
export type Share = boolean | undefined | ((committed: boolean) => void)

/**
 * Something that reacts to events: webhook subscriptions, flows. It takes its share of an event
 * inside the dispatcher's transaction (typically by enqueuing jobs there), so the share exists
 * exactly when the event is marked dispatched.
 */
export interface EventSubscriber {
  /** A stable name, for logs ('webhooks', 'flows'). */
  readonly name: string
  /** Takes this subscriber's share of one event. Throwing rolls the batch back for a later retry. */
  handle(event: StoredEvent, tx: Transaction<Tables>): Promise<Share>
  /** Takes its share of several events at once, when it can do better than one by one. */
  handleBatch?(events: StoredEvent[], tx: Transaction<Tables>): Promise<Share>
  /** Called after a batch in which this subscriber made work has committed (e.g. to wake workers). */
  dispatched?(): void
}

/** The subscribers the dispatcher fans events out to. */
export class SubscriberRegistry {
  readonly #subscribers = new Map<string, EventSubscriber>()

  /** Adds a subscriber; returns a function that removes it. */
  add(subscriber: EventSubscriber): () => void {
    if (this.#subscribers.has(subscriber.name))
      throw new Error(`subscriber '${subscriber.name}' is already registered`)
    this.#subscribers.set(subscriber.name, subscriber)
    return () => this.#subscribers.delete(subscriber.name)
  }

  list(): EventSubscriber[] {
    return [...this.#subscribers.values()]
  }
}

export interface DispatcherOptions {
  db: Db
  registry: SubscriberRegistry
  /** How often to look for undispatched events when not nudged. */
  pollIntervalMs?: number
  batchSize?: number
  onError?: (error: Error) => void
}

export interface Dispatcher {
  /** Looks for events now (call after committing one). */
  nudge(): void
  /** Dispatches until nothing is left; returns how many events it dispatched. */
  drain(): Promise<number>
  stop(): Promise<void>
}

/**
 * Moves events from the outbox to subscribers. Any number of dispatchers may run against one
 * database: each claims events with SKIP LOCKED, so an event is dispatched once.
 */
export function startDispatcher(options: DispatcherOptions): Dispatcher {
  // Events per transaction. Each batch costs the same handful of statements whatever its size
  // (claim, each subscriber's lookup, the runs' insert, begin and commit), so a burst is cheaper
  // in larger ones: bench:flows' bursts of 3,000 events ran at 7,895–8,721 runs/s (medians of six
  // runs) in batches of 100 and at 8,850 and 9,317 in batches of 300; the burst harness showed no
  // further gain at 500 or 1,000 (PostgreSQL, 2026-12-01).
  const batchSize = options.batchSize ?? 300

  async function dispatchBatch(): Promise<number> {
    // Only subscribers that made work are told (waking an idle worker costs a query).
    const madeWork = new Set<EventSubscriber>()
    const afterEnd: ((committed: boolean) => void)[] = []
    const took = (subscriber: EventSubscriber, share: Share) => {
      if (typeof share === 'function') afterEnd.push(share)
      else if (share) madeWork.add(subscriber)
    }
    const ended = (committed: boolean) => {
      for (const after of afterEnd) {
        try {
          after(committed)
        } catch (error) {
          options.onError?.(coerceError(error))
        }
      }
    }
    let count: number
    try {
      count = await options.db.transaction().execute(async (tx) => {
        const events = await claimUndispatchedEvents(tx, batchSize)
        if (events.length > 0) {
          for (const subscriber of options.registry.list()) {
            if (subscriber.handleBatch) took(subscriber, await subscriber.handleBatch(events, tx))
            else for (const event of events) took(subscriber, await subscriber.handle(event, tx))
          }
        }
        return events.length
      })
    } catch (error) {
      ended(false)
      throw error
    }
    ended(true)
    for (const subscriber of madeWork) subscriber.dispatched?.()
    return count
  }

  async function drain(): Promise<number> {
    let total = 0
    for (;;) {
      const n = await dispatchBatch()
      total += n
      if (n < batchSize) return total
    }
  }

  const poller = startPoller({
    look: async () => {
      await drain()
      return false
    },
    intervalMs: options.pollIntervalMs ?? 1000,
    onError: options.onError,
  })
  return {
    nudge: poller.nudge,
    async drain() {
      await poller.idle()
      return drain()
    },
    stop: poller.stop,
  }
}

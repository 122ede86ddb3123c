import { coerceError } from '../../errors.js'
import { claimDueDeliveries, type DeliveryContext, deliverClaimed } from './deliver.js'

export interface DeliveryWorkerOptions extends DeliveryContext {
  /** Deliveries sent at once by each of the worker's two lanes. */
  batchSize: number
  /** How often to look for due deliveries (retries, other processes' events) when not nudged. */
  pollIntervalMs?: number
  onError?: (error: Error) => void
}

export interface DeliveryWorker {
  /** Looks for due deliveries now (after the dispatcher committed new ones, or a redrive). */
  nudge(): void
  stop(): Promise<void>
}

/**
 * Sends due webhook deliveries. The deliveries table is the queue: each lane claims a batch
 * (SKIP LOCKED, with a lease), sends it at once, records the outcomes, and goes on while batches
 * come back full. Two lanes overlap one's database work with the other's HTTP. Any number of
 * processes may run workers against one database.
 */
export function startDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const pollIntervalMs = options.pollIntervalMs ?? 500
  // A claim outlives the longest attempt (timeout) by a margin, then another worker may take it.
  const leaseSeconds = options.timeoutSeconds + 30
  let stopped = false
  const lanes = [0, 1].map(() => ({
    running: undefined as Promise<void> | undefined,
    again: false,
    timer: undefined as NodeJS.Timeout | undefined,
  }))

  async function drain(): Promise<void> {
    for (;;) {
      if (stopped) return
      const claimed = await claimDueDeliveries(options.db, options.batchSize, leaseSeconds)
      if (claimed.length === 0) return
      await deliverClaimed(options, claimed)
      if (claimed.length < options.batchSize) return
    }
  }

  function tick(lane: (typeof lanes)[number]): void {
    if (stopped) return
    if (lane.running) {
      lane.again = true
      return
    }
    clearTimeout(lane.timer)
    lane.running = drain()
      .catch((error: unknown) => options.onError?.(coerceError(error)))
      .finally(() => {
        lane.running = undefined
        if (stopped) return
        if (lane.again) {
          lane.again = false
          tick(lane)
        } else lane.timer = setTimeout(() => tick(lane), pollIntervalMs)
      })
  }

  for (const lane of lanes) tick(lane)
  return {
    nudge() {
      for (const lane of lanes) tick(lane)
    },
    async stop() {
      stopped = true
      for (const lane of lanes) clearTimeout(lane.timer)
      await Promise.all(lanes.map((lane) => lane.running))
    },
  }
}

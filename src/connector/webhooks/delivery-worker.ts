import { startPoller } from '../../poller.js'
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
  // A claim outlives the longest attempt (timeout) by a margin, then another worker may take it.
  const leaseSeconds = options.timeoutSeconds + 30
  let stopped = false

  /** Claims and sends batches while they come back full. */
  async function look(): Promise<boolean> {
    if (stopped) return false
    const claimed = await claimDueDeliveries(options.db, options.batchSize, leaseSeconds)
    if (claimed.length === 0) return false
    await deliverClaimed(options, claimed)
    return claimed.length === options.batchSize
  }

  const lanes = [0, 1].map(() =>
    startPoller({ look, intervalMs: options.pollIntervalMs ?? 500, onError: options.onError }),
  )
  return {
    nudge() {
      for (const lane of lanes) lane.nudge()
    },
    async stop() {
      stopped = true
      await Promise.all(lanes.map((lane) => lane.stop()))
    },
  }
}

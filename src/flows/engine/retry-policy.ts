import { durationMs } from '../definition/flow-definition.js'

export interface RetryPolicy {
  type: 'exponential' | 'fixed' | 'none'
  count: number
  interval: string
  maximumInterval: string
}

/** Power Automate's default: exponential, 4 retries, from 7 s, at most 1 h. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  type: 'exponential',
  count: 4,
  interval: 'PT7S',
  maximumInterval: 'PT1H',
}

/**
 * How long to wait before retry number `retry` (1-based), or undefined when the policy allows
 * no more. Exponential waits double from the interval with ±20 % jitter, capped at the maximum; a
 * receiver's Retry-After is honoured when longer. `scale` shortens every wait (tests).
 */
export function retryDelayMs(
  policy: RetryPolicy,
  retry: number,
  retryAfterMs: number | undefined,
  scale = 1,
): number | undefined {
  if (policy.type === 'none' || retry > policy.count) return undefined
  const base = durationMs(policy.interval)
  const planned =
    policy.type === 'fixed'
      ? base
      : Math.min(base * 2 ** (retry - 1) * (0.8 + Math.random() * 0.4), durationMs(policy.maximumInterval))
  return Math.max(planned * scale, retryAfterMs ?? 0)
}

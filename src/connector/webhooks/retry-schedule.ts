/**
 * When to try a failed delivery again. `schedule[i]` is the delay in seconds before attempt i+2;
 * each delay gets ±20% jitter so receivers that failed together are not retried in lockstep.
 * A receiver's `Retry-After` (on 429 or 503) is honoured when it asks for longer, up to a day.
 * Returns undefined when the schedule is used up (the delivery is dead).
 */
export function nextAttemptDelaySeconds(
  attemptsInSchedule: number,
  schedule: readonly number[],
  retryAfterSeconds?: number,
  random: () => number = Math.random,
): number | undefined {
  const base = schedule[attemptsInSchedule - 1]
  if (base === undefined) return undefined
  const jittered = base * (0.8 + 0.4 * random())
  const asked = retryAfterSeconds === undefined ? 0 : Math.min(retryAfterSeconds, 86_400)
  return Math.max(jittered, asked)
}

/** `Retry-After` as seconds: a number of seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed)
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000))
}

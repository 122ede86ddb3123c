/** How long an action whose timeout has passed gets to wind down before it is abandoned. */
export const ACTION_GRACE_MS = 5_000

/**
 * The work's outcome, or — when `signal` has aborted and the work has not ended within the grace
 * period — `timedOut()` thrown: an action that ignores its timeout cannot hold its run for ever.
 */
export async function settledBy<T>(
  work: Promise<T>,
  signal: AbortSignal,
  timedOut: () => Error,
  graceMs = ACTION_GRACE_MS,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  let arm = () => {}
  const deadline = new Promise<never>((_, reject) => {
    arm = () => {
      timer = setTimeout(() => reject(timedOut()), graceMs)
      timer.unref()
    }
  })
  if (signal.aborted) arm()
  else signal.addEventListener('abort', arm, { once: true })
  try {
    return await Promise.race([work, deadline])
  } finally {
    signal.removeEventListener('abort', arm)
    clearTimeout(timer)
    work.catch(() => {})
  }
}

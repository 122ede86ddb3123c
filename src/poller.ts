import { coerceError } from './errors.js'

/** A loop that looks for work when nudged, and on its own every so often. */
export interface Poller {
  /** Look now: at once if idle, or once more right after the look under way. */
  nudge(): void
  /** Resolves when no look is under way. */
  idle(): Promise<void>
  /** Stops looking; resolves once the look under way (if any) has ended. */
  stop(): Promise<void>
}

/**
 * The one polling loop of the queues (the event outbox, webhook deliveries, flow runs): `look`
 * takes what work there is and says whether to look again at once (it found a full batch);
 * otherwise the next look is a nudge away, or `intervalMs`. Looks never overlap: a nudge during
 * one asks for another right after it, since work may have committed after it looked.
 */
export function startPoller(options: {
  look: () => Promise<boolean>
  intervalMs: number
  onError?: ((error: Error) => void) | undefined
}): Poller {
  let stopped = false
  let running: Promise<void> | undefined
  let again = false
  let timer: NodeJS.Timeout | undefined

  function nudge(): void {
    if (stopped) return
    if (running) {
      again = true
      return
    }
    clearTimeout(timer)
    running = options
      .look()
      .catch((error: unknown) => {
        options.onError?.(coerceError(error))
        return false
      })
      .then((full) => {
        running = undefined
        if (stopped) return
        if (full || again) {
          again = false
          nudge()
        } else timer = setTimeout(nudge, options.intervalMs)
      })
  }

  nudge()
  return {
    nudge,
    async idle() {
      while (running) await running
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}

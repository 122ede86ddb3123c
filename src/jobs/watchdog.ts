import { AppError } from '../errors.js'

/** How long a job may go without progress, and in all, before the watchdog ends it. */
export interface WatchdogLimits {
  /** No progress reported for this long: the job is stalled. */
  stallMs: number
  /** The job has run this long in all. */
  maxMs: number
  /**
   * After aborting, how long the work gets to wind down before it is abandoned (a thread stuck
   * in a system call cannot be interrupted; the job ends anyway).
   */
  graceMs?: number
}

/** What the watched work gets: an abort signal and a way to say it is moving. */
export interface Watch {
  signal: AbortSignal
  /** Call whenever the work has moved on (rows read, a statement done, a phase begun). */
  progress(): void
}

/** The watchdog ended a job: it stalled or ran out of time. Not retryable. */
export class JobWatchdogError extends AppError {
  constructor(code: 'Stalled' | 'TimedOut', message: string, target: string) {
    super(code, message, { target, retryable: false })
    this.name = 'JobWatchdogError'
  }
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`

/**
 * Runs `work` under a watchdog: if it reports no progress for `stallMs`, or runs `maxMs` in all,
 * its signal aborts and — once it has settled or `graceMs` has passed, whichever is first — this
 * throws a JobWatchdogError naming what happened, so the caller can end the job (failed, with its
 * event) however stuck the work is. Otherwise it returns or throws what the work does.
 */
export async function watched<T>(
  limits: WatchdogLimits,
  what: { name: string; target: string },
  work: (watch: Watch) => Promise<T>,
): Promise<T> {
  const controller = new AbortController()
  const started = Date.now()
  let lastProgress = started
  let fired: JobWatchdogError | undefined
  let wake: (() => void) | undefined
  const tripped = new Promise<void>((resolve) => {
    wake = resolve
  })
  const check = () => {
    const now = Date.now()
    if (now - started >= limits.maxMs)
      fired = new JobWatchdogError(
        'TimedOut',
        `${what.name} ran for ${seconds(now - started)}, over its limit of ${seconds(limits.maxMs)} (OPENINSIGHTS_JOB_TIMEOUT), and was stopped`,
        what.target,
      )
    else if (now - lastProgress >= limits.stallMs)
      fired = new JobWatchdogError(
        'Stalled',
        `${what.name} made no progress for ${seconds(now - lastProgress)} (limit ${seconds(limits.stallMs)}, OPENINSIGHTS_JOB_STALL) and was stopped`,
        what.target,
      )
    if (!fired) return
    clearInterval(timer)
    controller.abort(fired)
    setTimeout(() => wake?.(), limits.graceMs ?? 10_000).unref()
  }
  const timer = setInterval(check, Math.max(10, Math.min(1000, limits.stallMs / 4, limits.maxMs / 4)))
  timer.unref()
  const running = work({
    signal: controller.signal,
    progress: () => {
      lastProgress = Date.now()
    },
  })
  try {
    const outcome = await Promise.race([
      running.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      tripped.then(() => ({ abandoned: true as const })),
    ])
    if (fired) throw fired
    if ('error' in outcome) throw outcome.error
    if ('value' in outcome) return outcome.value
    throw new Error('unreachable')
  } finally {
    clearInterval(timer)
    // An abandoned run's late outcome must not surface as an unhandled rejection.
    running.catch(() => {})
  }
}

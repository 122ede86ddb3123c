/** Why an action failed, as its run history shows it; `retryable` failures are retried by policy. */
export class ActionFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly options: {
      retryable?: boolean
      /** The receiver asked to wait this long (Retry-After). */
      retryAfterMs?: number
      /** What the action got before failing (e.g. the HTTP response), kept in the history. */
      outputs?: unknown
      timedOut?: boolean
    } = {},
  ) {
    super(message)
    this.name = 'ActionFailure'
  }
}

/** A `terminate` action: ends the run with this status at once. */
export class RunTerminated extends Error {
  constructor(
    readonly runStatus: 'Succeeded' | 'Failed' | 'Cancelled',
    readonly runError: { code: string; message: string } | undefined,
  ) {
    super(`terminated as ${runStatus}`)
    this.name = 'RunTerminated'
  }
}

/**
 * Errors are values with a stable `code`, a human `message` and a `target` (the field, path or
 * object they concern). The HTTP layer maps them once (server/error-handler.ts); the CLI prints
 * them as one line. `retryable` tells job and delivery retry policies whether trying again can help.
 */
export class AppError extends Error {
  readonly code: string
  readonly target: string | undefined
  readonly status: number
  readonly retryable: boolean
  readonly details: unknown

  constructor(
    code: string,
    message: string,
    options: {
      target?: string
      status?: number
      retryable?: boolean
      cause?: unknown
      details?: unknown
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.target = options.target
    this.status = options.status ?? 400
    this.retryable = options.retryable ?? false
    this.details = options.details
  }

  toJSON(): { code: string; message: string; target?: string } {
    return { code: this.code, message: this.message, ...(this.target ? { target: this.target } : {}) }
  }
}

export const notFound = (what: string, target: string): AppError =>
  new AppError('NotFound', `${what} '${target}' does not exist`, { target, status: 404 })

/** Turns anything thrown into an Error, keeping the original as `cause`. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown
  if (typeof thrown === 'string') return new Error(thrown)
  return new Error(`Non-error thrown: ${safeStringify(thrown)}`, { cause: thrown })
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value)
  } catch {
    return String(value)
  }
}

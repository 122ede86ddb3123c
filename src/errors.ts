/**
 * Errors are values with a stable `code`, a human `message` and a `target` (the field, path or
 * object they concern). The HTTP layer maps them once (server/error-handler.ts); the CLI prints
 * them as one line. `retryable` tells job and delivery retry policies whether trying again can help.
 */
/**
 * What kind of failure each error code is: what went wrong, in the product's terms. The HTTP
 * layer turns a kind into a status (server/error-handler.ts); nothing below it chooses one.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'not-allowed'
  | 'conflict'
  | 'unprocessable'
  | 'too-many'
  | 'unavailable'
  | 'timeout'
  | 'internal'

/** Every error code there is, with its kind: a new code is added here, once. */
export const ERROR_CODES = {
  // invalid
  BadRequestTarget: 'invalid',
  ConfigNotFound: 'invalid',
  EntityNotFound: 'invalid',
  InstanceMismatch: 'invalid',
  InstanceRequired: 'invalid',
  InvalidAggregation: 'invalid',
  InvalidCallbackUrl: 'invalid',
  InvalidConfig: 'invalid',
  InvalidDefinition: 'invalid',
  InvalidEntity: 'invalid',
  InvalidFilter: 'invalid',
  InvalidFlow: 'invalid',
  InvalidFlowName: 'invalid',
  InvalidFormat: 'invalid',
  InvalidHost: 'invalid',
  InvalidJson: 'invalid',
  InvalidKey: 'invalid',
  InvalidLabel: 'invalid',
  InvalidMeasureSql: 'invalid',
  InvalidParameter: 'invalid',
  InvalidParameters: 'invalid',
  InvalidQuery: 'invalid',
  InvalidReference: 'invalid',
  UploadTooLarge: 'invalid',
  InvalidSchedule: 'invalid',
  InvalidScope: 'invalid',
  InvalidSecret: 'invalid',
  InvalidSecretKey: 'invalid',
  InvalidSet: 'invalid',
  InvalidSetting: 'invalid',
  InvalidWindow: 'invalid',
  JsonTooDeep: 'invalid',
  KeyMismatch: 'invalid',
  MaskedSecret: 'invalid',
  MissingCallbackUrl: 'invalid',
  MissingEventType: 'invalid',
  MissingOption: 'invalid',
  MissingParameter: 'invalid',
  NoCustomerLink: 'invalid',
  NoInstance: 'invalid',
  NoKey: 'invalid',
  NoProfiles: 'invalid',
  NoUnifyConfig: 'invalid',
  NothingToUnify: 'invalid',
  SecretKeyMismatch: 'invalid',
  ServerNotAnswering: 'invalid',
  ServerUnreachable: 'invalid',
  SourceNotPublished: 'invalid',
  UnknownKind: 'invalid',
  UnknownParameter: 'invalid',
  UnknownSourceKind: 'invalid',
  UnreadableFile: 'invalid',
  ValidationFailed: 'invalid',
  // unauthorized
  InvalidCredentials: 'unauthorized',
  InvalidSetupLink: 'unauthorized',
  Unauthorized: 'unauthorized',
  // forbidden
  Forbidden: 'forbidden',
  HostNotAllowed: 'forbidden',
  // not-found
  DataSourceNotFound: 'not-found',
  NoRejects: 'not-found',
  NotCompared: 'not-found',
  NotFound: 'not-found',
  UnknownTemplate: 'not-found',
  // not-allowed
  EntityReadOnly: 'not-allowed',
  // conflict
  AlreadySetUp: 'conflict',
  EntityExists: 'conflict',
  FlowExists: 'conflict',
  FullRefreshNotActive: 'conflict',
  ItemExists: 'conflict',
  KeyNameTaken: 'conflict',
  NoDataSources: 'conflict',
  NoEventYet: 'conflict',
  RefreshCancelled: 'conflict',
  RefreshShrank: 'conflict',
  RefreshNotActive: 'conflict',
  RunNotEnded: 'conflict',
  StoreLocked: 'conflict',
  // unprocessable
  ColumnNotFound: 'unprocessable',
  ForbiddenAddress: 'unprocessable',
  HostNotFound: 'unprocessable',
  InvalidUrl: 'unprocessable',
  PrivateAddress: 'unprocessable',
  RejectRatioExceeded: 'unprocessable',
  SourceAccessDenied: 'unprocessable',
  SourceNotFound: 'unprocessable',
  SourceQueryFailed: 'unprocessable',
  SourceUnreachable: 'unprocessable',
  SourceUnreadable: 'unprocessable',
  SmtpFailed: 'unprocessable',
  // too-many
  TooManyRequests: 'too-many',
  // unavailable
  ResourceExhausted: 'unavailable',
  // timeout
  Stalled: 'timeout',
  TimedOut: 'timeout',
  // internal
  RefreshFailed: 'internal',
} as const satisfies Record<string, ErrorKind>

export type ErrorCode = keyof typeof ERROR_CODES

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value)
}

export class AppError extends Error {
  readonly code: ErrorCode
  readonly target: string | undefined
  readonly kind: ErrorKind
  readonly retryable: boolean
  readonly details: unknown

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      target?: string | undefined
      retryable?: boolean
      cause?: unknown
      details?: unknown
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.kind = ERROR_CODES[code]
    this.target = options.target
    this.retryable = options.retryable ?? false
    this.details = options.details
  }

  toJSON(): { code: string; message: string; target?: string } {
    return { code: this.code, message: this.message, ...(this.target ? { target: this.target } : {}) }
  }
}

export const notFound = (what: string, target: string): AppError =>
  new AppError('NotFound', `${what} '${target}' does not exist`, { target })

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

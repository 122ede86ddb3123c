import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod'
import { AppError, type ErrorKind } from '../errors.js'
import type { Logger } from '../runtime/index.js'

/** The one shape of every HTTP error body (OData style). */
export interface ErrorBody {
  error: {
    code: string
    message: string
    target?: string
    details?: { code: string; message: string; target?: string }[]
  }
}

/** The HTTP status of each kind of error (errors.ts): the one place a failure gets one. */
const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'not-allowed': 405,
  conflict: 409,
  unprocessable: 422,
  'too-many': 429,
  internal: 500,
  unavailable: 503,
  timeout: 504,
}

/** Fastify's own refusals, in the API's words. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PayloadTooLarge',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UnsupportedMediaType',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'InvalidContentLength',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'EmptyBody',
  FST_ERR_CTP_INVALID_JSON_BODY: 'InvalidJson',
  FST_ERR_VALIDATION: 'ValidationFailed',
}

/** Maps everything thrown in a route to a status and an ErrorBody, in one place. */
export function errorHandler(logger: Logger) {
  return (thrown: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = toErrorResponse(thrown)
    if (status >= 500) logger.error(`${request.method} ${request.url}: ${thrown.stack ?? thrown.message}`)
    void reply.status(status).send(body)
  }
}

export function toErrorResponse(thrown: FastifyError | Error): { status: number; body: ErrorBody } {
  if (thrown instanceof AppError) {
    const details = Array.isArray(thrown.details)
      ? (thrown.details as { path?: string; message: string; fix?: string }[]).map((d) => ({
          code: thrown.code,
          message: d.fix ? `${d.message}; fix: ${d.fix}` : d.message,
          ...(d.path ? { target: d.path } : {}),
        }))
      : undefined
    return {
      status: STATUS_BY_KIND[thrown.kind],
      body: { error: { ...thrown.toJSON(), ...(details ? { details } : {}) } },
    }
  }
  if (hasZodFastifySchemaValidationErrors(thrown)) {
    const where = (thrown as FastifyError).validationContext ?? 'request'
    const details = thrown.validation.map((issue) => {
      const path = [where, ...String(issue.instancePath).split('/').filter(Boolean)].join('.')
      return { code: 'ValidationFailed', message: issue.message ?? 'invalid', target: path }
    })
    const first = details[0]
    return {
      status: 400,
      body: {
        error: {
          code: 'ValidationFailed',
          message: first ? `${first.target}: ${first.message}` : 'the request is not valid',
          ...(first ? { target: first.target } : {}),
          details,
        },
      },
    }
  }
  if (isResponseSerializationError(thrown)) {
    return {
      status: 500,
      body: { error: { code: 'InternalError', message: 'the response did not match its schema' } },
    }
  }
  const fastifyError = thrown as FastifyError
  if (fastifyError.statusCode && fastifyError.statusCode < 500) {
    return {
      status: fastifyError.statusCode,
      body: {
        error: {
          code: FASTIFY_CODES[fastifyError.code] ?? fastifyError.code ?? 'BadRequest',
          message: fastifyError.message,
        },
      },
    }
  }
  return {
    status: 500,
    body: { error: { code: 'InternalError', message: 'an unexpected error occurred; see the server log' } },
  }
}

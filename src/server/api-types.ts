import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { instanceIdSchema } from '../config/index.js'

/** The Fastify instance routes register on, typed by zod schemas. */
export type ApiApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      target: z.string().optional(),
      details: z
        .array(z.object({ code: z.string(), message: z.string(), target: z.string().optional() }))
        .optional(),
    }),
  })
  .describe('An error, OData style')

export const instanceParams = z.object({ instanceId: instanceIdSchema.describe('Instance id, e.g. demo') })

/** Standard error responses for the OpenAPI document. */
export const errorResponses = {
  400: errorBodySchema,
  404: errorBodySchema,
  409: errorBodySchema,
  422: errorBodySchema,
}

import { z } from 'zod'

/**
 * An operation of the HTTP API that the exported Power Automate connector offers: its route (the
 * server registers it from this) and how the connector shows it. One definition, so the
 * connector cannot describe a route that is not there or parameters it does not read.
 *
 * Power Automate's hints on a field — `x-ms-summary` (its label), `x-ms-visibility`,
 * `x-ms-dynamic-values`, `x-ms-url-encoding` — are zod metadata on that field's schema
 * (`.meta({ … })`); a field without a summary is labelled from its name.
 */

export type Visibility = 'important' | 'advanced' | 'internal'
export type OperationScope = 'read' | 'write' | 'subscribe' | 'admin'

/** The body of every error response: OData's error shape. */
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

/** Standard error responses for the OpenAPI document. */
export const errorResponses = {
  400: errorBodySchema,
  404: errorBodySchema,
  409: errorBodySchema,
  422: errorBodySchema,
}

/** A route's schema as Fastify takes it (zod, through fastify-type-provider-zod). */
export interface OperationSchema {
  operationId: string
  summary: string
  description: string
  tags: string[]
  params?: z.ZodObject
  querystring?: z.ZodObject
  body?: z.ZodType
  response: Record<number, z.ZodType>
}

export interface ConnectorOperation<S extends OperationSchema = OperationSchema> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  /** Fastify's form: /api/v1/instances/:instanceId/… */
  path: string
  scope: OperationScope
  schema: S
  connector: {
    visibility?: Visibility
    /** Pages through `@odata.nextLink` (Power Automate's pagination setting). */
    pageable?: boolean
    /** The body as one parameter: its name and label. */
    body?: { name: string; summary: string; description: string }
    /**
     * The success response as the connector describes it, when the route's schema also admits
     * another form (GetItems answers an OData `Entity(key)` path with one item).
     */
    response?: { status: number; schema: z.ZodType }
    /** One operation per value of this path parameter (a trigger per event type). */
    perValueOf?: string
  }
}

/** Keeps the schema's own type, so the server's handler is typed by it. */
export function defineOperation<const S extends OperationSchema>(
  operation: ConnectorOperation<S>,
): ConnectorOperation<S> {
  return operation
}

import { z } from 'zod'
import { type EventType, OFFERED_TRIGGERS } from '../../events/index.js'

/** A Swagger 2.0 schema with the x-ms-* hints Power Automate reads. */
export type SwaggerSchema = {
  type?: string
  description?: string
  format?: string
  'x-ms-summary'?: string
  properties?: Record<string, SwaggerSchema>
  items?: SwaggerSchema
  required?: string[]
  enum?: (string | number)[]
  default?: unknown
  'x-ms-visibility'?: 'important' | 'advanced' | 'internal'
  'x-ms-notification-url'?: boolean
}

const field = (
  type: string,
  summary: string,
  description: string,
  extra: Partial<SwaggerSchema> = {},
): SwaggerSchema => ({
  type,
  'x-ms-summary': summary,
  description,
  ...extra,
})

export interface TriggerDescription {
  eventType: EventType
  operationId: string
  summary: string
  description: string
  parameters: Record<string, SwaggerSchema>
  required: string[]
  data: Record<string, SwaggerSchema>
}

const SAFE_INTEGER = Number.MAX_SAFE_INTEGER

/**
 * A JSON Schema (draft 4, from zod) as Swagger 2.0 takes it: `null` is no type there (a field
 * that may be empty is its other type), and the checks a consumer of events has no use for (the
 * date-time pattern, safe-integer bounds, closed objects) are left out.
 */
function toSwagger(schema: Record<string, unknown>): SwaggerSchema {
  let out: Record<string, unknown> = { ...schema }
  const anyOf = out.anyOf as Record<string, unknown>[] | undefined
  if (anyOf) {
    const [only, ...more] = anyOf.filter((s) => s.type !== 'null')
    if (only && more.length === 0) {
      const { anyOf: _anyOf, ...rest } = out
      out = { ...only, ...rest }
    }
  }
  if (Array.isArray(out.type)) {
    const types = (out.type as string[]).filter((t) => t !== 'null')
    out.type = types.length === 1 ? types[0] : types
  }
  if (out.format === 'date-time') delete out.pattern
  if (out.minimum === -SAFE_INTEGER) delete out.minimum
  if (out.maximum === SAFE_INTEGER) delete out.maximum
  delete out.additionalProperties
  delete out.$schema
  if (out.properties) {
    out.properties = Object.fromEntries(
      Object.entries(out.properties as Record<string, Record<string, unknown>>).map(([k, v]) => [
        k,
        toSwagger(v),
      ]),
    )
    delete out.required
  }
  if (out.items) out.items = toSwagger(out.items as Record<string, unknown>)
  return out as SwaggerSchema
}

function described(schema: z.ZodType): { properties: Record<string, SwaggerSchema>; required: string[] } {
  const json = z.toJSONSchema(schema, { target: 'draft-4', io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, Record<string, unknown>>
    required?: string[]
  }
  return {
    properties: Object.fromEntries(Object.entries(json.properties ?? {}).map(([k, v]) => [k, toSwagger(v)])),
    required: json.required ?? [],
  }
}

/**
 * The six triggers, as the exported connector, the flow designer and the docs describe them:
 * derived from their definitions (src/events/triggers), each field's name and description there.
 */
export const TRIGGERS: TriggerDescription[] = OFFERED_TRIGGERS.map((trigger) => {
  const parameters = described(trigger.parameters)
  return {
    eventType: trigger.type,
    operationId: trigger.operationId,
    summary: trigger.summary,
    description: trigger.description,
    parameters: parameters.properties,
    required: parameters.required,
    data: described(trigger.payload).properties,
  }
})

/** The delivered body (see webhook-payload.ts) as Power Automate's dynamic content. */
export function payloadSchema(trigger: TriggerDescription): SwaggerSchema {
  return {
    type: 'object',
    properties: {
      type: field('string', 'Event type', `Always ${trigger.eventType}`),
      timestamp: field('string', 'Occurred at', 'When the event happened', { format: 'date-time' }),
      id: field('string', 'Event ID', 'Identifies the event; the same on every retry'),
      instanceId: field('string', 'Instance', 'The instance the event belongs to'),
      subscriptionId: field('string', 'Subscription ID', 'The subscription this delivery is for'),
      data: {
        type: 'object',
        'x-ms-summary': 'Data',
        description: 'What happened',
        properties: trigger.data,
      },
    },
  }
}

import type { z } from 'zod'
import { type EventType, OFFERED_TRIGGERS } from '../../events/index.js'
import { jsonSchemaOf, type SwaggerSchema, toSwagger } from './swagger-schema.js'

export type { SwaggerSchema }

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

function described(schema: z.ZodType): { properties: Record<string, SwaggerSchema>; required: string[] } {
  const json = jsonSchemaOf(schema, 'input')
  return {
    properties: Object.fromEntries(
      Object.entries((json.properties ?? {}) as Record<string, Record<string, unknown>>).map(([k, v]) => [
        k,
        toSwagger(v),
      ]),
    ),
    required: (json.required as string[] | undefined) ?? [],
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

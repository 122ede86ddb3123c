import { z } from 'zod'
import { ALL_TRIGGERS } from './index.js'

type JsonSchema = {
  type?: string | string[]
  description?: string
  'x-ms-summary'?: string
  properties?: Record<string, JsonSchema>
  items?: JsonSchema
  anyOf?: JsonSchema[]
  enum?: unknown[]
  default?: unknown
  format?: string
}

function typeOf(schema: JsonSchema): string {
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' \\| ')
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' \\| ')
  const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? 'any']
  return types
    .map((t) =>
      t === 'array'
        ? `${schema.items ? typeOf(schema.items) : 'any'}[]`
        : t === 'string' && schema.format
          ? schema.format
          : t,
    )
    .join(' \\| ')
}

function rows(schema: JsonSchema, prefix = ''): string[] {
  return Object.entries(schema.properties ?? {}).flatMap(([name, field]) => {
    const inner = field.properties ? field : (field.anyOf?.find((s) => s.properties) ?? field.items)
    const nested = inner?.properties ? rows(inner, `${prefix}${name}${field.items ? '[]' : ''}.`) : []
    const text = `${field['x-ms-summary'] ? `**${field['x-ms-summary']}**: ` : ''}${field.description ?? ''}`
    return [`| \`${prefix}${name}\` | ${typeOf(field)} | ${text.replaceAll('|', '\\|')} |`, ...nested]
  })
}

const json = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { target: 'draft-4', io: 'input', unrepresentable: 'any' }) as JsonSchema

/** docs/events.md, written from the trigger definitions (`npm run docs`; a test keeps it current). */
export function eventsDoc(): string {
  const sections = ALL_TRIGGERS.map((trigger) => {
    const parameters = rows(json(trigger.parameters))
    return [
      `## \`${trigger.type}\``,
      '',
      `${trigger.summary}. ${trigger.description}${trigger.offered ? '' : ' Stored and listed; not offered as a trigger.'}`,
      '',
      ...(trigger.offered
        ? parameters.length
          ? [
              "Trigger parameters (a subscription's or a flow's):",
              '',
              '| parameter | type | meaning |',
              '| --- | --- | --- |',
              ...parameters,
              '',
            ]
          : ['No trigger parameters: every such event matches.', '']
        : []),
      '`data`:',
      '',
      '| field | type | meaning |',
      '| --- | --- | --- |',
      ...rows(json(trigger.payload)),
    ].join('\n')
  })
  return `# Events

<!-- Written by \`npm run docs\` from src/events/triggers/; edit the definitions, not this file. -->

Every state change users may react to appends an event in the same transaction (the outbox):
\`{ id (ULID), type, instanceId, occurredAt, data }\`. List them with \`openinsights events\` or
\`GET …/events?type=&after=&order=desc\`. A dispatcher hands each event exactly once to every
subscriber — webhook subscriptions, flows, and the triggers that chain unification and measures —
also with several processes. Webhook deliveries wrap \`data\` as
\`{ type, timestamp, id, instanceId, subscriptionId, data }\` ([the connector](connector.md)).

${sections.join('\n\n')}
`
}

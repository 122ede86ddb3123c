import { z } from 'zod'

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
  [hint: `x-ms-${string}`]: unknown
}

/** A zod schema as JSON Schema draft 4, with its metadata (the x-ms-* hints among it). */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'draft-4', io, unrepresentable: 'any' }) as Record<string, unknown>
}

const SAFE_INTEGER = Number.MAX_SAFE_INTEGER

/** `rowCount` → "Row count", `dataUrl` → "Data URL", `@odata.nextLink` → "Next link". */
export function humanize(name: string): string {
  const words = name
    .replace(/^@odata\./, '')
    .replace(/^\$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .split(/\s+/)
    .map((word, i) => {
      if (/^(id|url|uri|json|csv|sql|api)$/i.test(word)) return word.toUpperCase()
      return i === 0 ? word.charAt(0).toUpperCase() + word.slice(1) : word.toLowerCase()
    })
  return words.join(' ')
}

/**
 * A JSON Schema (draft 4, from zod) as Swagger 2.0 takes it: `null` is no type there (a field
 * that may be empty is its other type, marked `x-nullable` as Power Automate reads it — it
 * rejects a trigger output with a null where the schema does not allow one), and the checks a consumer has no use for (the date-time
 * pattern, safe-integer bounds, closed objects) are left out. Properties without a label get one
 * from their name. `required` stays where a caller fills the schema in (a body), not in what
 * Power Automate only reads.
 */
export function toSwagger(
  schema: Record<string, unknown>,
  options: { keepRequired?: boolean } = {},
): SwaggerSchema {
  let out: Record<string, unknown> = { ...schema }
  const anyOf = out.anyOf as Record<string, unknown>[] | undefined
  if (anyOf) {
    const [only, ...more] = anyOf.filter((s) => s.type !== 'null')
    if (only && more.length === 0) {
      const { anyOf: _anyOf, ...rest } = out
      out = { ...only, ...rest, ...(anyOf.length > 1 ? { 'x-nullable': true } : {}) }
    }
  }
  if (Array.isArray(out.type)) {
    const types = (out.type as string[]).filter((t) => t !== 'null')
    if (types.length < (out.type as string[]).length) out['x-nullable'] = true
    out.type = types.length === 1 ? types[0] : types
  }
  if (out.format === 'date-time') delete out.pattern
  if (out.minimum === -SAFE_INTEGER) delete out.minimum
  if (out.maximum === SAFE_INTEGER) delete out.maximum
  delete out.additionalProperties
  delete out.propertyNames
  delete out.$schema
  if (out.properties) {
    out.properties = Object.fromEntries(
      Object.entries(out.properties as Record<string, Record<string, unknown>>).map(([k, v]) => {
        const property = toSwagger(v, options)
        return [k, property['x-ms-summary'] ? property : { ...property, 'x-ms-summary': humanize(k) }]
      }),
    )
    if (!options.keepRequired || (out.required as string[] | undefined)?.length === 0) delete out.required
  }
  if (out.items) out.items = toSwagger(out.items as Record<string, unknown>, options)
  return out as SwaggerSchema
}

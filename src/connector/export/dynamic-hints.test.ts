import { describe, expect, it } from 'vitest'
import { apiDefinition } from './connector-definition.js'

/**
 * Power Automate fills a pick list (`x-ms-dynamic-values`) or an entity's fields
 * (`x-ms-dynamic-schema`, `x-ms-dynamic-properties`) by calling another operation of the connector
 * with values taken from the caller's parameters. Nothing checks at import that those names
 * agree: a wrong one shows an empty list to the maker. So every hint in the export is resolved
 * here against the operations the export has.
 */

type Schema = Record<string, unknown> & {
  properties?: Record<string, Schema>
  items?: Schema
  enum?: unknown[]
}
type Parameter = Schema & { name: string; in: string; required?: boolean; schema?: Schema }
type Operation = {
  operationId: string
  parameters: Parameter[]
  responses: Record<string, { schema?: Schema }>
}
type Hint = { kind: string; caller: Operation; where: string; hint: Record<string, unknown> }

const HINTS = ['x-ms-dynamic-values', 'x-ms-dynamic-schema', 'x-ms-dynamic-properties'] as const

const definition = apiDefinition() as { paths: Record<string, Record<string, Operation>> }
const operations = new Map<string, Operation>()
for (const item of Object.values(definition.paths))
  for (const [method, operation] of Object.entries(item))
    if (!method.startsWith('x-ms-')) operations.set(operation.operationId, operation)

/** Every hint anywhere in a schema (properties, array items), with where it was found. */
function hintsIn(schema: Schema | undefined, caller: Operation, where: string, into: Hint[]): Hint[] {
  if (!schema) return into
  for (const kind of HINTS)
    if (schema[kind]) into.push({ kind, caller, where, hint: schema[kind] as Record<string, unknown> })
  for (const [name, property] of Object.entries(schema.properties ?? {}))
    hintsIn(property, caller, `${where}.${name}`, into)
  hintsIn(schema.items, caller, `${where}[]`, into)
  return into
}

const allHints: Hint[] = []
for (const operation of operations.values()) {
  for (const parameter of operation.parameters) {
    hintsIn(parameter, operation, parameter.name, allHints)
    hintsIn(parameter.schema, operation, parameter.name, allHints)
  }
  for (const [status, response] of Object.entries(operation.responses))
    hintsIn(response.schema, operation, `response ${status}`, allHints)
}

/** The names a caller can pass on: its parameters, and the properties of its body (which Power Automate shows as fields). */
function callerNames(operation: Operation): Set<string> {
  const names = new Set<string>()
  for (const parameter of operation.parameters) {
    if (parameter.in === 'body')
      for (const name of Object.keys(parameter.schema?.properties ?? {})) names.add(name)
    else names.add(parameter.name)
  }
  return names
}

const successSchema = (operation: Operation) =>
  (operation.responses['200'] ?? operation.responses['201'])?.schema as Schema

describe('the dynamic hints of the exported connector', () => {
  it('has pick lists and entity fields where a maker would otherwise type names', () => {
    const where = allHints.map((h) => `${h.caller.operationId} ${h.where} ${h.kind}`)
    for (const expected of [
      'OnSegmentThresholdCrossed subscription.segmentName x-ms-dynamic-values',
      'OnMeasureThresholdCrossed subscription.measureName x-ms-dynamic-values',
      'OnMeasureThresholdCrossed subscription.dimension x-ms-dynamic-values',
      'OnDataSourceRefreshFailed subscription.dataSourceName x-ms-dynamic-values',
      'GetItems entity x-ms-dynamic-values',
      'CreateItem entity x-ms-dynamic-values',
      'CreateItem item x-ms-dynamic-schema',
      'CreateItem item x-ms-dynamic-properties',
      'UpdateItem item x-ms-dynamic-schema',
      'GetItem response 200 x-ms-dynamic-schema',
      'GetItems response 200.value[] x-ms-dynamic-properties',
    ])
      expect(where).toContain(expected)
  })

  it('names operations, parameters and fields that exist', () => {
    expect(allHints.length).toBeGreaterThan(20)
    for (const { kind, caller, where, hint } of allHints) {
      const label = `${caller.operationId} ${where} ${kind}`
      const target = operations.get(hint.operationId as string)
      expect(target, `${label}: no operation ${String(hint.operationId)}`).toBeDefined()
      if (!target) continue
      const targetParameters = new Map(target.parameters.map((p) => [p.name, p]))
      const given = (hint.parameters ?? {}) as Record<string, unknown>
      for (const [name, value] of Object.entries(given)) {
        const parameter = targetParameters.get(name)
        expect(parameter, `${label}: ${target.operationId} has no parameter ${name}`).toBeDefined()
        const reference =
          typeof value === 'object' && value !== null
            ? ((value as { parameter?: string; parameterReference?: string }).parameter ??
              (value as { parameterReference?: string }).parameterReference)
            : undefined
        if (reference !== undefined) {
          expect(
            callerNames(caller),
            `${label}: ${caller.operationId} has no ${reference} to pass on`,
          ).toContain(reference)
          // v2 (dynamic properties) says where the value comes from with parameterReference; v1 with parameter.
          expect(Object.keys(value as object)).toEqual([
            kind === 'x-ms-dynamic-properties' ? 'parameterReference' : 'parameter',
          ])
        } else {
          const literal = typeof value === 'object' ? (value as { value: unknown }).value : value
          if (parameter?.enum) expect(parameter.enum, label).toContain(literal)
          else expect(typeof literal, label).toBe('string')
        }
      }
      // Every path parameter of the target is given: a call without one cannot be made.
      for (const parameter of target.parameters)
        if (parameter.in === 'path')
          expect(Object.keys(given), `${label}: ${parameter.name}`).toContain(parameter.name)
      const response = successSchema(target)
      if (kind === 'x-ms-dynamic-values') {
        const collection = response.properties?.[hint['value-collection'] as string]
        expect(collection?.type, label).toBe('array')
        for (const path of [hint['value-path'], hint['value-title']] as string[])
          expect(collection?.items?.properties?.[path], `${label}: ${path}`).toBeDefined()
      } else {
        const path = (kind === 'x-ms-dynamic-schema' ? hint['value-path'] : hint.itemValuePath) as string
        expect(response.properties?.[path], `${label}: ${path}`).toBeDefined()
      }
    }
  })
})

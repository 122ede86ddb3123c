import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { definitionHash } from './flow-runs.js'
import { stableJson } from './stable-json.js'

/** The same JSON with every object's keys in reverse order. */
const reordered = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(reordered)
    : value && typeof value === 'object'
      ? Object.fromEntries(
          Object.entries(value)
            .reverse()
            .map(([k, v]) => [k, reordered(v)]),
        )
      : value

describe('a flow definition version', () => {
  const definition = fc.dictionary(fc.string(), fc.jsonValue())

  it('is the same for the same JSON whatever its key order (as jsonb gives it back)', () => {
    fc.assert(
      fc.property(definition, (d) => {
        expect(definitionHash(reordered(d) as Record<string, unknown>)).toBe(definitionHash(d))
      }),
    )
  })

  it('differs between definitions that differ', () => {
    fc.assert(
      fc.property(definition, definition, (a, b) => {
        fc.pre(stableJson(a) !== stableJson(b))
        expect(definitionHash(a)).not.toBe(definitionHash(b))
      }),
    )
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { storableValues } from './safe-values.js'

const replaceNul = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value).replaceAll('\\u0000', '\\ufffd'))

describe('values sent to the control plane', () => {
  it('carry no NUL, in strings, arrays or JSON, and keep everything else as it was', () => {
    const text = fc.string({ unit: fc.constantFrom('a', '\0', '\\', 'u', '0', '"', 'é', '\n') })
    const json = fc.jsonValue().map((v) => ({ v }))
    fc.assert(
      fc.property(
        fc.array(fc.oneof(text, json, fc.array(text), fc.integer(), fc.constant(null))),
        (values) => {
          const out = storableValues(values) as unknown[]
          for (const [i, value] of values.entries()) {
            const sent = out[i]
            if (typeof value === 'string') expect(sent).toBe(value.replaceAll('\0', '\uFFFD'))
            else if (Array.isArray(value))
              expect(sent).toEqual(value.map((s) => s.replaceAll('\0', '\uFFFD')))
            else if (value !== null && typeof value === 'object') {
              const parsed = typeof sent === 'string' ? JSON.parse(sent) : sent
              expect(parsed).toEqual(replaceNul(value))
              expect(typeof sent === 'string' ? sent : JSON.stringify(sent)).not.toContain('\\u0000')
            } else expect(sent).toBe(value)
          }
          // Objects go as their JSON (what pg would send for them); anything else without a NUL as it was.
          const plain = values.every((v) => v === null || typeof v !== 'object' || Array.isArray(v))
          if (plain && !JSON.stringify(values).includes('\\u0000')) expect(out).toBe(values)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('keeps a written backslash before u0000 as text', () => {
    const [sent] = storableValues([{ path: 'C:\\u0000dir', nul: 'a\0b' }]) as [string]
    expect(JSON.parse(sent)).toEqual({ path: 'C:\\u0000dir', nul: 'a\uFFFDb' })
  })
})

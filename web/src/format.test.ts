import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatValue } from './format'

describe('formatValue', () => {
  it('keeps a DECIMAL column’s scale and hides binary rounding noise', () => {
    expect(formatValue(2708.1, 'DECIMAL(10,2)')).toBe('2708.10')
    expect(formatValue(2708.0900000000006, 'DOUBLE')).toBe('2708.09')
    expect(formatValue(0.1 + 0.2)).toBe('0.3')
    expect(formatValue(12, 'BIGINT')).toBe('12')
    expect(formatValue(null)).toBe('')
    expect(formatValue({ a: 1 })).toBe('{"a":1}')
  })

  it('reads back as the same integer, or the same number to 15 significant digits (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        const expected = Number.isInteger(n) ? n : Number(n.toPrecision(15))
        expect(Number(formatValue(n)) === expected).toBe(true)
      }),
    )
  })
})

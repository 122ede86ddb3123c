import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { guessDelimiter } from './csv-source.js'

describe('guessDelimiter', () => {
  it('finds the delimiter every line agrees on, whatever the values hold (property)', () => {
    const value = fc.string({
      unit: fc.constantFrom('a', 'Z', '1', ' ', '.', ',', ';', '|', '\t', 'ø'),
      maxLength: 6,
    })
    fc.assert(
      fc.property(
        fc.constantFrom(',', ';', '\t', '|'),
        fc.integer({ min: 2, max: 6 }),
        fc.array(fc.array(value, { minLength: 6, maxLength: 6 }), { minLength: 2, maxLength: 40 }),
        (delimiter, columns, rows) => {
          // Values holding a delimiter or quote are quoted, as spreadsheets write them.
          const field = (v: string) => (/[,;|\t"]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)
          const text = rows.map((r) => r.slice(0, columns).map(field).join(delimiter)).join('\r\n')
          expect(guessDelimiter(Buffer.from(`${text}\r\n`), 'utf-8', '"')).toBe(delimiter)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('is not swayed by one malformed line, and finds nothing in a one-column file', () => {
    const lines = ['id,name,born', ...Array.from({ length: 30 }, (_, i) => `${i},n ${i},2024-01-01`)]
    lines.splice(5, 0, '999;too;many;here;x')
    expect(guessDelimiter(Buffer.from(lines.join('\n')), 'utf-8', '"')).toBe(',')
    expect(guessDelimiter(Buffer.from('email\na@x.dk\nb@y.dk\n'), 'utf-8', '"')).toBeUndefined()
  })
})

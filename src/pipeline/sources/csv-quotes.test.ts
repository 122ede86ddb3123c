import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { blankLines, findBrokenQuotes } from './csv-quotes.js'

const dir = mkdtempSync(join(tmpdir(), 'oi-quotes-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const rules = { delimiter: 0x2c, quote: 0x22, escape: 0x22 }
let n = 0
const write = (text: string) => {
  const file = join(dir, `f${n++}.csv`)
  writeFileSync(file, text)
  return file
}

/** A field as a CSV writer writes it: quoted when it holds a delimiter, quote or line break. */
const field = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value)
const csv = (rows: string[][], eol: string) => rows.map((r) => r.map(field).join(',')).join(eol) + eol

describe('findBrokenQuotes', () => {
  it('finds an unterminated quote in the middle and at the end, and a quote followed by text', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => `${i + 1},name ${i + 1},"quoted, fine"`)
    lines[49] = '50,"name 50,x' // never closes: the rest would be one value
    lines[79] = '80,"name" 80,x' // closed, then text
    const file = write(`id,name,note\n${lines.join('\n')}\n"open at the end\n`)
    expect((await findBrokenQuotes(file, rules)).map((b) => b.line)).toEqual([51, 81, 102])
  })

  it('blanks the broken lines, keeping every other line where it was', async () => {
    const file = write('id,name\r\n1,a\r\n2,"b\r\n3,c\r\n')
    const broken = await findBrokenQuotes(file, rules)
    expect(broken.map((b) => b.line)).toEqual([3])
    const out = join(dir, 'out.csv')
    expect(await blankLines(file, out, broken)).toEqual([{ line: 3, record: '2,"b' }])
    expect(readFileSync(out, 'utf8')).toBe('id,name\r\n1,a\r\n\r\n3,c\r\n')
  })

  it('stops when its passes have read what they may, however many lines are damaged', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => `${i},"broken ${i}`)
    const file = write(`id,name\n${lines.join('\n')}\n`)
    const size = readFileSync(file).length
    const found = await findBrokenQuotes(file, rules, 1000, 4 * size)
    // The first damaged lines are found, each pass reading the rest of the file, until 4× is spent.
    expect(found.length).toBeGreaterThan(3)
    expect(found.length).toBeLessThan(20)
    expect(found.map((b) => b.line)).toEqual(Array.from({ length: found.length }, (_, i) => i + 2))
    expect((await findBrokenQuotes(file, rules, 1000)).length).toBe(100)
  })

  it('never reports a line of a well-formed file (property)', async () => {
    const value = fc.string({
      unit: fc.constantFrom('a', 'Z', '9', ' ', ',', '"', '\n', '\r', 'ø'),
      maxLength: 8,
    })
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(value, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 30 }),
        fc.constantFrom('\n', '\r\n'),
        async (rows, eol) => {
          expect(await findBrokenQuotes(write(csv(rows, eol)), rules)).toEqual([])
        },
      ),
      { numRuns: 200 },
    )
  })

  it('finds exactly the damaged lines among quoted fields spanning lines (property)', async () => {
    // Values start with a letter; quoted ones may hold quotes and line breaks after it.
    const value = fc
      .tuple(
        fc.constantFrom('a', 'b', 'Z'),
        fc.string({ unit: fc.constantFrom('x', ' ', '"', '\n'), maxLength: 6 }),
      )
      .map(([first, rest]) => first + rest)
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(value, { minLength: 2, maxLength: 2 }), { minLength: 2, maxLength: 25 }),
        fc.uniqueArray(fc.nat(24), { minLength: 1, maxLength: 3 }),
        async (rows, picks) => {
          const damaged = new Set(picks.filter((p) => p < rows.length))
          let line = 1
          const expected: number[] = []
          const text = rows
            .map((row, i) => {
              const written = damaged.has(i)
                ? `"${row[0]?.replace(/[\n"]/g, '')},x`
                : row.map(field).join(',')
              if (damaged.has(i)) expected.push(line)
              line += written.split('\n').length
              return written
            })
            .join('\n')
          expect((await findBrokenQuotes(write(`${text}\n`), rules)).map((b) => b.line)).toEqual(expected)
        },
      ),
      { numRuns: 200 },
    )
  })
})

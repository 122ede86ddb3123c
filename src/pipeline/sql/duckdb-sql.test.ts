import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { useSqlSession } from '../../../test/helpers/duck.js'
import { ident, literal, literalList, param, sql } from '../../query/index.js'
import { isColumnType } from './duckdb-sql.js'

const session = useSqlSession()

// Any text without NUL (which DuckDB strings cannot hold), including quotes and SQL.
const text = fc.string({ unit: 'binary', maxLength: 60 }).filter((s) => !s.includes('\u0000'))

describe('SQL quoting', () => {
  it('literal() round-trips any text through DuckDB unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(text, async (value) => {
        // Compared inside DuckDB with the same text bound as a parameter, and read back: the
        // Node binding's reader drops a leading U+FEFF (its TextDecoder takes it for a byte
        // order mark), so the text read back is compared without it.
        const rows = await session().rows(
          sql`select ${literal(value)} as v, ${literal(value)} = ${param(value)} as same, length(${literal(value)}) as n`,
        )
        expect(rows[0]?.same).toBe(true)
        expect(Number(rows[0]?.n)).toBe([...value].length)
        expect(rows[0]?.v).toBe(value.replace(/^\uFEFF/, ''))
      }),
      { numRuns: 300 },
    )
  })

  it("reads a leading U+FEFF back without it (the Node binding's reader; DuckDB keeps it)", async () => {
    const rows = await session().rows(
      sql`select ${literal('\uFEFFa')} as v, length(${literal('\uFEFFa')}) as n`,
    )
    expect(Number(rows[0]?.n)).toBe(2)
    expect(rows[0]?.v).toBe('a')
  })

  it('keeps a column named __proto__ or constructor as a value of the row', async () => {
    const rows = await session().rows(sql`select 1 as "__proto__", 2 as "constructor", 3 as "toString"`)
    expect(Object.entries(rows[0] ?? {})).toEqual([
      ['__proto__', 1],
      ['constructor', 2],
      ['toString', 3],
    ])
    const json = await session().jsonRows(sql`select 1 as "__proto__"`)
    expect(JSON.stringify(json)).toBe('[{"__proto__":1}]')
  })

  it('ident() names a column exactly as given, whatever it holds', async () => {
    await fc.assert(
      fc.asyncProperty(
        text.filter((s) => s.length > 0),
        async (name) => {
          const rows = await session().rows(sql`select 1 as ${ident(name)}`)
          expect(Object.keys(rows[0] ?? {})).toEqual([name])
        },
      ),
      { numRuns: 300 },
    )
  })

  it('literalList() keeps each item intact', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(text, { maxLength: 5 }), async (values) => {
        const rows = await session().rows(sql`select ${literalList(values)}::varchar[] as v`)
        expect(rows[0]?.v).toEqual(values)
      }),
      { numRuns: 200 },
    )
  })

  it('accepts only known column types', () => {
    expect(isColumnType('date')).toBe(true)
    expect(isColumnType('DECIMAL(10, 2)')).toBe(true)
    expect(isColumnType('DATE); DROP TABLE x; --')).toBe(false)
    expect(isColumnType('VARCHAR[]')).toBe(false)
  })
})

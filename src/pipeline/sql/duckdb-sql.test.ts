import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { useSqlSession } from '../../../test/helpers/duck.js'
import { ident, literal, literalList, sql } from '../../query/index.js'
import { isColumnType } from './duckdb-sql.js'

const session = useSqlSession()

// Any text without NUL (which DuckDB strings cannot hold), including quotes and SQL.
const text = fc.string({ unit: 'binary', maxLength: 60 }).filter((s) => !s.includes('\u0000'))

describe('SQL quoting', () => {
  it('literal() round-trips any text through DuckDB unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(text, async (value) => {
        const rows = await session().rows(sql`select ${literal(value)} as v`)
        expect(rows[0]?.v).toBe(value)
      }),
      { numRuns: 300 },
    )
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

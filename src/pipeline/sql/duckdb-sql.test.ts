import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ident, literal, literalList } from '../../query/index.js'
import { isColumnType } from './duckdb-sql.js'

let duck: DuckDBInstance
let connection: DuckDBConnection
beforeAll(async () => {
  duck = await DuckDBInstance.create(':memory:')
  connection = await duck.connect()
})
afterAll(() => {
  connection.closeSync()
  duck.closeSync()
})

// Any text without NUL (which DuckDB strings cannot hold), including quotes and SQL.
const text = fc.string({ unit: 'binary', maxLength: 60 }).filter((s) => !s.includes('\u0000'))

describe('SQL quoting', () => {
  it('literal() round-trips any text through DuckDB unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(text, async (value) => {
        const rows = (await connection.runAndReadAll(`select ${literal(value)} as v`)).getRowObjectsJS()
        expect(rows[0]?.v).toBe(value)
      }),
      { numRuns: 300 },
    )
  })

  it('ident() names a column exactly as given, whatever it holds', async () => {
    await fc.assert(
      fc.asyncProperty(
        text.filter((s) => s.length > 0),
        async (name) => {
          const result = await connection.runAndReadAll(`select 1 as ${ident(name)}`)
          expect(result.columnNames()).toEqual([name])
        },
      ),
      { numRuns: 300 },
    )
  })

  it('literalList() keeps each item intact', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(text, { maxLength: 5 }), async (values) => {
        const rows = (
          await connection.runAndReadAll(`select ${literalList(values)}::varchar[] as v`)
        ).getRowObjectsJS()
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

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { useSqlSession } from '../../test/helpers/duck.js'
import {
  EMPTY,
  ident,
  inlineValue,
  isSql,
  join,
  literal,
  param,
  type SqlInterpolation,
  sql,
  typeName,
  userWrittenSql,
} from './sql.js'

const session = useSqlSession()

// Text without NUL (which DuckDB strings cannot hold), including quotes, `?` and SQL.
const text = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\u0000'))

describe('sql`…`', () => {
  it('keeps the bound values of nested fragments in the order their placeholders appear', () => {
    const inner = sql`${param('b')} || ${param('c')}`
    const statement = sql`select ${param('a')}, ${inner}, ${join([param('d'), param('e')])} where x = ${param(5)}`
    expect(statement.text).toBe('select ?, ? || ?, ?, ? where x = ?')
    expect(statement.params).toEqual(['a', 'b', 'c', 'd', 'e', 5])
  })

  it('binds values from a fragment used as a separator', () => {
    const joined = join([param(1), param(2), param(3)], sql` + ${param(10)} + `)
    expect(joined.text).toBe('? + ? + ? + ? + ?')
    expect(joined.params).toEqual([1, 10, 2, 10, 3])
  })

  it('refuses a plain string, an object or a non-finite number as an interpolation', () => {
    expect(() => sql`select ${'1; drop table x' as unknown as SqlInterpolation}`).toThrow(TypeError)
    expect(() => sql`select ${{ text: 'x' } as unknown as SqlInterpolation}`).toThrow(TypeError)
    expect(() => sql`select ${Number.NaN}`).toThrow(TypeError)
    expect(() => sql`select ${Number.POSITIVE_INFINITY}`).toThrow(TypeError)
  })

  it('never lets a negative number turn the rest of a line into a comment', async () => {
    const statement = sql`select 1 -${-5} as v`
    expect(statement.text).toBe('select 1 -(-5) as v')
    expect(await session().value(statement)).toBe(6)
    expect(await session().value(sql`select 1 -${inlineValue(-2.5)} as v`)).toBe(3.5)
    expect(Number(await session().value(sql`select 1 -${-3n} as v`))).toBe(4)
  })

  it('throws when a fragment is spliced into a plain template string', () => {
    const fragment = ident('name')
    expect(() => `select ${fragment}`).toThrow(/SQL used as a string/)
    expect(() => String(sql`select 1`)).toThrow(TypeError)
    expect(isSql(fragment)).toBe(true)
    expect(isSql({ text: 'x', params: [] })).toBe(false)
  })

  it('builds nothing from EMPTY and joins an empty list to nothing', () => {
    expect(sql`select 1${EMPTY}`.text).toBe('select 1')
    expect(join([]).text).toBe('')
  })
})

describe('the DuckDB every session runs on', () => {
  const session = useSqlSession()
  it("reads files anew each time: DuckDB's external file cache is off (stale reads, duckdb#23255)", async () => {
    expect(await session().value(sql`select current_setting('enable_external_file_cache')`)).toBe(false)
  })
})

describe('values reach DuckDB intact', () => {
  it('a bound value comes back exactly as given, whatever it holds', async () => {
    await fc.assert(
      fc.asyncProperty(text, async (value) => {
        expect(await session().value(sql`select ${param(value)}::varchar`)).toBe(value)
      }),
      { numRuns: 200 },
    )
  })

  it('an inlined value comes back as given (strings, integers, doubles, booleans, null)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          text,
          fc.integer(),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.boolean(),
          fc.constant(null),
        ),
        async (value) => {
          const back = await session().value(sql`select ${inlineValue(value)}`)
          if (typeof value === 'number') expect(Number(back)).toBe(value === 0 ? 0 : value)
          else expect(back).toBe(value)
        },
      ),
      // Found by fast-check: a fraction written as a decimal came back rounded.
      { numRuns: 300, examples: [[-0.0000011264301084130803], [2 ** 60], [1e21], [-5e-324]] },
    )
  })

  it('literal, ident and param keep `?` in text apart from placeholders', async () => {
    const rows = await session().rows(
      sql`select ${literal('a ? b')} as ${ident('what?')}, ${param('c')} as ${ident('p')}`,
    )
    expect(rows).toEqual([{ 'what?': 'a ? b', p: 'c' }])
  })
})

describe('typeName and userWrittenSql', () => {
  it('accept DuckDB type names and refuse anything else', () => {
    for (const type of ['VARCHAR', 'DECIMAL(18, 2)', 'TIMESTAMP WITH TIME ZONE', 'INTEGER[]', ' double '])
      expect(typeName(type).text).toBe(type.trim())
    for (const type of ['VARCHAR); drop table x; --', "VARCHAR'", 'INT -- x', '1INT', 'INT/*x*/'])
      expect(() => typeName(type)).toThrow(TypeError)
  })

  it('passes a measure author’s SQL through as text with nothing bound', () => {
    const statement = userWrittenSql("select 'x' as ?")
    expect(statement.text).toBe("select 'x' as ?")
    expect(statement.params).toEqual([])
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../errors.js'
import type { FilterExpression } from './filter-ast.js'
import { parseFilter } from './filter-parser.js'

/** Renders a tree back to OData text, fully parenthesised. */
function render(e: FilterExpression): string {
  switch (e.kind) {
    case 'literal':
      if (e.type === 'string') return `'${e.value.replaceAll("'", "''")}'`
      if (e.type === 'null') return 'null'
      return String(e.value)
    case 'negate':
      return `(-${render(e.operand)})`
    case 'arithmetic':
      return `(${render(e.left)} ${e.operator} ${render(e.right)})`
    case 'property':
      return e.name
    case 'compare':
      return `(${render(e.left)} ${e.operator} ${render(e.right)})`
    case 'and':
    case 'or':
      return `(${render(e.left)} ${e.kind} ${render(e.right)})`
    case 'not':
      return `(not ${render(e.operand)})`
    case 'call':
      return `${e.name}(${e.args.map(render).join(', ')})`
    case 'in':
      return `(${render(e.operand)} in (${e.list.map(render).join(', ')}))`
  }
}

/** The tree without positions, to compare parses of different texts. */
const shape = (e: FilterExpression): unknown =>
  JSON.parse(
    JSON.stringify(e, (k, v) => (k === 'position' ? undefined : typeof v === 'bigint' ? String(v) : v)),
  )

const property = fc
  .constantFrom('Name', 'City', 'Age', 'first_name', 'x1')
  .map((name): FilterExpression => ({ kind: 'property', name, position: 0 }))
const literal: fc.Arbitrary<FilterExpression> = fc.oneof(
  fc
    .string({ maxLength: 8 })
    .map((value) => ({ kind: 'literal', type: 'string', value, position: 0 }) as FilterExpression),
  fc
    .integer({ min: -1000, max: 1000 })
    .map(
      (value) =>
        ({ kind: 'literal', type: 'number', value, numberKind: 'integer', position: 0 }) as FilterExpression,
    ),
  fc.boolean().map((value) => ({ kind: 'literal', type: 'boolean', value, position: 0 }) as FilterExpression),
  fc.constant({ kind: 'literal', type: 'null', value: null, position: 0 } as FilterExpression),
)
const expression = fc.letrec<{ e: FilterExpression }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small' },
    fc
      .tuple(property, fc.constantFrom('eq', 'ne', 'gt', 'ge', 'lt', 'le'), literal)
      .map(
        ([left, operator, right]) =>
          ({ kind: 'compare', operator, left, right, position: 0 }) as FilterExpression,
      ),
    fc
      .tuple(fc.constantFrom('contains', 'startswith', 'endswith'), property, literal)
      .map(([name, a, b]) => ({ kind: 'call', name, args: [a, b], position: 0 }) as FilterExpression),
    fc
      .tuple(property, fc.array(literal, { minLength: 1, maxLength: 3 }))
      .map(([operand, list]) => ({ kind: 'in', operand, list, position: 0 }) as FilterExpression),
    fc
      .tuple(tie('e'), fc.constantFrom('and', 'or'), tie('e'))
      .map(([left, kind, right]) => ({ kind, left, right, position: 0 }) as FilterExpression),
    tie('e').map((operand) => ({ kind: 'not', operand, position: 0 }) as FilterExpression),
    fc
      .tuple(
        property,
        fc.constantFrom('add', 'sub', 'mul', 'div', 'divby', 'mod'),
        fc.integer({ min: 0, max: 99 }),
        fc.constantFrom('eq', 'gt'),
        fc.integer({ min: -9, max: 9 }),
      )
      .map(
        ([left, operator, n, comparison, m]) =>
          ({
            kind: 'compare',
            operator: comparison,
            left: {
              kind: 'arithmetic',
              operator,
              left,
              right: { kind: 'literal', type: 'number', value: n, numberKind: 'integer', position: 0 },
              position: 0,
            },
            right: { kind: 'literal', type: 'number', value: m, numberKind: 'integer', position: 0 },
            position: 0,
          }) as FilterExpression,
      ),
  ),
})).e

describe('parseFilter', () => {
  it('parses what it renders back to the same tree', () => {
    fc.assert(
      fc.property(expression, (tree) => {
        expect(shape(parseFilter(render(tree)))).toEqual(shape(tree))
      }),
      { numRuns: 500 },
    )
  })

  it('follows OData precedence: not and - bind tightest, then mul, add, gt, eq, and, or', () => {
    expect(shape(parseFilter('a eq 1 or b eq 2 and c'))).toEqual(
      shape(parseFilter('(a eq 1) or ((b eq 2) and c)')),
    )
    // not binds tighter than eq: `not a eq true` is `(not a) eq true`.
    expect(shape(parseFilter('not a eq true'))).toEqual(shape(parseFilter('(not a) eq true')))
    expect(shape(parseFilter('a add 2 mul 3 gt 4 eq true'))).toEqual(
      shape(parseFilter('((a add (2 mul 3)) gt 4) eq true')),
    )
    expect(shape(parseFilter('-a sub 1 eq 0'))).toEqual(shape(parseFilter('((-a) sub 1) eq 0')))
    expect(shape(parseFilter('Name EQ 1 AND Price LT 2'))).toEqual(
      shape(parseFilter('(Name eq 1) and (Price lt 2)')),
    )
  })

  it('reads literals: escaped quotes, dates, date-times, big integers', () => {
    expect(parseFilter("Name eq 'O''Neil'")).toMatchObject({ right: { type: 'string', value: "O'Neil" } })
    expect(parseFilter('Born lt 2001-02-03')).toMatchObject({ right: { type: 'date', value: '2001-02-03' } })
    expect(parseFilter('At ge 2024-05-31T12:00:00Z')).toMatchObject({ right: { type: 'datetime' } })
    expect(parseFilter('Id eq 123456789012345678901')).toMatchObject({
      right: { value: 123456789012345678901n },
    })
    expect(parseFilter('Id eq 01234567-89ab-CDEF-0123-456789abcdef')).toMatchObject({
      right: { type: 'guid', value: '01234567-89ab-cdef-0123-456789abcdef' },
    })
    expect(parseFilter('Price eq 3.14159265358979323846')).toMatchObject({
      right: { numberKind: 'decimal', digits: '3.14159265358979323846' },
    })
    expect(parseFilter('Price eq -INF')).toMatchObject({ right: { value: Number.NEGATIVE_INFINITY } })
    expect(parseFilter('Price eq 1e3')).toMatchObject({ right: { value: 1000, numberKind: 'double' } })
    expect(parseFilter('At eq 12:30:05')).toMatchObject({ right: { type: 'time', value: '12:30:05' } })
    expect(parseFilter('Born eq -10000-04-01')).toMatchObject({
      right: { type: 'date', value: '-10000-04-01' },
    })
    expect(parseFilter('At eq 1972-06-30T23:59:60Z')).toMatchObject({ right: { type: 'datetime' } })
    expect(parseFilter('Név eq 1 and 名前 eq 2')).toMatchObject({ left: { left: { name: 'Név' } } })
    expect(parseFilter('x in ()')).toMatchObject({ kind: 'in', list: [] })
  })

  it('names the position and what was expected', () => {
    const cases: [string, string][] = [
      ["Name eq 'Ann", '$filter: unterminated string literal at position 9'],
      ['Name eq', '$filter: expected a value, a property or ( but found the end at position 8'],
      ['(Age gt 3', "$filter: expected ')' but found the end at position 10"],
      [
        'Age gt 3 Name',
        "$filter: expected an operator, or the end of the expression but found 'Name' at position 10",
      ],
      [
        'frobnicate(Name)',
        "$filter: unknown function 'frobnicate'; use contains, startswith, endswith, tolower, toupper, trim, length, concat, indexof, substring, matchespattern, year, month, day, hour, minute, second, fractionalseconds, date, time, totaloffsetminutes, now, maxdatetime, mindatetime, round, floor, ceiling at position 1",
      ],
      ['contains(Name)', '$filter: contains takes 2 arguments, not 1 at position 1'],
      ['Age # 3', "$filter: unexpected character '#' at position 5"],
      ['', '$filter: the filter is empty at position 1'],
      ['Born eq 2001-13-45', '$filter: 2001-13-45 is not valid: month 13 does not exist at position 9'],
      ['Born eq 2024-02-30', '$filter: 2024-02-30 is not valid: 2024-02 has no day 30 at position 9'],
      [
        'At eq 2011-12-31T24:00Z',
        '$filter: 2011-12-31T24:00Z is not valid: hour 24 does not exist (the day ends at 23:59:59) at position 7',
      ],
      ['Price eq 42.', "$filter: unexpected character '4' at position 10"],
      [
        'Id eq 01234g67-89ab-cdef-0123-456789abcdef',
        "$filter: '01234g67-89ab-cdef-0123-456789abcdef' is not a GUID (8-4-4-4-12 hexadecimal digits) or a date at position 12",
      ],
      ['x in (a, b)', '$filter: in takes a list of literal values at position 7'],
      [' true', '$filter: no whitespace is allowed before the expression at position 1'],
    ]
    for (const [text, message] of cases) {
      const error = (() => {
        try {
          parseFilter(text)
        } catch (e) {
          return e
        }
      })()
      expect(error, text).toBeInstanceOf(AppError)
      expect((error as AppError).message, text).toBe(message)
      expect((error as AppError).kind).toBe('invalid')
    }
  })

  it('refuses nesting deeper than 100 instead of overflowing the stack', () => {
    expect(() => parseFilter(`${'('.repeat(5000)}a eq 1${')'.repeat(5000)}`)).toThrow(/nests too deeply/)
    expect(() => parseFilter(`${'not '.repeat(5000)}a eq 1`)).toThrow(/nests too deeply/)
    expect(() => parseFilter(`${'tolower('.repeat(5000)}a${')'.repeat(5000)} eq 'x'`)).toThrow(
      /nests too deeply/,
    )
  })

  it("reads Dataverse's query functions and OData 3's typed literals as the comparisons they mean", () => {
    const now = Date.UTC(2026, 4, 15, 10, 30) // a Friday
    const range = (text: string) => {
      const e = parseFilter(text) as {
        left: { right: { value: string } }
        right: { right: { value: string } }
      }
      return [e.left.right.value, e.right.right.value]
    }
    expect(range("Microsoft.Dynamics.CRM.Today(PropertyName='createdon')")[0]).toMatch(/T00:00:00.000Z$/)
    expect(
      shape(parseFilter('Microsoft.Dynamics.CRM.In(PropertyName=\'city\',PropertyValues=["Oslo","Bergen"])')),
    ).toEqual(shape(parseFilter("city in ('Oslo', 'Bergen')")))
    expect(
      shape(parseFilter("Microsoft.Dynamics.CRM.Between(PropertyName='n',PropertyValues=['5','2000'])")),
    ).toEqual(shape(parseFilter('n ge 5 and n le 2000')))
    expect(shape(parseFilter("substringof('x', name)"))).toEqual(shape(parseFilter("contains(name, 'x')")))
    expect(parseFilter("d ge datetime'2024-01-01T00:00:00'")).toMatchObject({ right: { type: 'datetime' } })
    expect(parseFilter("id eq guid'0BF5A4C4-0000-4000-8000-000000000001'")).toMatchObject({
      right: { type: 'guid', value: '0bf5a4c4-0000-4000-8000-000000000001' },
    })
    expect(() => parseFilter("Microsoft.Dynamics.CRM.LastXDays(PropertyName='d')")).toThrow(/PropertyValue=n/)
    expect(() => parseFilter('Microsoft.Dynamics.CRM.Today()')).toThrow(/PropertyName='column'/)
    expect(() => parseFilter("Microsoft.Dynamics.CRM.Above(PropertyName='d')")).toThrow(
      /not a query function this service has/,
    )
    expect(now).toBeGreaterThan(0)
  })
})

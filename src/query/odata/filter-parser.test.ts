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
    case 'property':
      return e.name
    case 'compare':
      return `(${render(e.left)} ${e.operator} ${render(e.right)})`
    case 'and':
    case 'or':
      return `(${render(e.left)} ${e.kind} ${render(e.right)})`
    case 'not':
      return `not (${render(e.operand)})`
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
    .map((value) => ({ kind: 'literal', type: 'number', value, position: 0 }) as FilterExpression),
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

  it('binds and tighter than or, and not to the condition after it', () => {
    expect(shape(parseFilter('a eq 1 or b eq 2 and not c eq 3'))).toEqual(
      shape(parseFilter('(a eq 1) or ((b eq 2) and (not (c eq 3)))')),
    )
  })

  it('reads literals: escaped quotes, dates, date-times, big integers', () => {
    expect(parseFilter("Name eq 'O''Neil'")).toMatchObject({ right: { type: 'string', value: "O'Neil" } })
    expect(parseFilter('Born lt 2001-02-03')).toMatchObject({ right: { type: 'date', value: '2001-02-03' } })
    expect(parseFilter('At ge 2024-05-31T12:00:00Z')).toMatchObject({ right: { type: 'datetime' } })
    expect(parseFilter('Id eq 123456789012345678901')).toMatchObject({
      right: { value: 123456789012345678901n },
    })
  })

  it('names the position and what was expected', () => {
    const cases: [string, string][] = [
      ["Name eq 'Ann", '$filter: unterminated string literal at position 9'],
      ['Name eq', '$filter: expected a value, a property or ( but found the end at position 8'],
      ['(Age gt 3', "$filter: expected ')' but found the end at position 10"],
      [
        'Age gt 3 Name',
        "$filter: expected and, or, or the end of the filter but found 'Name' at position 10",
      ],
      [
        'frobnicate(Name)',
        "$filter: unknown function 'frobnicate'; use contains, startswith, endswith, tolower, toupper, trim, length, year, month, day at position 1",
      ],
      ['contains(Name)', '$filter: contains takes 2 arguments, not 1 at position 1'],
      ['Age # 3', "$filter: unexpected character '#' at position 5"],
      ['', '$filter: the filter is empty at position 1'],
      ['Born eq 2001-13-45', '$filter: 2001-13-45 is not a valid date at position 9'],
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
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EXPRESSION_FUNCTIONS, type ExpressionScope, evaluateValue } from './evaluate.js'
import { ExpressionError, parseExpression } from './expression-parser.js'

const scope: ExpressionScope = {
  trigger: {
    body: { name: 'HighValueCustomers', threshold: 100, value: 324, direction: 'up', dimension: null },
    outputs: { type: 'segment.threshold.crossed', id: '01ABC' },
  },
  actions: {
    Get_items: {
      status: 'Succeeded',
      outputs: {
        statusCode: 200,
        body: {
          value: [
            { email: 'a@x.dk', total: 10 },
            { email: 'b@x.dk', total: 32.5 },
          ],
        },
      },
    },
  },
  items: [['For_each', { email: 'a@x.dk', total: 10 }]],
  parameters: { owner: 'data@x.dk' },
}
const run = (text: string) => evaluateValue(text, scope)

describe('workflow expressions', () => {
  it('reads the trigger, actions, loop items and parameters as Power Automate writes them', () => {
    expect(run("@triggerBody()?['name']")).toBe('HighValueCustomers')
    expect(run('@triggerBody().value')).toBe(324)
    expect(run("@triggerBody()?['missing']?['deeper']")).toBeNull()
    expect(run("@triggerOutputs()['type']")).toBe('segment.threshold.crossed')
    expect(run("@body('Get_items')?['value'][1]['email']")).toBe('b@x.dk')
    expect(run("@outputs('Get_items')['statusCode']")).toBe(200)
    expect(run("@actions('Get_items').status")).toBe('Succeeded')
    expect(run("@items('For_each')?['email']")).toBe('a@x.dk')
    expect(run('@item().total')).toBe(10)
    expect(run("@parameters('owner')")).toBe('data@x.dk')
    // Property names match regardless of case.
    expect(run("@triggerBody()?['NAME']")).toBe('HighValueCustomers')
  })

  it('interpolates @{…} in text, keeps the type of a whole @expression, and @@ escapes', () => {
    expect(run("Segment @{triggerBody()?['name']} has @{triggerBody()?['value']} members")).toBe(
      'Segment HighValueCustomers has 324 members',
    )
    expect(run("@triggerBody()?['value']")).toBe(324)
    expect(run('@@home')).toBe('@home')
    expect(run('mail me@x.dk')).toBe('mail me@x.dk')
    expect(run("@{body('Get_items')?['value'][0]}")).toBe('{"email":"a@x.dk","total":10}')
    expect(evaluateValue({ to: "@parameters('owner')", list: ['@add(1, 2)', 'x'] }, scope)).toEqual({
      to: 'data@x.dk',
      list: [3, 'x'],
    })
  })

  it('has at least 30 functions of every family, each doing what its name says', () => {
    expect(EXPRESSION_FUNCTIONS.length).toBeGreaterThanOrEqual(30)
    const cases: [string, unknown][] = [
      ["@concat('a', 1, true, null)", 'a1true'],
      ["@substring('openinsights', 4, 6)", 'insigh'],
      ["@replace('a-b-c', '-', '+')", 'a+b+c'],
      ["@toUpper('dk')", 'DK'],
      ["@toLower('DK')", 'dk'],
      ["@trim('  x ')", 'x'],
      ["@indexOf('Hello', 'L')", 2],
      ["@startsWith('Hello', 'he')", true],
      ["@endsWith('Hello', 'LO')", true],
      ["@split('a,b', ',')", ['a', 'b']],
      ["@formatNumber(1234.5, 'N2')", '1,234.50'],
      ["@length(body('Get_items')?['value'])", 2],
      ['@contains(createArray(1, 2), 2)', true],
      ["@contains('segment', 'gme')", true],
      ["@empty('')", true],
      ['@first(createArray(7, 8))', 7],
      ["@last('abc')", 'c'],
      ["@join(createArray('a', 'b'), '; ')", 'a; b'],
      ['@union(createArray(1, 2), createArray(2, 3))', [1, 2, 3]],
      ['@intersection(createArray(1, 2, 3), createArray(2, 3, 4))', [2, 3]],
      ['@skip(createArray(1, 2, 3), 1)', [2, 3]],
      ['@take(createArray(1, 2, 3), 2)', [1, 2]],
      ['@range(3, 3)', [3, 4, 5]],
      ["@equals(triggerBody()?['direction'], 'up')", true],
      ['@and(true, greater(5, 3), lessOrEquals(3, 3))', true],
      ['@or(false, less(5, 3))', false],
      ['@not(equals(1, 2))', true],
      ["@if(greaterOrEquals(triggerBody()?['value'], 100), 'big', 'small')", 'big'],
      ["@coalesce(null, triggerBody()?['missing'], 'fallback')", 'fallback'],
      ['@add(2, 3)', 5],
      ['@sub(2, 3)', -1],
      ['@mul(2.5, 4)', 10],
      ['@div(7, 2)', 3],
      ['@div(7.5, 2)', 3.75],
      ['@mod(7, 3)', 1],
      ['@min(4, 2, 9)', 2],
      ['@max(createArray(4, 2, 9))', 9],
      ["@int('42')", 42],
      ["@float('2.5')", 2.5],
      ['@string(json(\'{"a":1}\'))', '{"a":1}'],
      ["@bool('TRUE')", true],
      ["@base64ToString(base64('hej'))", 'hej'],
      ["@encodeUriComponent('a b&c')", 'a%20b%26c'],
      ["@formatDateTime('2026-03-02T10:05:00Z', 'yyyy-MM-dd HH:mm')", '2026-03-02 10:05'],
      ["@formatDateTime('2026-03-02T10:05:00Z', 'dddd d MMMM')", 'Monday 2 March'],
      ["@addDays('2026-03-02T10:05:00Z', 30, 'yyyy-MM-dd')", '2026-04-01'],
      ["@addHours('2026-03-02T23:30:00Z', 1, 's')", '2026-03-03T00:30:00'],
      ["@startOfDay('2026-03-02T10:05:00Z')", '2026-03-02T00:00:00.0000000Z'],
      ["@dayOfWeek('2026-03-02T10:05:00Z')", 1],
      ["@setProperty(json('{\"a\":1}'), 'b', 2)", { a: 1, b: 2 }],
      ['@removeProperty(json(\'{"a":1,"b":2}\'), \'a\')', { b: 2 }],
    ]
    for (const [expression, expected] of cases) expect(run(expression), expression).toEqual(expected)
    expect(run('@utcNow()')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/)
    expect(run('@guid()')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('names the position and the function of an error, and never runs code', () => {
    const error = (text: string) => {
      try {
        run(text)
      } catch (e) {
        expect(e).toBeInstanceOf(ExpressionError)
        return (e as Error).message
      }
      throw new Error(`no error for ${text}`)
    }
    expect(error("@concat('a', substring('abc', 2, 5))")).toBe(
      'substring(…, 2, 5) is outside a string of length 3 (at position 14, in substring())',
    )
    expect(error("@body('Nope')")).toMatch(/no finished action 'Nope' \(finished: Get_items\).*in body\(\)/)
    expect(error("@triggerBody()['missing']['x']")).toMatch(/no property 'missing'.*write \?\['missing'\]/)
    expect(error('@nosuch(1)')).toMatch(/unknown function; known: .*not.*in nosuch\(\)/)
    expect(error('@add(1, 2')).toMatch(/expected , or \) to close add\( \(at position 10\)/)
    expect(error("@concat('a'")).toMatch(/at position/)
    expect(error('@process.exit(1)')).toMatch(/not a function call/)
    expect(error('@add(1)')).toMatch(/add\(\) takes 2 arguments, got 1/)
  })

  it('reads any string literal back exactly, and adds any two integers (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const literal = `'${text.replaceAll("'", "''")}'`
        expect(run(`@concat(${literal})`)).toBe(text)
        expect(parseExpression(`toLower(${literal})`)).toMatchObject({ kind: 'call', name: 'toLower' })
      }),
      { numRuns: 300 },
    )
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: -1e9, max: 1e9 }), (a, b) => {
        expect(run(`@add(${a}, ${b})`)).toBe(a + b)
        expect(run(`@greater(${a}, ${b})`)).toBe(a > b)
      }),
      { numRuns: 300 },
    )
  })

  it('rejects garbage with an ExpressionError, never another exception (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        try {
          run(`@${text}`)
        } catch (error) {
          expect(error).toBeInstanceOf(ExpressionError)
        }
      }),
      { numRuns: 500 },
    )
  })
})

import { describe, expect, it } from 'vitest'
import { EXPRESSION_FUNCTIONS, type ExpressionScope, evaluateValue } from './evaluate.js'

/** No trigger, no actions: these functions read only their arguments. */
const none: ExpressionScope = { trigger: { body: null, outputs: null }, actions: {}, items: [] }

/**
 * Examples of Microsoft's "Reference guide to workflow expression functions in Azure Logic Apps
 * and Power Automate" (articles/logic-apps/expression-functions-reference.md), each with the result
 * the guide states, for the functions added after the first 76.
 */
const EXAMPLES: [string, unknown][] = [
  ["@isInt('10')", true],
  ["@isInt('10.5')", false],
  ["@isFloat('10,000.00')", true],
  ["@isFloat('10.000,00', 'de-DE')", true],
  ["@isFloat('abc')", false],
  ["@nthIndexOf('123456789123465789', '1', 1)", 0],
  ["@nthIndexOf('123456789123465789', '1', 2)", 9],
  ["@nthIndexOf('123456789123465789', '12', 2)", 9],
  ["@nthIndexOf('123456789123465789', '6', 4)", -1],
  ["@chunk('abcdefghijklmnopqrstuvwxyz', 10)", ['abcdefghij', 'klmnopqrst', 'uvwxyz']],
  [
    '@chunk(createArray(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), 5)',
    [
      [1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10],
      [11, 12],
    ],
  ],
  ['@reverse(createArray(0, 1, 2, 3))', [3, 2, 1, 0]],
  ['@sort(createArray(2, 1, 0, 3))', [0, 1, 2, 3]],
  [
    '@sort(createArray(json(\'{"first":"Amalie","last":"Hofer"}\'), json(\'{"first":"Andreas","last":"Fischer"}\')), \'last\')',
    [
      { first: 'Andreas', last: 'Fischer' },
      { first: 'Amalie', last: 'Hofer' },
    ],
  ],
  ["@decodeBase64('aGVsbG8=')", 'hello'],
  ["@dataUri('hello')", 'data:text/plain;charset=utf-8;base64,aGVsbG8='],
  ["@dataUriToString('data:text/plain;charset=utf-8;base64,aGVsbG8=')", 'hello'],
  ["@uriComponentToString('https%3A%2F%2Fcontoso.com')", 'https://contoso.com'],
  // The guide's decimal keeps all 17 digits; here it is a double (15–17 significant digits).
  ["@decimal('1.2345678912312131')", Number('1.2345678912312131')],
  ["@dateDifference('2015-02-08', '2018-07-30')", '1268.00:00:00'],
  ["@dayOfMonth('2018-03-15T13:27:36Z')", 15],
  ["@dayOfYear('2018-03-15T13:27:36Z')", 74],
  ["@startOfHour('2018-03-15T13:30:30Z')", '2018-03-15T13:00:00.0000000Z'],
  ["@startOfMonth('2018-03-15T13:30:30Z')", '2018-03-01T00:00:00.0000000Z'],
  ["@addToTime('2018-01-01T00:00:00Z', 1, 'Day')", '2018-01-02T00:00:00.0000000Z'],
  ["@subtractFromTime('2018-01-02T00:00:00Z', 1, 'Day')", '2018-01-01T00:00:00.0000000Z'],
  ["@uriHost('https://www.localhost.com:8080')", 'www.localhost.com'],
  ["@uriPath('https://www.contoso.com/catalog/shownew.htm?date=today')", '/catalog/shownew.htm'],
  [
    "@uriPathAndQuery('https://www.contoso.com/catalog/shownew.htm?date=today')",
    '/catalog/shownew.htm?date=today',
  ],
  ["@uriPort('https://www.localhost:8080')", 8080],
  ["@uriQuery('https://www.contoso.com/catalog/shownew.htm?date=today')", '?date=today'],
  ["@uriScheme('https://www.contoso.com/catalog/shownew.htm?date=today')", 'https'],
]

describe("the reference guide's examples", () => {
  it.each(EXAMPLES)('%s', (expression, expected) => {
    expect(evaluateValue(expression, none)).toEqual(expected)
  })

  it('moves now forward and back by a unit (getFutureTime, getPastTime)', () => {
    const future = Date.parse(evaluateValue("@getFutureTime(5, 'Day')", none) as string)
    const past = Date.parse(evaluateValue("@getPastTime(5, 'Day')", none) as string)
    expect(Math.round((future - Date.now()) / 86_400_000)).toBe(5)
    expect(Math.round((Date.now() - past) / 86_400_000)).toBe(5)
  })

  it('knows at least 103 functions', () => {
    expect(EXPRESSION_FUNCTIONS.length).toBeGreaterThanOrEqual(103)
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  formatNumberText,
  formatTimestamp,
  parseInCulture,
  parseNumber,
  parseTimestamp,
  timestamp,
} from './dotnet-format.js'
import { evaluateValue } from './evaluate.js'
import { callFunction } from './expression-functions.js'

const none = { trigger: { body: null, outputs: null }, actions: {}, items: [] }
const run = (expression: string) => evaluateValue(`@${expression}`, none)

describe('timestamps', () => {
  it('keep an unzoned time unzoned and a zoned one in UTC', () => {
    expect(run("formatDateTime('2018-03-15T12:00:00')")).toBe('2018-03-15T12:00:00.0000000')
    expect(run("formatDateTime('2018-03-15T12:00:00+02:00')")).toBe('2018-03-15T10:00:00.0000000Z')
    expect(run("formatDateTime('2025-09-25T05:18:31.3384797Z')")).toBe('2025-09-25T05:18:31.3384797Z')
    expect(run("addDays('2018-03-15T12:00:00', 1)")).toBe('2018-03-16T12:00:00.0000000')
  })

  it('refuse impossible dates instead of rolling them over', () => {
    expect(() => run("formatDateTime('2024-02-30')")).toThrow(/not a valid date/)
    expect(() => run("formatDateTime('2018-01-01T80:00:00Z')")).toThrow(/not a valid date/)
    expect(() => run("formatDateTime('yesterday')")).toThrow(/not a timestamp/)
  })

  it('add months as .NET does (Jan 31 + 1 month is Feb 28 or 29)', () => {
    expect(run("addToTime('2024-01-31T00:00:00Z', 1, 'Month', 'yyyy-MM-dd')")).toBe('2024-02-29')
    expect(run("addToTime('2023-01-31T00:00:00Z', 1, 'Month', 'yyyy-MM-dd')")).toBe('2023-02-28')
    expect(run("subtractFromTime('2024-02-29T00:00:00Z', 1, 'Year', 'yyyy-MM-dd')")).toBe('2023-02-28')
  })

  it('convert Windows time zones with daylight saving', () => {
    expect(run("convertFromUtc('2018-07-01T08:00:00Z', 'Pacific Standard Time')")).toBe(
      '2018-07-01T01:00:00.0000000',
    )
    expect(run("convertFromUtc('2018-07-01T08:00:00Z', 'W. Europe Standard Time', 'HH:mm')")).toBe('10:00')
    expect(run("convertToUtc('2018-07-01T10:00:00', 'Romance Standard Time', 'HH:mm')")).toBe('08:00')
    expect(
      run("convertTimeZone('2018-01-01T09:00:00', 'Tokyo Standard Time', 'Europe/London', 'HH:mm')"),
    ).toBe('00:00')
    expect(() => run("convertFromUtc('2018-07-01T08:00:00Z', 'Atlantis Time')")).toThrow(/not a time zone/)
    // The guide: "you might have to remove any punctuation from the time zone name".
    expect(run("convertFromUtc('2018-07-01T08:00:00Z', 'W Europe Standard Time', 'HH:mm')")).toBe('10:00')
    expect(run("convertToUtc('2018-01-01T00:00:00', 'US Mountain Standard Time', 'HH:mm')")).toBe('07:00')
  })

  it('format in cultures with standard and custom formats', () => {
    const ts = "'2016-01-31T14:05:09Z'"
    expect(run(`formatDateTime(${ts}, 'D', 'de-DE')`)).toBe('Sonntag, 31. Januar 2016')
    expect(run(`formatDateTime(${ts}, 'hh:mm tt')`)).toBe('02:05 PM')
    expect(run(`formatDateTime(${ts}, 'r')`)).toBe('Sun, 31 Jan 2016 14:05:09 GMT')
    expect(run(`formatDateTime(${ts}, 's')`)).toBe('2016-01-31T14:05:09')
    expect(run(`formatDateTime(${ts}, 'yyyy ''at'' HH')`)).toBe('2016 at 14')
    expect(() => run(`formatDateTime(${ts}, 'Q')`)).toThrow(/not a date format/)
    expect(() => run(`formatDateTime(${ts}, 'D', 'xx-not-a-locale-at-all')`)).toThrow(/not a locale/)
  })

  it('parse what the "o" format writes, for any instant (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1, 0, 1), max: Date.UTC(9999, 11, 31) }),
        fc.integer({ min: 0, max: 9999 }),
        fc.boolean(),
        (ms, ticks, utc) => {
          const ts = timestamp(ms, utc ? 'utc' : 'unspecified', ticks)
          expect(parseTimestamp(formatTimestamp(ts, 'o'))).toEqual(ts)
        },
      ),
    )
  })

  it('parse a date written by a culture back (property)', () => {
    const locales = ['en-US', 'fr-FR', 'de-DE', 'es-ES', 'en-GB', 'nl-NL']
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1950, 0, 1), max: Date.UTC(2049, 11, 31) }),
        fc.constantFrom(...locales),
        fc.constantFrom('d', 'D', 'dd MMMM yyyy', 'MMM d, yyyy'),
        (ms, locale, format) => {
          const day = ms - (ms % 86_400_000)
          const text = formatTimestamp(timestamp(day, 'unspecified'), format, locale)
          expect(parseInCulture(text, locale).ms).toBe(day)
        },
      ),
    )
  })
})

describe('numbers', () => {
  it('types integers and floats apart, and keeps decimal digits', () => {
    expect(run('div(11, 5)')).toBe(2)
    expect(run('div(11, 5.0)')).toBe(2.2)
    expect(run('div(float(11), 5)')).toBe(2.2)
    expect(run('div(add(1.5, 1.5), 2)')).toBe(1.5)
    expect(run('add(0.1, 0.2)')).toBe(0.3)
    expect(run("string(add(decimal('0.1'), decimal('0.2')))")).toBe('0.3')
    expect(run("string(mul(decimal('1.10'), 3))")).toBe('3.3')
    expect(run("greater(decimal('1.5'), 1)")).toBe(true)
    expect(() => run('div(1, 0)')).toThrow(/division by zero/)
  })

  it('formats with .NET standard and custom formats in a culture', () => {
    expect(formatNumberText(1234.5, 'N', 'en-US')).toBe('1,234.50')
    expect(formatNumberText(1234.5, 'N0', 'de-DE')).toBe('1.235')
    expect(formatNumberText(0.1234, 'P1', 'en-US')).toBe('12.3%')
    expect(formatNumberText(1234.5, 'C', 'de-DE')).toBe('1.234,50 €')
    expect(formatNumberText(42, 'D5', 'en-US')).toBe('00042')
    expect(formatNumberText(255, 'X4', 'en-US')).toBe('00FF')
    expect(formatNumberText(1052.0329112756, 'E2', 'en-US')).toBe('1.05E+003')
    expect(formatNumberText(0.5, '#.##', 'en-US')).toBe('.5')
    expect(formatNumberText(-1234.567, '0.0', 'en-US')).toBe('-1234.6')
    expect(formatNumberText(0.256, '0%', 'en-US')).toBe('26%')
    expect(formatNumberText(12, "'#'000", 'en-US')).toBe('#012')
  })

  it('reads numbers as .NET does, in a culture', () => {
    expect(parseNumber('1,234.5')).toBe(1234.5)
    expect(parseNumber('1.234,5', 'de-DE')).toBe(1234.5)
    expect(parseNumber('1 234,5', 'fr-FR')).toBe(1234.5)
    expect(parseNumber('1e3')).toBe(1000)
    expect(parseNumber('12-')).toBe(-12)
    expect(parseNumber('1.2.3')).toBeUndefined()
    expect(parseNumber('abc')).toBeUndefined()
    expect(parseNumber('')).toBeUndefined()
    expect(() => run("float('abc')")).toThrow(/not a number/)
  })

  it('reads back what a culture writes (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e12, max: 1e12, noNaN: true }),
        fc.constantFrom('en-US', 'de-DE', 'fr-FR', 'es-ES', 'it-IT', 'sv-SE', 'ja-JP'),
        (value, locale) => {
          const text = new Intl.NumberFormat(locale, { maximumFractionDigits: 6 }).format(value)
          const read = parseNumber(text, locale) as number
          expect(Math.abs(read - Number(value.toFixed(6)))).toBeLessThanOrEqual(
            1e-6 * Math.max(1, Math.abs(value)),
          )
        },
      ),
    )
  })
})

describe('xml', () => {
  it('never expands entities: a DOCTYPE is refused', () => {
    expect(() =>
      run(`xml('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')`),
    ).toThrow(/DOCTYPE/)
  })

  it('refuses what is not XML, or an object without one root', () => {
    expect(() => run("xml('<a><b></a>')")).toThrow(/not XML/)
    expect(() => run('xml(json(\'{"a": 1, "b": 2}\'))')).toThrow(/one root/)
    expect(() => run("xml(json('[1, 2]'))")).toThrow(/array/)
    expect(() => run("xpath(xml('<a/>'), '//[')")).toThrow(/not an XPath/)
  })

  it('round-trips attributes, text and repeated elements through json()', () => {
    expect(run(`json(xml('<r a="1"><i>x</i><i>y</i>t</r>'))`)).toEqual({
      r: { '@a': '1', i: ['x', 'y'], '#text': 't' },
    })
  })
})

describe('functions that read text nobody here wrote', () => {
  it('answer a value or a plain error for any input, and end (fuzzed)', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom(
        '<a>',
        '<?xml version="1.0"?><r><i>1</i></r>',
        '{"a":[1,{"b":null}]}',
        'yyyy-MM-dd',
        '#,##0.00;(#)',
        '//*',
        'sum(//i)',
      ),
    )
    const locale = fc.constantFrom(undefined, 'en-US', 'fr-FR', 'de-DE', 'is-IS', 'ja-JP', 'xx', '')
    const calls: fc.Arbitrary<[string, unknown[]]> = fc.oneof(
      fc
        .tuple(
          fc.constantFrom('xml', 'json', 'decimal', 'isFloat', 'isInt', 'dataUriToString', 'uriHost'),
          text,
        )
        .map(([f, a]) => [f, [a]] as [string, unknown[]]),
      fc.tuple(text, text).map(([a, b]) => ['xpath', [a, b]] as [string, unknown[]]),
      fc
        .tuple(text, locale, fc.option(text))
        .map(([a, l, f]) => ['parseDateTime', [a, l, ...(f === null ? [] : [f])]] as [string, unknown[]]),
      fc.tuple(text, text, locale).map(([a, f, l]) => ['formatDateTime', [a, f, l]] as [string, unknown[]]),
      fc
        .tuple(fc.double(), text, locale)
        .map(([n, f, l]) => ['formatNumber', [n, f, l]] as [string, unknown[]]),
      fc
        .tuple(text, locale)
        .map(([a, l]) => ['float', [a, ...(l === undefined ? [] : [l])]] as [string, unknown[]]),
      fc
        .tuple(text, text, text)
        .map(([a, from, to]) => ['convertTimeZone', [a, from, to]] as [string, unknown[]]),
    )
    fc.assert(
      fc.property(calls, ([name, args]) => {
        try {
          callFunction(name, args)
        } catch (error) {
          expect(error, `${name}(${JSON.stringify(args)})`).toBeInstanceOf(Error)
          expect(String((error as Error).message).length).toBeGreaterThan(0)
        }
      }),
      { numRuns: 2000, seed: 20261201 },
    )
  })
})

/**
 * Timestamps and numbers as the workflow definition language reads and writes them: .NET's
 * standard and custom date/number format strings, in any culture Intl knows. A timestamp keeps
 * whether it was zoned ("…Z", UTC) or not ("2018-03-15T00:00:00"), as .NET's DateTime.Kind does,
 * and the 100-nanosecond ticks below the millisecond that the "o" format prints.
 */
import { getCurrency } from 'locale-currency'

export interface Timestamp {
  /** The wall-clock time read as if it were UTC, in milliseconds. */
  ms: number
  /** 100-ns ticks below the millisecond (0–9999). */
  ticks: number
  /** 'utc' prints a Z in the "o" format; 'unspecified' prints no zone. */
  kind: 'utc' | 'unspecified'
}

export const timestamp = (ms: number, kind: Timestamp['kind'] = 'utc', ticks = 0): Timestamp => ({
  ms,
  ticks,
  kind,
})

/** RFC 4646 names as .NET takes them ('fr-fr', 'en_US'); an unknown one is an error. */
export function culture(locale: unknown): string {
  if (locale === undefined || locale === null || locale === '') return 'en-US'
  if (typeof locale !== 'string') throw new Error(`a locale is a string like 'fr-FR', not ${typeof locale}`)
  try {
    const [canonical] = Intl.getCanonicalLocales(locale.replace('_', '-'))
    if (canonical && Intl.DateTimeFormat.supportedLocalesOf([canonical]).length) return canonical
  } catch {
    // fall through to the error
  }
  throw new Error(`'${locale}' is not a locale this runtime knows (write it like 'en-US' or 'fr-FR')`)
}

function validDate(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  const ms = Date.UTC(y, mo - 1, d, h, mi, s)
  const date = new Date(ms)
  if (
    mo < 1 ||
    mo > 12 ||
    date.getUTCDate() !== d ||
    date.getUTCMonth() !== mo - 1 ||
    h > 23 ||
    mi > 59 ||
    s > 59 ||
    y < 1 ||
    y > 9999
  )
    throw new Error('out of range')
  if (y < 100) date.setUTCFullYear(y)
  return date.getTime()
}

function fraction(digits: string | undefined): { ms: number; ticks: number } {
  const seven = (digits ?? '').padEnd(7, '0').slice(0, 7)
  return { ms: Number(seven.slice(0, 3)), ticks: Number(seven.slice(3)) }
}

const ISO =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,7})\d*)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i
const US =
  /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?\s*(AM|PM)?)?\s*(Z)?$/i

/** Reads a timestamp the way the language does: ISO 8601 (zoned or not), US "MM/dd/yyyy [time]", or RFC 1123. */
export function parseTimestamp(value: unknown): Timestamp {
  if (typeof value !== 'string') throw new Error(`expected a timestamp string, got ${JSON.stringify(value)}`)
  const text = value.trim()
  try {
    const iso = ISO.exec(text)
    if (iso) {
      const f = fraction(iso[7])
      const wall = validDate(
        Number(iso[1]),
        Number(iso[2]),
        Number(iso[3]),
        Number(iso[4] ?? 0),
        Number(iso[5] ?? 0),
        Number(iso[6] ?? 0),
      )
      const zone = iso[8]
      if (!zone) return { ms: wall + f.ms, ticks: f.ticks, kind: 'unspecified' }
      let offset = 0
      if (zone.toUpperCase() !== 'Z') {
        const sign = zone[0] === '-' ? -1 : 1
        const digits = zone.slice(1).replace(':', '')
        offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0))
      }
      return { ms: wall + f.ms - offset * 60_000, ticks: f.ticks, kind: 'utc' }
    }
    const us = US.exec(text)
    if (us) {
      let hour = Number(us[4] ?? 0)
      const half = us[8]?.toUpperCase()
      if (half && (hour < 1 || hour > 12)) throw new Error('out of range')
      if (half === 'PM' && hour < 12) hour += 12
      if (half === 'AM' && hour === 12) hour = 0
      const f = fraction(us[7])
      const wall = validDate(
        Number(us[3]),
        Number(us[1]),
        Number(us[2]),
        hour,
        Number(us[5] ?? 0),
        Number(us[6] ?? 0),
      )
      return { ms: wall + f.ms, ticks: f.ticks, kind: us[9] ? 'utc' : 'unspecified' }
    }
  } catch {
    throw new Error(`'${text}' is not a valid date and time`)
  }
  // RFC 1123 ("Mon, 09 Apr 2018 18:47:12 GMT") and other zoned forms JavaScript reads.
  if (/^[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}(:\d{2})? (GMT|UTC|Z)$/.test(text)) {
    const ms = Date.parse(text)
    if (!Number.isNaN(ms)) return { ms, ticks: 0, kind: 'utc' }
  }
  throw new Error(
    `'${text}' is not a timestamp; write ISO 8601 (2018-03-15T13:00:00Z) or use parseDateTime() with a locale and format`,
  )
}

// --- names of months and days in a culture --------------------------------------------------

const nameCache = new Map<string, string[]>()
function names(locale: string, what: 'month' | 'weekday', width: 'long' | 'short'): string[] {
  const key = `${locale}|${what}|${width}`
  let list = nameCache.get(key)
  if (!list) {
    const format = new Intl.DateTimeFormat(locale, { [what]: width, timeZone: 'UTC' })
    list =
      what === 'month'
        ? Array.from({ length: 12 }, (_, m) => format.format(Date.UTC(2021, m, 1)))
        : // 2021-01-03 was a Sunday: index 0 is Sunday, as .NET's DayOfWeek.
          Array.from({ length: 7 }, (_, d) => format.format(Date.UTC(2021, 0, 3 + d)))
    nameCache.set(key, list)
  }
  return list
}

function dayPeriod(locale: string, hour: number): string {
  const part = new Intl.DateTimeFormat(locale, { hour: 'numeric', hour12: true, timeZone: 'UTC' })
    .formatToParts(Date.UTC(2021, 0, 1, hour))
    .find((p) => p.type === 'dayPeriod')
  return part?.value ?? (hour < 12 ? 'AM' : 'PM')
}

// --- formatting -------------------------------------------------------------------------------

const pad = (n: number, width = 2) => String(n).padStart(width, '0')
const CUSTOM =
  /yyyyy|yyyy|yyy|yy|y|MMMM|MMM|MM|M|dddd|ddd|dd|d|HH|H|hh|h|mm|m|ss|s|fffffff|ffffff|fffff|ffff|fff|ff|f|FFFFFFF|FFFFFF|FFFFF|FFFF|FFF|FF|F|tt|t|K|zzz|zz|z|gg|g|'[^']*'|"[^"]*"|\\.|%|./gs

function custom(ts: Timestamp, format: string, locale: string): string {
  const d = new Date(ts.ms)
  const h = d.getUTCHours()
  const seven = `${pad(d.getUTCMilliseconds(), 3)}${pad(ts.ticks, 4)}`
  const zone = (width: number) =>
    ts.kind === 'utc' ? (width === 3 ? '+00:00' : width === 2 ? '+00' : '+0') : ''
  return format.replace(CUSTOM, (token) => {
    switch (token) {
      case 'yyyyy':
        return pad(d.getUTCFullYear(), 5)
      case 'yyyy':
        return pad(d.getUTCFullYear(), 4)
      case 'yyy':
        return pad(d.getUTCFullYear(), 3)
      case 'yy':
        return pad(d.getUTCFullYear() % 100)
      case 'y':
        return String(d.getUTCFullYear() % 100)
      case 'MMMM':
        return names(locale, 'month', 'long')[d.getUTCMonth()] as string
      case 'MMM':
        return names(locale, 'month', 'short')[d.getUTCMonth()] as string
      case 'MM':
        return pad(d.getUTCMonth() + 1)
      case 'M':
        return String(d.getUTCMonth() + 1)
      case 'dddd':
        return names(locale, 'weekday', 'long')[d.getUTCDay()] as string
      case 'ddd':
        return names(locale, 'weekday', 'short')[d.getUTCDay()] as string
      case 'dd':
        return pad(d.getUTCDate())
      case 'd':
        return String(d.getUTCDate())
      case 'HH':
        return pad(h)
      case 'H':
        return String(h)
      case 'hh':
        return pad(h % 12 || 12)
      case 'h':
        return String(h % 12 || 12)
      case 'mm':
        return pad(d.getUTCMinutes())
      case 'm':
        return String(d.getUTCMinutes())
      case 'ss':
        return pad(d.getUTCSeconds())
      case 's':
        return String(d.getUTCSeconds())
      case 'tt':
        return dayPeriod(locale, h)
      case 't':
        return dayPeriod(locale, h).slice(0, 1)
      case 'K':
        return ts.kind === 'utc' ? 'Z' : ''
      case 'zzz':
        return zone(3)
      case 'zz':
        return zone(2)
      case 'z':
        return zone(1)
      case 'gg':
      case 'g':
        return 'A.D.'
      case '%':
        return ''
    }
    if (/^f+$/.test(token)) return seven.slice(0, token.length)
    if (/^F+$/.test(token)) return seven.slice(0, token.length).replace(/0+$/, '')
    if (token.startsWith("'") || token.startsWith('"')) return token.slice(1, -1)
    if (token.startsWith('\\')) return token.slice(1)
    return token
  })
}

function intl(ts: Timestamp, locale: string, options: Intl.DateTimeFormatOptions): string {
  // Newer ICU puts a narrow no-break space before AM/PM; .NET writes a plain space.
  return new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' })
    .format(ts.ms)
    .replace(/[\u202f\u00a0]/g, ' ')
}

const DATE_SHORT: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'numeric', day: 'numeric' }
const DATE_LONG: Intl.DateTimeFormatOptions = {
  weekday: 'long',
  year: 'numeric',
  month: 'long',
  day: 'numeric',
}
const TIME_SHORT: Intl.DateTimeFormatOptions = { hour: 'numeric', minute: '2-digit' }
const TIME_LONG: Intl.DateTimeFormatOptions = { hour: 'numeric', minute: '2-digit', second: '2-digit' }

/** Formats with a .NET standard format (one letter) or a custom pattern, in a culture. */
export function formatTimestamp(ts: Timestamp, format = 'o', locale = 'en-US'): string {
  if (format === '') format = 'o'
  if (format.length === 1) {
    const both = (a: Intl.DateTimeFormatOptions, b: Intl.DateTimeFormatOptions) =>
      `${intl(ts, locale, a)} ${intl(ts, locale, b)}`
    switch (format) {
      case 'o':
      case 'O':
        return custom(ts, 'yyyy-MM-ddTHH:mm:ss.fffffffK', locale)
      case 's':
        return custom(ts, 'yyyy-MM-ddTHH:mm:ss', locale)
      case 'u':
        return custom(ts, "yyyy-MM-dd HH:mm:ss'Z'", locale)
      case 'r':
      case 'R':
        return custom(ts, "ddd, dd MMM yyyy HH:mm:ss 'GMT'", 'en-US')
      case 'd':
        return intl(ts, locale, DATE_SHORT)
      case 'D':
        return intl(ts, locale, DATE_LONG)
      case 't':
        return intl(ts, locale, TIME_SHORT)
      case 'T':
        return intl(ts, locale, TIME_LONG)
      case 'f':
        return both(DATE_LONG, TIME_SHORT)
      case 'F':
      case 'U':
        return both(DATE_LONG, TIME_LONG)
      case 'g':
        return both(DATE_SHORT, TIME_SHORT)
      case 'G':
        return both(DATE_SHORT, TIME_LONG)
      case 'm':
      case 'M':
        return intl(ts, locale, { month: 'long', day: 'numeric' })
      case 'y':
      case 'Y':
        return intl(ts, locale, { year: 'numeric', month: 'long' })
      default:
        throw new Error(
          `'${format}' is not a date format: use a standard one (o, s, u, r, d, D, t, T, f, F, g, G, M, Y, U) or a pattern like 'yyyy-MM-dd'`,
        )
    }
  }
  return custom(ts, format, locale)
}

// --- parsing with a culture or a pattern --------------------------------------------------

const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\.$/, '')

function monthFromName(word: string, locale: string): number | undefined {
  const w = fold(word)
  for (const width of ['long', 'short'] as const) {
    const i = names(locale, 'month', width).findIndex((n) => fold(n) === w)
    if (i >= 0) return i + 1
  }
  const en = names('en-US', 'month', 'long').findIndex((n) => fold(n) === w || fold(n).slice(0, 3) === w)
  return en >= 0 ? en + 1 : undefined
}

function isWeekday(word: string, locale: string): boolean {
  const w = fold(word)
  return [locale, 'en-US'].some((l) =>
    (['long', 'short'] as const).some((width) => names(l, 'weekday', width).some((n) => fold(n) === w)),
  )
}

/** Day, month and year order of a culture's short date ("dmy" for fr-FR, "mdy" for en-US). */
function dateOrder(locale: string): string {
  return new Intl.DateTimeFormat(locale, { ...DATE_SHORT, timeZone: 'UTC' })
    .formatToParts(Date.UTC(2021, 10, 25))
    .filter((p) => p.type === 'day' || p.type === 'month' || p.type === 'year')
    .map((p) => p.type[0])
    .join('')
}

function parseWithPattern(text: string, format: string, locale: string): Timestamp {
  let i = 0
  const parts = {
    y: 1,
    M: 1,
    d: 1,
    H: 0,
    m: 0,
    s: 0,
    f: '',
    pm: undefined as boolean | undefined,
    utc: false,
  }
  const fail = (): never => {
    throw new Error(`'${text}' does not match the format '${format}'`)
  }
  const digits = (min: number, max: number) => {
    const match = new RegExp(`^\\d{${min},${max}}`).exec(text.slice(i))
    if (!match) fail()
    i += (match as RegExpExecArray)[0].length
    return (match as RegExpExecArray)[0]
  }
  const word = () => {
    const match = /^[\p{L}.]+/u.exec(text.slice(i))
    if (!match) fail()
    i += (match as RegExpExecArray)[0].length
    return (match as RegExpExecArray)[0]
  }
  for (const token of format.match(CUSTOM) ?? []) {
    const width = token.length
    switch (token[0]) {
      case 'y':
        parts.y = Number(digits(width === 1 ? 1 : width === 2 ? 2 : width, width === 1 ? 2 : width))
        if (width <= 2) parts.y += parts.y < 50 ? 2000 : 1900
        continue
      case 'M':
        parts.M = width >= 3 ? (monthFromName(word(), locale) ?? fail()) : Number(digits(width, 2))
        continue
      case 'd':
        if (width >= 3) word()
        else parts.d = Number(digits(width, 2))
        continue
      case 'H':
      case 'h':
        parts.H = Number(digits(width, 2))
        continue
      case 'm':
        parts.m = Number(digits(width, 2))
        continue
      case 's':
        parts.s = Number(digits(width, 2))
        continue
      case 'f':
      case 'F':
        parts.f = digits(token[0] === 'F' ? 0 : width, width)
        continue
      case 't':
        parts.pm = /^p/i.test(word())
        continue
      case 'K':
      case 'z':
        if (/^Z/i.test(text.slice(i))) {
          parts.utc = true
          i++
        }
        continue
    }
    const literal =
      token.startsWith("'") || token.startsWith('"')
        ? token.slice(1, -1)
        : token.startsWith('\\')
          ? token.slice(1)
          : token === '%'
            ? ''
            : token
    if (!text.startsWith(literal, i)) fail()
    i += literal.length
  }
  if (i !== text.length) fail()
  if (parts.pm !== undefined) parts.H = (parts.H % 12) + (parts.pm ? 12 : 0)
  try {
    const f = fraction(parts.f)
    return {
      ms: validDate(parts.y, parts.M, parts.d, parts.H, parts.m, parts.s) + f.ms,
      ticks: f.ticks,
      kind: parts.utc ? 'utc' : 'unspecified',
    }
  } catch {
    throw new Error(`'${text}' is not a valid date for the format '${format}'`)
  }
}

/** parseDateTime(): a pattern when given, else ISO 8601, else the culture's own ways of writing a date. */
export function parseInCulture(text: string, locale: string, format?: string): Timestamp {
  if (format) return parseWithPattern(text, format, locale)
  // ISO 8601 in any culture; anything else is read in the culture (dd/MM in fr-FR, MM/dd in en-US).
  if (ISO.test(text.trim())) return parseTimestamp(text)
  const tokens = text.match(/\d+|[\p{L}][\p{L}.]*|:/gu) ?? []
  const numbers: number[] = []
  let month: number | undefined
  let time: number[] = []
  let pm: boolean | undefined
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t] as string
    if (/^\d+$/.test(token)) {
      if (tokens[t + 1] === ':') {
        time = [Number(token)]
        while (tokens[t + 1] === ':' && /^\d+$/.test(tokens[t + 2] ?? '')) {
          time.push(Number(tokens[t + 2]))
          t += 2
        }
      } else numbers.push(Number(token))
    } else if (/^(am|pm|a\.m\.|p\.m\.)$/i.test(token)) pm = /^p/i.test(token)
    else if (token !== ':') {
      const m = monthFromName(token, locale)
      if (m !== undefined && month === undefined) month = m
      // Short joining words ("de" in "1 de enero de 2020", "the", "am") are not part of the date.
      else if (!isWeekday(token, locale) && !(token.length <= 3 && token === token.toLowerCase()))
        throw new Error(`'${text}' is not a date in ${locale}: '${token}' is not a month or day name`)
    }
  }
  let y: number | undefined
  let mo = month
  let d: number | undefined
  if (month !== undefined && numbers.length === 2) {
    const yearFirst = (numbers[0] as number) > 31
    y = yearFirst ? numbers[0] : numbers[1]
    d = yearFirst ? numbers[1] : numbers[0]
  } else if (month === undefined && numbers.length === 3) {
    const order = (numbers[0] as number) > 31 ? 'ymd' : dateOrder(locale)
    const at = (c: string) => numbers[order.indexOf(c)] as number
    y = at('y')
    mo = at('m')
    d = at('d')
  } else throw new Error(`'${text}' is not a date parseDateTime() can read in ${locale}; give a format`)
  if ((y as number) < 100) y = (y as number) + ((y as number) < 50 ? 2000 : 1900)
  let [hour = 0, minute = 0, second = 0] = time
  if (pm !== undefined) hour = (hour % 12) + (pm ? 12 : 0)
  try {
    return {
      ms: validDate(y as number, mo as number, d as number, hour, minute, second),
      ticks: 0,
      kind: 'unspecified',
    }
  } catch {
    throw new Error(`'${text}' is not a valid date`)
  }
}

// --- numbers -------------------------------------------------------------------------------

function separators(locale: string): { decimal: string; group: string } {
  const parts = new Intl.NumberFormat(locale).formatToParts(1234567.5)
  return {
    decimal: parts.find((p) => p.type === 'decimal')?.value ?? '.',
    group: parts.find((p) => p.type === 'group')?.value ?? ',',
  }
}

/**
 * A number as .NET's Double.Parse reads it with thousands allowed: group separators anywhere in
 * the integer part, a leading or trailing sign, an exponent. Invariant culture by default.
 */
export function parseNumber(text: string, locale?: string): number | undefined {
  const { decimal, group } = locale ? separators(culture(locale)) : { decimal: '.', group: ',' }
  let s = text
    .trim()
    .replace(/\u2212/g, '-')
    .replace(/[\s\u00a0\u202f]/g, group.trim() === '' ? '' : ' ')
  let sign = 1
  if (/^[+-]/.test(s)) {
    sign = s[0] === '-' ? -1 : 1
    s = s.slice(1)
  } else if (/[+-]$/.test(s)) {
    sign = s.endsWith('-') ? -1 : 1
    s = s.slice(0, -1)
  }
  const [whole = '', ...rest] = s.split(decimal)
  if (rest.length > 1) return undefined
  const integer = group ? whole.split(group).join('') : whole
  const [fractionPart = '', exponent] = (rest[0] ?? '').split(/[eE]/)
  const candidate = `${integer}${rest.length ? `.${fractionPart}` : ''}${exponent !== undefined ? `e${exponent}` : ''}`
  if (!/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(candidate)) return undefined
  const n = sign * Number(candidate)
  return Number.isFinite(n) ? n : undefined
}

/** .NET standard (C2, N0, P1, F3, D5, E2, X, G, R) and custom (#,##0.00) numeric formats. */
export function formatNumberText(value: number, format: string, locale: string): string {
  const standard = /^([CcDdEeFfGgNnPpRrXx])(\d{0,2})$/.exec(format)
  if (standard) {
    const letter = standard[1] as string
    const precision = standard[2] === '' ? undefined : Number(standard[2])
    const fixed = (digits: number, extra: Intl.NumberFormatOptions = {}) =>
      new Intl.NumberFormat(locale, {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
        ...extra,
      }).format(value)
    switch (letter.toUpperCase()) {
      case 'C': {
        const currency = currencyOf(locale)
        return new Intl.NumberFormat(locale, {
          style: 'currency',
          currency,
          ...(precision === undefined
            ? {}
            : { minimumFractionDigits: precision, maximumFractionDigits: precision }),
        })
          .format(value)
          .replace(/[\u202f\u00a0]/g, ' ')
      }
      case 'D':
        if (!Number.isInteger(value)) throw new Error(`the D format takes a whole number, not ${value}`)
        return `${value < 0 ? '-' : ''}${String(Math.abs(value)).padStart(precision ?? 0, '0')}`
      case 'E': {
        const [mantissa, exp = '0'] = value.toExponential(precision ?? 6).split('e')
        const e = Number(exp)
        const { decimal } = separators(locale)
        return `${(mantissa as string).replace('.', decimal)}${letter}${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(3, '0')}`
      }
      case 'F':
        return fixed(precision ?? 2, { useGrouping: false })
      case 'N':
        return fixed(precision ?? 2)
      case 'P':
        return new Intl.NumberFormat(locale, {
          style: 'percent',
          minimumFractionDigits: precision ?? 2,
          maximumFractionDigits: precision ?? 2,
        })
          .format(value)
          .replace(/[\u202f\u00a0]/g, ' ')
      case 'X': {
        if (!Number.isInteger(value)) throw new Error(`the X format takes a whole number, not ${value}`)
        const hex = (value < 0 ? 2 ** 32 + value : value).toString(16).padStart(precision ?? 0, '0')
        return letter === 'X' ? hex.toUpperCase() : hex
      }
      default:
        return new Intl.NumberFormat(locale, {
          useGrouping: false,
          maximumSignificantDigits: precision || 15,
        }).format(value)
    }
  }
  return customNumber(value, format, locale)
}

function currencyOf(locale: string): string {
  // The ISO 4217 code of the culture's currency, from a maintained locale-to-currency map.
  const region = new Intl.Locale(locale).maximize().region
  return getCurrency(locale) ?? (region ? getCurrency(region) : null) ?? 'USD'
}

function customNumber(value: number, format: string, locale: string): string {
  const sections = format.split(/(?<!\\);/)
  let pattern = sections[0] as string
  let v = value
  if (value < 0 && sections[1]) {
    pattern = sections[1]
    v = -value
  } else if (value === 0 && sections[2]) pattern = sections[2]
  // Placeholders outside quotes and escapes: quoted text and \x are literals.
  const masked = pattern.replace(/'[^']*'|"[^"]*"|\\./g, (m) => ' '.repeat(m.length))
  const first = masked.search(/[0#]/)
  if (first < 0) return pattern.replace(/\\(.)/g, '$1').replace(/'([^']*)'|"([^"]*)"/g, '$1$2')
  let last = first
  for (let i = first; i < masked.length; i++) if (/[0#.,]/.test(masked[i] as string)) last = i
  const prefix = pattern.slice(0, first)
  const body = pattern.slice(first, last + 1)
  const suffix = pattern.slice(last + 1)
  if ((masked.slice(0, first) + masked.slice(last + 1)).includes('%')) v *= 100
  const [intPart = '', fracPart = ''] = body.split('.')
  const scaling = /,+$/.exec(intPart)?.[0].length ?? 0
  const integerPattern = scaling ? intPart.slice(0, -scaling) : intPart
  v /= 1000 ** scaling
  const minInt = (integerPattern.match(/0/g) ?? []).length
  const minFrac = (fracPart.match(/0/g) ?? []).length
  const maxFrac = (fracPart.match(/[0#]/g) ?? []).length
  let text = new Intl.NumberFormat(locale, {
    minimumIntegerDigits: Math.max(1, minInt),
    minimumFractionDigits: minFrac,
    maximumFractionDigits: maxFrac,
    useGrouping: integerPattern.includes(','),
  })
    .format(Math.abs(v))
    .replace(/[\u202f\u00a0]/g, ' ')
  const { decimal } = separators(locale)
  if (minInt === 0) {
    // '#' placeholders print no leading zero: '#.##' formats 0.5 as ".5", and 0 as "".
    if (text.startsWith(`0${decimal}`)) text = text.slice(1)
    else if (text === '0') text = ''
  }
  const literal = (s: string) => s.replace(/\\(.)/g, '$1').replace(/'([^']*)'|"([^"]*)"/g, '$1$2')
  const negative = v < 0 && !(value < 0 && sections[1]) && text !== '' && !/^0([.,]0*)?$/.test(text)
  return `${negative ? '-' : ''}${literal(prefix)}${text}${literal(suffix)}`
}

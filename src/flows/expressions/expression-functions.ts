/**
 * The workflow definition language's functions that do not read the run (string, collection,
 * logical, comparison, math, conversion, date, object). Each takes evaluated arguments and
 * throws a plain Error with the reason; the evaluator adds the position and the name.
 */
import { randomUUID } from 'node:crypto'

export type Value = unknown
type Fn = (...args: Value[]) => Value

const isObject = (v: Value): v is Record<string, Value> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function str(v: Value, what = 'a string'): string {
  if (typeof v === 'string') return v
  throw new Error(`expected ${what}, got ${describe(v)}`)
}
function num(v: Value): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v
  throw new Error(`expected a number, got ${describe(v)}`)
}
function int(v: Value): number {
  const n = num(v)
  if (!Number.isInteger(n)) throw new Error(`expected an integer, got ${n}`)
  return n
}
export function describe(v: Value): string {
  if (v === null || v === undefined) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return 'an object'
  return `${typeof v} ${JSON.stringify(v)}`
}
function arity(name: string, min: number, max = min): (args: Value[]) => void {
  return (args) => {
    if (args.length < min || args.length > max)
      throw new Error(
        `${name}() takes ${min === max ? min : `${min} to ${max === Number.POSITIVE_INFINITY ? 'any number of' : max}`} argument${max === 1 ? '' : 's'}, got ${args.length}`,
      )
  }
}

/** Deep equality as the language means it (same type, same value; arrays and objects by content). */
export function equal(a: Value, b: Value): boolean {
  if (a === b) return true
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]))
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a)
    return keys.length === Object.keys(b).length && keys.every((k) => equal(a[k], b[k]))
  }
  return false
}

function compare(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  throw new Error(`cannot compare ${describe(a)} with ${describe(b)}`)
}

function toDate(v: Value): Date {
  const date = new Date(str(v, 'a timestamp'))
  if (Number.isNaN(date.getTime())) throw new Error(`'${String(v)}' is not a timestamp`)
  return date
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']

/** .NET date formats as the language uses them, in UTC: 'o' (default), 's', 'u', or custom (yyyy-MM-dd HH:mm). */
export function formatDate(date: Date, format = 'o'): string {
  const iso = date.toISOString()
  if (format === 'o' || format === 'O') return `${iso.slice(0, 23)}0000Z`
  if (format === 's') return iso.slice(0, 19)
  if (format === 'u') return `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`
  const pad = (n: number, width = 2) => String(n).padStart(width, '0')
  const h = date.getUTCHours()
  const tokens: Record<string, () => string> = {
    yyyy: () => String(date.getUTCFullYear()),
    yy: () => pad(date.getUTCFullYear() % 100),
    MMMM: () => MONTHS[date.getUTCMonth()] as string,
    MMM: () => (MONTHS[date.getUTCMonth()] as string).slice(0, 3),
    MM: () => pad(date.getUTCMonth() + 1),
    M: () => String(date.getUTCMonth() + 1),
    dddd: () => DAYS[date.getUTCDay()] as string,
    ddd: () => (DAYS[date.getUTCDay()] as string).slice(0, 3),
    dd: () => pad(date.getUTCDate()),
    d: () => String(date.getUTCDate()),
    HH: () => pad(h),
    H: () => String(h),
    hh: () => pad(h % 12 || 12),
    h: () => String(h % 12 || 12),
    mm: () => pad(date.getUTCMinutes()),
    m: () => String(date.getUTCMinutes()),
    ss: () => pad(date.getUTCSeconds()),
    s: () => String(date.getUTCSeconds()),
    fff: () => pad(date.getUTCMilliseconds(), 3),
    tt: () => (h < 12 ? 'AM' : 'PM'),
  }
  const pattern = /yyyy|yy|MMMM|MMM|MM|M|dddd|ddd|dd|d|HH|H|hh|h|mm|m|ss|s|fff|tt|'[^']*'|\\.|./g
  return format.replace(pattern, (token) => {
    if (token.startsWith("'")) return token.slice(1, -1)
    if (token.startsWith('\\')) return token.slice(1)
    return tokens[token]?.() ?? token
  })
}

const addTime = (unitMs: number) => (timestamp: Value, amount: Value, format?: Value) =>
  formatDate(
    new Date(toDate(timestamp).getTime() + num(amount) * unitMs),
    format === undefined ? 'o' : str(format),
  )

const length = (v: Value) => {
  if (typeof v === 'string' || Array.isArray(v)) return v.length
  throw new Error(`length() needs a string or an array, got ${describe(v)}`)
}

const FUNCTIONS: Record<string, { fn: Fn; check: (args: Value[]) => void }> = {}
function define(name: string, min: number, max: number, fn: Fn): void {
  FUNCTIONS[name] = { fn, check: arity(name, min, max) }
}

// String
define('concat', 1, Number.POSITIVE_INFINITY, (...args) =>
  args
    .map((a) => (a === null || a === undefined ? '' : typeof a === 'object' ? JSON.stringify(a) : String(a)))
    .join(''),
)
define('substring', 2, 3, (text, start, len) => {
  const s = str(text)
  const from = int(start)
  const count = len === undefined ? s.length - from : int(len)
  if (from < 0 || count < 0 || from + count > s.length)
    throw new Error(`substring(…, ${from}, ${count}) is outside a string of length ${s.length}`)
  return s.substr(from, count)
})
define('slice', 2, 3, (text, start, end) =>
  str(text).slice(int(start), end === undefined ? undefined : int(end)),
)
define('replace', 3, 3, (text, old, replacement) => str(text).split(str(old)).join(str(replacement)))
define('toLower', 1, 1, (text) => str(text).toLowerCase())
define('toUpper', 1, 1, (text) => str(text).toUpperCase())
define('trim', 1, 1, (text) => str(text).trim())
define('indexOf', 2, 2, (text, search) => str(text).toLowerCase().indexOf(str(search).toLowerCase()))
define('lastIndexOf', 2, 2, (text, search) => str(text).toLowerCase().lastIndexOf(str(search).toLowerCase()))
define('startsWith', 2, 2, (text, search) => str(text).toLowerCase().startsWith(str(search).toLowerCase()))
define('endsWith', 2, 2, (text, search) => str(text).toLowerCase().endsWith(str(search).toLowerCase()))
define('split', 2, 2, (text, separator) => str(text).split(str(separator)))
define('guid', 0, 1, (format) => {
  const id = randomUUID()
  return format === 'N' ? id.replaceAll('-', '') : id
})
define('formatNumber', 2, 3, (value, format, locale) => {
  const n = num(value)
  const f = str(format)
  const digits = /^[NnFfCcPp](\d*)$/.exec(f)
  const fraction = digits?.[1] ? Number(digits[1]) : 2
  const options: Intl.NumberFormatOptions = /^[Ff]/.test(f)
    ? { minimumFractionDigits: fraction, maximumFractionDigits: fraction, useGrouping: false }
    : /^[Pp]/.test(f)
      ? { style: 'percent', minimumFractionDigits: fraction, maximumFractionDigits: fraction }
      : { minimumFractionDigits: fraction, maximumFractionDigits: fraction }
  if (!digits) throw new Error(`formatNumber supports N, F and P formats (e.g. 'N0', 'F2'), not '${f}'`)
  return new Intl.NumberFormat(locale === undefined ? 'en-US' : str(locale), options).format(n)
})

// Collection
define('length', 1, 1, length)
define('contains', 2, 2, (collection, value) => {
  if (typeof collection === 'string') return collection.includes(str(value))
  if (Array.isArray(collection)) return collection.some((item) => equal(item, value))
  if (isObject(collection)) return Object.hasOwn(collection, str(value, 'a key'))
  throw new Error(`contains() needs a string, array or object, got ${describe(collection)}`)
})
define(
  'empty',
  1,
  1,
  (v) =>
    v === null ||
    v === undefined ||
    v === '' ||
    (Array.isArray(v) && v.length === 0) ||
    (isObject(v) && Object.keys(v).length === 0),
)
define('first', 1, 1, (v) =>
  typeof v === 'string' ? v.slice(0, 1) : Array.isArray(v) ? (v[0] ?? null) : length(v),
)
define('last', 1, 1, (v) =>
  typeof v === 'string' ? v.slice(-1) : Array.isArray(v) ? (v.at(-1) ?? null) : length(v),
)
define('join', 2, 2, (collection, separator) => {
  if (!Array.isArray(collection)) throw new Error(`join() needs an array, got ${describe(collection)}`)
  return collection
    .map((x) => (typeof x === 'object' && x !== null ? JSON.stringify(x) : String(x ?? '')))
    .join(str(separator))
})
define('union', 2, Number.POSITIVE_INFINITY, (...collections) => {
  if (collections.every(Array.isArray)) {
    const out: Value[] = []
    for (const c of collections as Value[][])
      for (const x of c) if (!out.some((y) => equal(x, y))) out.push(x)
    return out
  }
  if (collections.every(isObject)) return Object.assign({}, ...(collections as object[]))
  throw new Error('union() needs arrays, or objects')
})
define('intersection', 2, Number.POSITIVE_INFINITY, (...collections) => {
  if (!collections.every(Array.isArray)) throw new Error('intersection() needs arrays')
  const [head, ...rest] = collections as Value[][]
  return (head as Value[]).filter(
    (x, i, all) => all.findIndex((y) => equal(x, y)) === i && rest.every((c) => c.some((y) => equal(x, y))),
  )
})
define('skip', 2, 2, (collection, count) => {
  if (!Array.isArray(collection)) throw new Error(`skip() needs an array, got ${describe(collection)}`)
  return collection.slice(int(count))
})
define('take', 2, 2, (collection, count) => {
  if (typeof collection === 'string') return collection.slice(0, int(count))
  if (!Array.isArray(collection))
    throw new Error(`take() needs an array or a string, got ${describe(collection)}`)
  return collection.slice(0, int(count))
})
define('createArray', 0, Number.POSITIVE_INFINITY, (...items) => items)
define('range', 2, 2, (start, count) => Array.from({ length: int(count) }, (_, i) => int(start) + i))

// Logical and comparison
define('equals', 2, 2, (a, b) => equal(a, b))
define('and', 1, Number.POSITIVE_INFINITY, (...args) => args.every((a) => a === true))
define('or', 1, Number.POSITIVE_INFINITY, (...args) => args.some((a) => a === true))
define('not', 1, 1, (a) => {
  if (typeof a !== 'boolean') throw new Error(`not() needs a boolean, got ${describe(a)}`)
  return !a
})
define('greater', 2, 2, (a, b) => compare(a, b) > 0)
define('greaterOrEquals', 2, 2, (a, b) => compare(a, b) >= 0)
define('less', 2, 2, (a, b) => compare(a, b) < 0)
define('lessOrEquals', 2, 2, (a, b) => compare(a, b) <= 0)
define(
  'coalesce',
  1,
  Number.POSITIVE_INFINITY,
  (...args) => args.find((a) => a !== null && a !== undefined) ?? null,
)

// Math
define('add', 2, 2, (a, b) => num(a) + num(b))
define('sub', 2, 2, (a, b) => num(a) - num(b))
define('mul', 2, 2, (a, b) => num(a) * num(b))
define('div', 2, 2, (a, b) => {
  if (num(b) === 0) throw new Error('division by zero')
  const q = num(a) / num(b)
  return Number.isInteger(num(a)) && Number.isInteger(num(b)) ? Math.trunc(q) : q
})
define('mod', 2, 2, (a, b) => {
  if (num(b) === 0) throw new Error('division by zero')
  return num(a) % num(b)
})
define('min', 1, Number.POSITIVE_INFINITY, (...args) =>
  Math.min(...(args.length === 1 && Array.isArray(args[0]) ? args[0] : args).map(num)),
)
define('max', 1, Number.POSITIVE_INFINITY, (...args) =>
  Math.max(...(args.length === 1 && Array.isArray(args[0]) ? args[0] : args).map(num)),
)
define('rand', 2, 2, (low, high) => int(low) + Math.floor(Math.random() * (int(high) - int(low))))

// Conversion
define('string', 1, 1, (v) =>
  v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v),
)
define('int', 1, 1, (v) => {
  const n = typeof v === 'number' ? v : Number(str(v, 'a number or a numeric string').trim())
  if (!Number.isInteger(n)) throw new Error(`'${String(v)}' is not an integer`)
  return n
})
define('float', 1, 1, (v) => {
  const n = typeof v === 'number' ? v : Number(str(v, 'a number or a numeric string').trim())
  if (Number.isNaN(n)) throw new Error(`'${String(v)}' is not a number`)
  return n
})
define('bool', 1, 1, (v) => {
  if (typeof v === 'boolean') return v
  if (typeof v === 'number') return v !== 0
  const s = str(v, 'a boolean, number or string').toLowerCase()
  if (s === 'true') return true
  if (s === 'false') return false
  throw new Error(`'${s}' is not true or false`)
})
define('json', 1, 1, (v) => {
  try {
    return JSON.parse(str(v))
  } catch (error) {
    throw new Error(`not JSON: ${(error as Error).message}`)
  }
})
define('array', 1, 1, (v) => [v])
define('base64', 1, 1, (v) => Buffer.from(str(v)).toString('base64'))
define('base64ToString', 1, 1, (v) => Buffer.from(str(v), 'base64').toString('utf8'))
define('encodeUriComponent', 1, 1, (v) => encodeURIComponent(str(v)))
define('uriComponent', 1, 1, (v) => encodeURIComponent(str(v)))
define('decodeUriComponent', 1, 1, (v) => decodeURIComponent(str(v)))

// Date and time (UTC)
define('utcNow', 0, 1, (format) => formatDate(new Date(), format === undefined ? 'o' : str(format)))
define('addSeconds', 2, 3, addTime(1000))
define('addMinutes', 2, 3, addTime(60_000))
define('addHours', 2, 3, addTime(3_600_000))
define('addDays', 2, 3, addTime(86_400_000))
define('formatDateTime', 1, 3, (timestamp, format) =>
  formatDate(toDate(timestamp), format === undefined ? 'o' : str(format)),
)
define('startOfDay', 1, 2, (timestamp, format) => {
  const d = toDate(timestamp)
  return formatDate(
    new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())),
    format === undefined ? 'o' : str(format),
  )
})
define('dayOfWeek', 1, 1, (timestamp) => toDate(timestamp).getUTCDay())
define('ticks', 1, 1, (timestamp) => toDate(timestamp).getTime() * 10_000 + 621_355_968_000_000_000)

// Objects
define('addProperty', 3, 3, (object, key, value) => {
  if (!isObject(object)) throw new Error(`addProperty() needs an object, got ${describe(object)}`)
  if (Object.hasOwn(object, str(key)))
    throw new Error(`the object already has '${String(key)}'; use setProperty`)
  return { ...object, [str(key)]: value }
})
define('setProperty', 3, 3, (object, key, value) => {
  if (!isObject(object)) throw new Error(`setProperty() needs an object, got ${describe(object)}`)
  return { ...object, [str(key)]: value }
})
define('removeProperty', 2, 2, (object, key) => {
  if (!isObject(object)) throw new Error(`removeProperty() needs an object, got ${describe(object)}`)
  const { [str(key)]: _removed, ...rest } = object
  return rest
})

// More of the reference guide: strings, collections, conversions, dates, URIs
define('isInt', 1, 1, (v) => /^[+-]?\d+$/.test(str(v).trim()))
define('isFloat', 1, 2, (v, locale) => {
  // Invariant culture by default (1,000.5); a locale whose decimal mark is a comma reads 1.000,5.
  const text = str(v).trim()
  const comma = locale !== undefined && /^(de|da|nl|fr|es|it|pt|sv|nb|nn|fi|pl|cs|ru|tr)\b/i.test(str(locale))
  const pattern = comma ? /^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$/ : /^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$/
  return pattern.test(text)
})
define('nthIndexOf', 3, 3, (text, search, occurrence) => {
  const haystack = str(text)
  const needle = str(search)
  const n = int(occurrence)
  if (n === 0)
    throw new Error('nthIndexOf() counts occurrences from 1 (or from the end with a negative number)')
  const positions: number[] = []
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + 1)) positions.push(i)
  return (n > 0 ? positions[n - 1] : positions[positions.length + n]) ?? -1
})
define('chunk', 2, 2, (collection, size) => {
  const n = int(size)
  if (n < 1) throw new Error(`chunk() needs a length of 1 or more, got ${n}`)
  if (typeof collection !== 'string' && !Array.isArray(collection))
    throw new Error(`chunk() needs a string or an array, got ${describe(collection)}`)
  const chunks: Value[] = []
  for (let i = 0; i < collection.length; i += n) chunks.push(collection.slice(i, i + n))
  return chunks
})
define('reverse', 1, 1, (collection) => {
  if (!Array.isArray(collection)) throw new Error(`reverse() needs an array, got ${describe(collection)}`)
  return [...collection].reverse()
})
define('sort', 1, 2, (collection, sortBy) => {
  if (!Array.isArray(collection)) throw new Error(`sort() needs an array, got ${describe(collection)}`)
  const key = sortBy === undefined ? undefined : str(sortBy)
  const of = (item: Value) => (key === undefined ? item : isObject(item) ? item[key] : undefined)
  return [...collection].sort((a, b) => compare(of(a), of(b)))
})
define('decodeBase64', 1, 1, (v) => Buffer.from(str(v), 'base64').toString('utf8'))
define(
  'dataUri',
  1,
  1,
  (v) => `data:text/plain;charset=utf-8;base64,${Buffer.from(str(v)).toString('base64')}`,
)
define('dataUriToString', 1, 1, (v) => {
  const match = /^data:[^,]*?(;base64)?,(.*)$/s.exec(str(v))
  if (!match) throw new Error(`'${String(v)}' is not a data URI`)
  return match[1]
    ? Buffer.from(match[2] as string, 'base64').toString('utf8')
    : decodeURIComponent(match[2] as string)
})
define('uriComponentToString', 1, 1, (v) => decodeURIComponent(str(v)))
define('decimal', 1, 1, (v) => {
  const n = Number(str(v).trim())
  if (str(v).trim() === '' || !Number.isFinite(n)) throw new Error(`'${String(v)}' is not a decimal number`)
  return n
})

const UNITS: Record<string, (d: Date, n: number) => Date> = {
  second: (d, n) => new Date(d.getTime() + n * 1000),
  minute: (d, n) => new Date(d.getTime() + n * 60_000),
  hour: (d, n) => new Date(d.getTime() + n * 3_600_000),
  day: (d, n) => new Date(d.getTime() + n * 86_400_000),
  week: (d, n) => new Date(d.getTime() + n * 7 * 86_400_000),
  month: (d, n) => {
    const next = new Date(d)
    next.setUTCMonth(d.getUTCMonth() + n)
    return next
  },
  year: (d, n) => {
    const next = new Date(d)
    next.setUTCFullYear(d.getUTCFullYear() + n)
    return next
  },
}
function shift(timestamp: Date, interval: Value, unit: Value): Date {
  const name = str(unit).toLowerCase().replace(/s$/, '')
  const by = UNITS[name]
  if (!by)
    throw new Error(`'${String(unit)}' is not a time unit (Second, Minute, Hour, Day, Week, Month, Year)`)
  return by(timestamp, int(interval))
}
const formatted = (date: Date, format: Value) => formatDate(date, format === undefined ? 'o' : str(format))
define('addToTime', 3, 4, (timestamp, interval, unit, format) =>
  formatted(shift(toDate(timestamp), interval, unit), format),
)
define('subtractFromTime', 3, 4, (timestamp, interval, unit, format) =>
  formatted(shift(toDate(timestamp), -int(interval), unit), format),
)
define('getFutureTime', 2, 3, (interval, unit, format) =>
  formatted(shift(new Date(), interval, unit), format),
)
define('getPastTime', 2, 3, (interval, unit, format) =>
  formatted(shift(new Date(), -int(interval), unit), format),
)
define('dayOfMonth', 1, 1, (timestamp) => toDate(timestamp).getUTCDate())
define('dayOfYear', 1, 1, (timestamp) => {
  const d = toDate(timestamp)
  return (
    Math.floor(
      (Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) /
        86_400_000,
    ) + 1
  )
})
define('startOfHour', 1, 2, (timestamp, format) => {
  const d = toDate(timestamp)
  return formatted(
    new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours())),
    format,
  )
})
define('startOfMonth', 1, 2, (timestamp, format) => {
  const d = toDate(timestamp)
  return formatted(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)), format)
})
/** A .NET TimeSpan as text: [-][d.]hh:mm:ss[.fffffff] */
function timeSpan(ms: number): string {
  const sign = ms < 0 ? '-' : ''
  let rest = Math.abs(ms)
  const days = Math.floor(rest / 86_400_000)
  rest -= days * 86_400_000
  const pad = (n: number) => String(n).padStart(2, '0')
  const hours = Math.floor(rest / 3_600_000)
  const minutes = Math.floor((rest % 3_600_000) / 60_000)
  const seconds = Math.floor((rest % 60_000) / 1000)
  const fraction = rest % 1000
  return `${sign}${days ? `${days}.` : ''}${pad(hours)}:${pad(minutes)}:${pad(seconds)}${fraction ? `.${String(fraction).padStart(3, '0')}0000` : ''}`
}
define('dateDifference', 2, 2, (start, end) => timeSpan(toDate(end).getTime() - toDate(start).getTime()))

const uri = (v: Value) => {
  try {
    return new URL(str(v))
  } catch {
    throw new Error(`'${String(v)}' is not an absolute URI`)
  }
}
define('uriHost', 1, 1, (v) => uri(v).hostname)
define('uriPath', 1, 1, (v) => uri(v).pathname)
define('uriPathAndQuery', 1, 1, (v) => `${uri(v).pathname}${uri(v).search}`)
define('uriPort', 1, 1, (v) => {
  const u = uri(v)
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : u.protocol === 'http:' ? 80 : null
})
define('uriQuery', 1, 1, (v) => uri(v).search)
define('uriScheme', 1, 1, (v) => uri(v).protocol.replace(/:$/, ''))

/** The names of the pure functions, for error messages and docs. */
export const FUNCTION_NAMES = Object.keys(FUNCTIONS).sort()

export function callFunction(name: string, args: Value[]): Value {
  const found = FUNCTIONS[name]
  if (!found) throw new Error(`unknown function`)
  found.check(args)
  return found.fn(...args)
}

export function hasFunction(name: string): boolean {
  return Object.hasOwn(FUNCTIONS, name)
}

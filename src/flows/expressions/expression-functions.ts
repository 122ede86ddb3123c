/**
 * The workflow definition language's functions that do not read the run (string, collection,
 * logical, comparison, math, conversion, date, object). Each takes evaluated arguments and
 * throws a plain Error with the reason; the evaluator adds the position and the name.
 */
import { randomUUID } from 'node:crypto'
import DecimalModule from 'decimal.js'
import {
  culture,
  formatNumberText,
  formatTimestamp,
  parseInCulture,
  parseNumber,
  parseTimestamp,
  type Timestamp,
  timestamp,
} from './dotnet-format.js'
import { fromUtc, ianaZone, toUtc } from './time-zones.js'
import { looksLikeXml, toXml, xmlToJson, xpath } from './xml-functions.js'

export type Value = unknown
type Fn = (...args: Value[]) => Value

// decimal.js's ES module has a default export only; its types describe the class as a named one.
const DecimalClass = DecimalModule as unknown as typeof import('decimal.js').Decimal
type Decimal = import('decimal.js').Decimal
/** .NET's decimal: 28 significant digits. */
const DecimalType = DecimalClass.clone({ precision: 28 })

/**
 * What decimal() returns: exact decimal digits that add/sub/mul/div keep and string() prints in
 * full; anywhere else it reads as a number (and JSON writes it as one).
 */
export class DecimalNumber {
  constructor(readonly value: Decimal) {}
  toJSON(): number {
    return this.value.toNumber()
  }
  valueOf(): number {
    return this.value.toNumber()
  }
  toString(): string {
    return this.value.toString()
  }
}

/** The current time of the evaluation (a run's clock; tests set it). */
let now: () => number = Date.now

const isObject = (v: Value): v is Record<string, Value> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function str(v: Value, what = 'a string'): string {
  if (typeof v === 'string') return v
  throw new Error(`expected ${what}, got ${describe(v)}`)
}
function num(v: Value): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v
  if (v instanceof DecimalNumber) return v.value.toNumber()
  throw new Error(`expected a number, got ${describe(v)}`)
}
function int(v: Value): number {
  const n = num(v)
  if (!Number.isInteger(n)) throw new Error(`expected an integer, got ${n}`)
  return n
}
export function describe(v: Value): string {
  if (v === null || v === undefined) return 'null'
  if (v instanceof DecimalNumber) return `decimal ${v.toString()}`
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
  if (a instanceof DecimalNumber || b instanceof DecimalNumber) return num(a) === num(b)
  // As the guide has it: equals(true, 1) is true.
  if (typeof a === 'boolean' && typeof b === 'number') return Number(a) === b
  if (typeof a === 'number' && typeof b === 'boolean') return a === Number(b)
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]))
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a)
    return keys.length === Object.keys(b).length && keys.every((k) => equal(a[k], b[k]))
  }
  return false
}

function compare(a: Value, b: Value): number {
  if (a instanceof DecimalNumber || b instanceof DecimalNumber) return num(a) - num(b)
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  throw new Error(`cannot compare ${describe(a)} with ${describe(b)}`)
}

const toTime = (v: Value): Timestamp => parseTimestamp(v)
const fmt = (format: Value) => (format === undefined || format === null ? 'o' : str(format, 'a format'))
/** Writes a timestamp in a format (.NET standard or custom), in a culture (en-US by default). */
const out = (ts: Timestamp, format?: Value, locale?: Value) =>
  formatTimestamp(ts, fmt(format), culture(locale))

/** .NET date formats as the language uses them: 'o' (default), standard letters, or custom patterns. */
export function formatDate(date: Date, format = 'o'): string {
  return formatTimestamp(timestamp(date.getTime()), format)
}

const addTime = (unitMs: number) => (value: Value, amount: Value, format?: Value) => {
  const ts = toTime(value)
  return out({ ...ts, ms: ts.ms + int(amount) * unitMs }, format)
}

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
define('lastIndexOf', 2, 2, (text, search) => {
  const haystack = str(text).toLowerCase()
  const needle = str(search).toLowerCase()
  // As the guide has it: an empty search finds the last character, and nothing in an empty text.
  if (needle === '') return haystack === '' ? 0 : haystack.length - 1
  return haystack.lastIndexOf(needle)
})
define('startsWith', 2, 2, (text, search) => str(text).toLowerCase().startsWith(str(search).toLowerCase()))
define('endsWith', 2, 2, (text, search) => str(text).toLowerCase().endsWith(str(search).toLowerCase()))
define('split', 2, 2, (text, separator) => str(text).split(str(separator)))
define('guid', 0, 1, (format) => {
  const id = randomUUID()
  switch (format === undefined ? 'D' : str(format, 'a format').toUpperCase()) {
    case 'D':
      return id
    case 'N':
      return id.replaceAll('-', '')
    case 'B':
      return `{${id}}`
    case 'P':
      return `(${id})`
    case 'X': {
      const hex = id.replaceAll('-', '')
      const group = (from: number, to: number) => `0x${hex.slice(from, to)}`
      const bytes = Array.from({ length: 8 }, (_, i) => group(16 + i * 2, 18 + i * 2))
      return `{${group(0, 8)},${group(8, 12)},${group(12, 16)},{${bytes.join(',')}}}`
    }
    default:
      throw new Error(`'${String(format)}' is not a GUID format (N, D, B, P or X)`)
  }
})
define('formatNumber', 2, 3, (value, format, locale) =>
  formatNumberText(num(value), str(format, 'a format'), culture(locale)),
)

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

// Math: integers stay integers (div(11, 5) is 2); a float on either side makes a float (the
// evaluator tells div which arguments were written or computed as floats); decimal() stays exact.
const decimalOf = (v: Value) => (v instanceof DecimalNumber ? v.value : new DecimalType(num(v)))
/** Float results print as .NET does: 15 significant digits (sub(10.3, .3) is 10). */
const float15 = (n: number) => (Number.isInteger(n) ? n : Number(n.toPrecision(15)))
function arithmetic(
  a: Value,
  b: Value,
  op: (x: number, y: number) => number,
  exact: (x: Decimal, y: Decimal) => Decimal,
): Value {
  if (a instanceof DecimalNumber || b instanceof DecimalNumber)
    return new DecimalNumber(exact(decimalOf(a), decimalOf(b)))
  return float15(op(num(a), num(b)))
}
define('add', 2, 2, (a, b) =>
  arithmetic(
    a,
    b,
    (x, y) => x + y,
    (x, y) => x.plus(y),
  ),
)
define('sub', 2, 2, (a, b) =>
  arithmetic(
    a,
    b,
    (x, y) => x - y,
    (x, y) => x.minus(y),
  ),
)
define('mul', 2, 2, (a, b) =>
  arithmetic(
    a,
    b,
    (x, y) => x * y,
    (x, y) => x.times(y),
  ),
)
/** div(a, b, floats): floats says whether either argument is a float; whole numbers divide as integers. */
define('div', 2, 3, (a, b, floats) => {
  if (num(b) === 0) throw new Error('division by zero')
  if (a instanceof DecimalNumber || b instanceof DecimalNumber)
    return new DecimalNumber(decimalOf(a).dividedBy(decimalOf(b)))
  const q = num(a) / num(b)
  return floats !== true && Number.isInteger(num(a)) && Number.isInteger(num(b)) ? Math.trunc(q) : float15(q)
})
define('mod', 2, 2, (a, b) => {
  if (num(b) === 0) throw new Error('division by zero')
  return float15(num(a) % num(b))
})
define('min', 1, Number.POSITIVE_INFINITY, (...args) =>
  Math.min(...(args.length === 1 && Array.isArray(args[0]) ? args[0] : args).map(num)),
)
define('max', 1, Number.POSITIVE_INFINITY, (...args) =>
  Math.max(...(args.length === 1 && Array.isArray(args[0]) ? args[0] : args).map(num)),
)
define('rand', 2, 2, (low, high) => int(low) + Math.floor(Math.random() * (int(high) - int(low))))

// Conversion
define('string', 1, 1, (v) => {
  if (v === null || v === undefined) return ''
  if (v instanceof DecimalNumber) return v.toString()
  if (isContent(v)) return Buffer.from(v.$content, 'base64').toString('utf8')
  return typeof v === 'object' ? JSON.stringify(v) : String(v)
})
define('int', 1, 1, (v) => {
  const n = typeof v === 'number' ? v : Number(str(v, 'a number or a numeric string').trim())
  if (!Number.isInteger(n)) throw new Error(`'${String(v)}' is not an integer`)
  return n
})
define('float', 1, 2, (v, locale) => {
  if (typeof v === 'number') return v
  if (v instanceof DecimalNumber) return v.value.toNumber()
  const text = str(v, 'a number or a numeric string')
  const n = parseNumber(text, locale === undefined ? undefined : str(locale, 'a locale'))
  if (n === undefined)
    throw new Error(
      `'${text}' is not a number${locale === undefined ? " (give a locale, e.g. float('10.000,5', 'de-DE'), for other ways of writing one)" : ` in ${String(locale)}`}`,
    )
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
  if (v === null || v === undefined) return {}
  if (isContent(v)) v = Buffer.from(v.$content, 'base64').toString('utf8')
  if (typeof v !== 'string') return v
  if (looksLikeXml(v)) return xmlToJson(v)
  try {
    return JSON.parse(v)
  } catch (error) {
    throw new Error(`not JSON: ${(error as Error).message}`)
  }
})
define('array', 1, 1, (v) => [v])
define('base64', 1, 1, (v) => bytesOf(v).toString('base64'))
define('base64ToString', 1, 1, (v) =>
  isContent(v) ? bytesOf(v).toString('utf8') : Buffer.from(str(v), 'base64').toString('utf8'),
)
define('encodeUriComponent', 1, 1, (v) => encodeURIComponent(str(v)))
define('uriComponent', 1, 1, (v) => encodeURIComponent(str(v)))
define('decodeUriComponent', 1, 1, (v) => decodeURIComponent(str(v)))

// Date and time
define('utcNow', 0, 1, (format) => out(timestamp(now()), format))
define('addSeconds', 2, 3, addTime(1000))
define('addMinutes', 2, 3, addTime(60_000))
define('addHours', 2, 3, addTime(3_600_000))
define('addDays', 2, 3, addTime(86_400_000))
define('formatDateTime', 1, 3, (value, format, locale) => out(toTime(value), format, locale))
define('parseDateTime', 1, 3, (value, locale, format) =>
  out(
    parseInCulture(
      str(value, 'a timestamp string'),
      culture(locale),
      format === undefined || format === null ? undefined : str(format, 'a format'),
    ),
  ),
)
define('startOfDay', 1, 2, (value, format) => {
  const ts = toTime(value)
  return out({ ...ts, ms: ts.ms - (((ts.ms % 86_400_000) + 86_400_000) % 86_400_000), ticks: 0 }, format)
})
define('dayOfWeek', 1, 1, (value) => new Date(toTime(value).ms).getUTCDay())
define('ticks', 1, 1, (value) => {
  const ts = toTime(value)
  return ts.ms * 10_000 + ts.ticks + 621_355_968_000_000_000
})
define('convertTimeZone', 3, 4, (value, source, destination, format) => {
  const instant = toUtc(toTime(value), ianaZone(source))
  return out(fromUtc(instant, ianaZone(destination)), format)
})
define('convertFromUtc', 2, 3, (value, destination, format) => {
  const zone = ianaZone(destination)
  return out(fromUtc({ ...toTime(value), kind: 'utc' }, zone), format)
})
define('convertToUtc', 2, 3, (value, source, format) => {
  const ts = toTime(value)
  return out(toUtc({ ...ts, kind: 'unspecified' }, ianaZone(source)), format)
})

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
  // Invariant culture by default (10,000.5); with a locale, that culture's marks (10.000,5 in de-DE).
  if (typeof v !== 'string') return typeof v === 'number'
  return parseNumber(v, locale === undefined ? undefined : str(locale, 'a locale')) !== undefined
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
  if (v instanceof DecimalNumber) return v
  if (typeof v === 'number') return new DecimalNumber(new DecimalType(v))
  const text = str(v, 'a decimal number as a string').trim()
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text))
    throw new Error(`'${text}' is not a decimal number`)
  return new DecimalNumber(new DecimalType(text))
})

// Binary content, as the runtime passes it between actions: { $content-type, $content (base64) }.
interface Content {
  '$content-type': string
  $content: string
}
export function isContent(v: Value): v is Content {
  return isObject(v) && typeof v.$content === 'string' && typeof v['$content-type'] === 'string'
}
const content = (bytes: Buffer, type = 'application/octet-stream'): Content => ({
  '$content-type': type,
  $content: bytes.toString('base64'),
})
const bytesOf = (v: Value): Buffer =>
  isContent(v) ? Buffer.from(v.$content, 'base64') : Buffer.from(str(v, 'a string or binary content'))
function dataUriParts(v: Value): { type: string; bytes: Buffer } {
  const match = /^data:([^,]*?)(;base64)?,(.*)$/s.exec(str(v, 'a data URI'))
  if (!match) throw new Error(`'${String(v).slice(0, 60)}' is not a data URI (data:[type][;base64],…)`)
  return {
    type: match[1] || 'text/plain;charset=US-ASCII',
    bytes: match[2]
      ? Buffer.from(match[3] as string, 'base64')
      : Buffer.from(decodeURIComponent(match[3] as string)),
  }
}
define('binary', 1, 1, (v) => content(bytesOf(v)))
define('base64ToBinary', 1, 1, (v) => content(Buffer.from(str(v, 'a base64 string'), 'base64')))
define('uriComponentToBinary', 1, 1, (v) => content(Buffer.from(decodeURIComponent(str(v)))))
define('dataUriToBinary', 1, 1, (v) => {
  const { type, bytes } = dataUriParts(v)
  return content(bytes, type)
})
define('decodeDataUri', 1, 1, (v) => {
  const { type, bytes } = dataUriParts(v)
  // Text comes back as text (the guide's example gives "hello"); anything else as binary content.
  return /^text\//i.test(type) ? bytes.toString('utf8') : content(bytes, type)
})

// XML
define('xml', 1, 1, (v) => toXml(isContent(v) ? bytesOf(v).toString('utf8') : v))
define('xpath', 2, 2, (xml, expression) =>
  xpath(isContent(xml) ? bytesOf(xml).toString('utf8') : xml, expression),
)

const UNITS: Record<string, (ms: number, n: number) => number> = {
  second: (ms, n) => ms + n * 1000,
  minute: (ms, n) => ms + n * 60_000,
  hour: (ms, n) => ms + n * 3_600_000,
  day: (ms, n) => ms + n * 86_400_000,
  week: (ms, n) => ms + n * 7 * 86_400_000,
  month: (ms, n) => {
    const next = new Date(ms)
    const day = next.getUTCDate()
    next.setUTCDate(1)
    next.setUTCMonth(next.getUTCMonth() + n)
    // Jan 31 plus a month is Feb 28 (or 29), as .NET's AddMonths gives it.
    const last = new Date(Date.UTC(next.getUTCFullYear(), next.getUTCMonth() + 1, 0)).getUTCDate()
    next.setUTCDate(Math.min(day, last))
    return next.getTime()
  },
  year: (ms, n) => UNITS.month?.(ms, n * 12) as number,
}
function shift(ts: Timestamp, interval: Value, unit: Value): Timestamp {
  const name = str(unit, 'a time unit').toLowerCase().replace(/s$/, '')
  const by = UNITS[name]
  if (!by)
    throw new Error(`'${String(unit)}' is not a time unit (Second, Minute, Hour, Day, Week, Month, Year)`)
  return { ...ts, ms: by(ts.ms, int(interval)) }
}
define('addToTime', 3, 4, (value, interval, unit, format) =>
  out(shift(toTime(value), interval, unit), format),
)
define('subtractFromTime', 3, 4, (value, interval, unit, format) =>
  out(shift(toTime(value), -int(interval), unit), format),
)
define('getFutureTime', 2, 3, (interval, unit, format) =>
  out(shift(timestamp(now()), interval, unit), format),
)
define('getPastTime', 2, 3, (interval, unit, format) =>
  out(shift(timestamp(now()), -int(interval), unit), format),
)
define('dayOfMonth', 1, 1, (value) => new Date(toTime(value).ms).getUTCDate())
define('dayOfYear', 1, 1, (value) => {
  const d = new Date(toTime(value).ms)
  return (
    Math.floor(
      (Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) /
        86_400_000,
    ) + 1
  )
})
define('startOfHour', 1, 2, (value, format) => {
  const ts = toTime(value)
  return out({ ...ts, ms: ts.ms - (((ts.ms % 3_600_000) + 3_600_000) % 3_600_000), ticks: 0 }, format)
})
define('startOfMonth', 1, 2, (value, format) => {
  const ts = toTime(value)
  const d = new Date(ts.ms)
  return out({ ...ts, ms: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), ticks: 0 }, format)
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
define('dateDifference', 2, 2, (start, end) => timeSpan(toTime(end).ms - toTime(start).ms))

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

/** Calls a function; `clock` is the run's time for utcNow() and the like (tests fix it). */
export function callFunction(name: string, args: Value[], clock?: () => number): Value {
  const found = FUNCTIONS[name]
  if (!found) throw new Error(`unknown function`)
  found.check(args)
  if (!clock) return found.fn(...args)
  const previous = now
  now = clock
  try {
    return found.fn(...args)
  } finally {
    now = previous
  }
}

export function hasFunction(name: string): boolean {
  return Object.hasOwn(FUNCTIONS, name)
}

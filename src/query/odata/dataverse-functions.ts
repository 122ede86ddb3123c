/**
 * Dataverse's query functions, as Power Automate makers write them in List rows filters:
 * `Microsoft.Dynamics.CRM.LastXDays(PropertyName='createdon',PropertyValue=7)`, `…Today(…)`,
 * `…Between(PropertyName='revenue',PropertyValues=['1','10'])`, `…In(…)`. Each becomes the plain
 * comparisons it means, with days in UTC and weeks starting on Sunday (Dataverse's defaults); the
 * "last" ones run to the end of today, the "next" ones from now.
 */
import type { FilterExpression } from './filter-ast.js'

type Literal = FilterExpression & { kind: 'literal' }
export type DataverseArgument = string | number | (string | number)[]

const DAY = 86_400_000

function startOfDay(ms: number): number {
  return ms - (((ms % DAY) + DAY) % DAY)
}
function addMonths(ms: number, months: number): number {
  const d = new Date(ms)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1)
}
const startOfMonth = (ms: number) => addMonths(ms, 0)
const startOfYear = (ms: number) => Date.UTC(new Date(ms).getUTCFullYear(), 0, 1)
const startOfWeek = (ms: number) => startOfDay(ms) - new Date(ms).getUTCDay() * DAY

/** The functions, by lower-case name: the range [from, to) they select, given now and the value. */
const RANGES: Record<string, (now: number, n: number) => [number | undefined, number | undefined]> = {
  today: (now) => [startOfDay(now), startOfDay(now) + DAY],
  yesterday: (now) => [startOfDay(now) - DAY, startOfDay(now)],
  tomorrow: (now) => [startOfDay(now) + DAY, startOfDay(now) + 2 * DAY],
  last7days: (now) => [startOfDay(now) - 7 * DAY, startOfDay(now) + DAY],
  next7days: (now) => [now, startOfDay(now) + 8 * DAY],
  thisweek: (now) => [startOfWeek(now), startOfWeek(now) + 7 * DAY],
  lastweek: (now) => [startOfWeek(now) - 7 * DAY, startOfWeek(now)],
  nextweek: (now) => [startOfWeek(now) + 7 * DAY, startOfWeek(now) + 14 * DAY],
  thismonth: (now) => [startOfMonth(now), addMonths(now, 1)],
  lastmonth: (now) => [addMonths(now, -1), startOfMonth(now)],
  nextmonth: (now) => [addMonths(now, 1), addMonths(now, 2)],
  thisyear: (now) => [startOfYear(now), Date.UTC(new Date(now).getUTCFullYear() + 1, 0, 1)],
  lastyear: (now) => [Date.UTC(new Date(now).getUTCFullYear() - 1, 0, 1), startOfYear(now)],
  nextyear: (now) => [
    Date.UTC(new Date(now).getUTCFullYear() + 1, 0, 1),
    Date.UTC(new Date(now).getUTCFullYear() + 2, 0, 1),
  ],
  lastxhours: (now, n) => [now - n * 3_600_000, now],
  nextxhours: (now, n) => [now, now + n * 3_600_000],
  lastxdays: (now, n) => [startOfDay(now) - n * DAY, startOfDay(now) + DAY],
  nextxdays: (now, n) => [now, startOfDay(now) + (n + 1) * DAY],
  lastxweeks: (now, n) => [startOfDay(now) - 7 * n * DAY, startOfDay(now) + DAY],
  nextxweeks: (now, n) => [now, startOfDay(now) + (7 * n + 1) * DAY],
  lastxmonths: (now, n) => [
    addMonths(startOfDay(now), -n) + (new Date(now).getUTCDate() - 1) * DAY,
    startOfDay(now) + DAY,
  ],
  nextxmonths: (now, n) => [now, addMonths(now, n + 1)],
  lastxyears: (now, n) => [Date.UTC(new Date(now).getUTCFullYear() - n, 0, 1), startOfDay(now) + DAY],
  nextxyears: (now, n) => [now, Date.UTC(new Date(now).getUTCFullYear() + n + 1, 0, 1)],
  olderthanxminutes: (now, n) => [undefined, now - n * 60_000],
  olderthanxhours: (now, n) => [undefined, now - n * 3_600_000],
  olderthanxdays: (now, n) => [undefined, startOfDay(now) - n * DAY],
  olderthanxweeks: (now, n) => [undefined, startOfDay(now) - 7 * n * DAY],
  olderthanxmonths: (now, n) => [undefined, addMonths(startOfDay(now), -n)],
  olderthanxyears: (now, n) => [
    undefined,
    Date.UTC(new Date(now).getUTCFullYear() - n, new Date(now).getUTCMonth(), 1),
  ],
}

export const DATAVERSE_FUNCTIONS = [
  ...Object.keys(RANGES),
  'on',
  'onorafter',
  'onorbefore',
  'between',
  'notbetween',
  'in',
  'notin',
]

/**
 * The comparisons a Dataverse query function means. `fail` reports a problem at the call; the
 * caller's property and literal nodes carry the call's position.
 */
export function dataverseFunction(
  name: string,
  args: Record<string, DataverseArgument>,
  position: number,
  fail: (message: string) => never,
  now = Date.now(),
): FilterExpression {
  const fn = (name.split('.').at(-1) as string).toLowerCase()
  const propertyName = args.PropertyName ?? args.propertyname
  if (typeof propertyName !== 'string' || propertyName === '') fail(`${name} needs PropertyName='column'`)
  const property: FilterExpression = { kind: 'property', name: propertyName as string, position }
  const at = (ms: number): Literal => ({
    kind: 'literal',
    type: 'datetime',
    value: new Date(ms).toISOString(),
    position,
  })
  const compare = (
    operator: 'ge' | 'lt' | 'le' | 'gt' | 'eq',
    right: FilterExpression,
  ): FilterExpression => ({
    kind: 'compare',
    operator,
    left: property,
    right,
    position,
  })
  const both = (a: FilterExpression, b: FilterExpression): FilterExpression => ({
    kind: 'and',
    left: a,
    right: b,
    position,
  })
  const value = args.PropertyValue ?? args.propertyvalue
  const values = args.PropertyValues ?? args.propertyvalues
  const literalOf = (v: string | number): Literal =>
    typeof v === 'number'
      ? {
          kind: 'literal',
          type: 'number',
          value: v,
          numberKind: Number.isInteger(v) ? 'integer' : 'double',
          position,
        }
      : /^-?\d+(\.\d+)?$/.test(v)
        ? {
            kind: 'literal',
            type: 'number',
            value: Number(v),
            numberKind: v.includes('.') ? 'decimal' : 'integer',
            ...(v.includes('.') ? { digits: v } : {}),
            position,
          }
        : { kind: 'literal', type: 'string', value: v, position }
  const range = RANGES[fn]
  if (range) {
    let n = 0
    if (/x/.test(fn)) {
      n = Number(value)
      if (value === undefined || !Number.isInteger(n) || n < 0)
        fail(`${name} needs PropertyValue=n, a whole number of ${fn.replace(/^.*x/, '')}`)
    }
    const [from, to] = range(now, n)
    if (from === undefined) return compare('lt', at(to as number))
    return both(compare('ge', at(from)), compare('lt', at(to as number)))
  }
  const dayOf = (v: DataverseArgument | undefined): number => {
    const ms = typeof v === 'string' ? Date.parse(/T/.test(v) ? v : `${v}T00:00:00Z`) : Number.NaN
    if (Number.isNaN(ms)) fail(`${name} needs PropertyValue='2024-05-31', a date`)
    return startOfDay(ms)
  }
  switch (fn) {
    case 'on': {
      const day = dayOf(value)
      return both(compare('ge', at(day)), compare('lt', at(day + DAY)))
    }
    case 'onorafter':
      return compare('ge', at(dayOf(value)))
    case 'onorbefore':
      return compare('lt', at(dayOf(value) + DAY))
    case 'between':
    case 'notbetween': {
      if (!Array.isArray(values) || values.length !== 2) fail(`${name} needs PropertyValues=['low','high']`)
      const [low, high] = values as (string | number)[]
      const between = both(
        compare('ge', literalOf(low as string | number)),
        compare('le', literalOf(high as string | number)),
      )
      return fn === 'between' ? between : { kind: 'not', operand: between, position }
    }
    case 'in':
    case 'notin': {
      if (!Array.isArray(values)) fail(`${name} needs PropertyValues=['a','b']`)
      const list: FilterExpression = {
        kind: 'in',
        operand: property,
        list: (values as (string | number)[]).map(literalOf),
        position,
      }
      return fn === 'in' ? list : { kind: 'not', operand: list, position }
    }
  }
  return fail(
    `Microsoft.Dynamics.CRM.${name.split('.').at(-1)} is not a query function this service has; it has ${DATAVERSE_FUNCTIONS.join(', ')}`,
  )
}

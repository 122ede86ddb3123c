import { nearestName } from '../../names.js'
import type { ColumnSchema } from '../../store/tables.js'
import { EMPTY, ident, inlineValue, join, param, type Sql, type SqlValue, sql } from '../sql.js'
import type { FilterExpression } from './filter-ast.js'
import { odataSyntaxError } from './odata-syntax-error.js'
import { isIntegerType, type ValueType, valueTypeOf } from './value-types.js'

interface Typed {
  sql: Sql
  type: ValueType
  /** The DuckDB type, for columns and casts. */
  duckType?: string
  /** A literal, kept for coercions (a string compared with a date). */
  literal?: FilterExpression & { kind: 'literal' }
  /** A number that is whole (div of two of them truncates, as Edm.Int64 division does). */
  integer?: boolean
}

const SQL_COMPARISON = {
  eq: sql`=`,
  ne: sql`<>`,
  gt: sql`>`,
  ge: sql`>=`,
  lt: sql`<`,
  le: sql`<=`,
} as const
const TRUE = sql`TRUE`
const FALSE = sql`FALSE`
const NULL = sql`NULL`

/** Resolves a property name against the entity's columns (exact, else the one case-insensitive match). */
export function resolveColumn(
  columns: ColumnSchema[],
  name: string,
  option: string,
  position: number,
): ColumnSchema {
  const exact = columns.find((c) => c.name === name)
  if (exact) return exact
  const folded = columns.filter((c) => c.name.toLowerCase() === name.toLowerCase())
  if (folded.length === 1) return folded[0] as ColumnSchema
  const known = columns.map((c) => c.name)
  const near = nearestName(name, known)
  throw odataSyntaxError(
    option,
    position,
    `unknown property '${name}'${near ? `; did you mean '${near}'?` : ''}; the entity has ${known.slice(0, 30).join(', ')}${known.length > 30 ? ', …' : ''}`,
  )
}

/**
 * Translates a parsed `$filter` to a DuckDB boolean expression over the entity's columns, with
 * OData's two-valued logic: comparisons with null are false (so `not` of them is true), `eq null`
 * tests for null. Types are checked here, so DuckDB never sees a comparison it would reject.
 * Literals are bound parameters: user text never enters the SQL text.
 */
export function filterToSql(
  expression: FilterExpression,
  columns: ColumnSchema[],
  option = '$filter',
  /** Write literals into the text (for statements kept whole) instead of binding them. */
  values: 'bound' | 'inline' = 'bound',
): Sql {
  return new FilterTranslation(columns, option, values).condition(expression, true)
}

/** A non-boolean expression (an `$orderby` item): its SQL and OData type. */
export function expressionToSql(
  expression: FilterExpression,
  columns: ColumnSchema[],
  option = '$orderby',
): { sql: Sql; type: ValueType } {
  const translation = new FilterTranslation(columns, option, 'bound')
  if (['and', 'or', 'not', 'compare', 'in'].includes(expression.kind))
    return { sql: translation.condition(expression, true), type: 'boolean' }
  const typed = translation.value(expression)
  return { sql: translation.rendered(typed), type: typed.type }
}

const pad = (n: number | string, width = 2) => String(n).padStart(width, '0')

class FilterTranslation {
  constructor(
    readonly columns: ColumnSchema[],
    readonly option: string,
    readonly values: 'bound' | 'inline',
  ) {}

  bind(value: SqlValue): Sql {
    return this.values === 'inline' ? inlineValue(value) : param(value)
  }

  mismatch(position: number, message: string) {
    return odataSyntaxError(this.option, position, message)
  }

  /** A date as DuckDB reads it: years before 1 as "(BC)" (OData's year 0 is 1 BC). */
  dateText(text: string): string {
    const m = /^(-?\d{4,})-(\d{2})-(\d{2})$/.exec(text) as RegExpExecArray
    const year = Number(m[1])
    return year >= 1 ? text : `${pad(1 - year, 4)}-${m[2]}-${m[3]} (BC)`
  }

  datetimeSql(text: string, duckType?: string): Sql {
    const m =
      /^(-?\d{4,})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/i.exec(text)
    const zoned = duckType && /WITH TIME ZONE|TIMESTAMPTZ/i.test(duckType)
    if (!m) throw this.mismatch(1, `'${text}' is not a date and time`)
    const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone = 'Z'] = m
    const year = Number(y)
    if (year < 1) {
      // Before the common era: DuckDB reads "(BC)" dates; the time of day and zone are kept as UTC.
      const bc = sql`CAST(CAST(${this.bind(this.dateText(`${y}-${mo}-${d}`))} AS DATE) AS TIMESTAMP)`
      return zoned ? sql`CAST(${bc} AS TIMESTAMPTZ)` : bc
    }
    const offset =
      zone.toUpperCase() === 'Z'
        ? 0
        : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)))
    // setUTC* takes years below 100 as they are (Date.UTC would read 0099 as 1999) and rolls a
    // leap second (23:59:60) over into the next minute, as it should.
    const base = new Date(0)
    base.setUTCFullYear(year, Number(mo) - 1, Number(d))
    base.setUTCHours(Number(h), Number(mi) - offset, Number(s), 0)
    const micro = fraction ? fraction.slice(1, 7).padEnd(6, '0') : '000000'
    const iso = `${pad(base.getUTCFullYear(), 4)}-${pad(base.getUTCMonth() + 1)}-${pad(base.getUTCDate())} ${pad(base.getUTCHours())}:${pad(base.getUTCMinutes())}:${pad(base.getUTCSeconds())}.${micro}`
    // Naive TIMESTAMP columns hold UTC (that is how they are read and shown).
    return zoned
      ? sql`CAST(${this.bind(`${iso}+00`)} AS TIMESTAMPTZ)`
      : sql`CAST(${this.bind(iso)} AS TIMESTAMP)`
  }

  literalSql(e: FilterExpression & { kind: 'literal' }, asType?: ValueType, duckType?: string): Sql {
    switch (e.type) {
      case 'null':
        return NULL
      case 'date':
        if (asType === 'datetime') return this.datetimeSql(e.value, duckType)
        return sql`CAST(${this.bind(this.dateText(e.value))} AS DATE)`
      case 'datetime':
        if (asType === 'date') return sql`CAST(${this.datetimeSql(e.value, duckType)} AS DATE)`
        return this.datetimeSql(e.value, duckType)
      case 'time':
        return sql`CAST(${this.bind(e.value)} AS TIME)`
      case 'guid':
        return asType === 'guid' ? sql`CAST(${this.bind(e.value)} AS UUID)` : this.bind(e.value)
      case 'string':
        if (asType === 'date' || asType === 'datetime') {
          const text = e.value.trim()
          if (/^-?\d{4,}-\d{2}-\d{2}$/.test(text) && asType === 'date')
            return sql`CAST(${this.bind(this.dateText(text))} AS DATE)`
          if (/^-?\d{4,}-\d{2}-\d{2}(T.*)?$/i.test(text) && !Number.isNaN(Date.parse(text)))
            return this.datetimeSql(text.replace(/T(\d{2}:\d{2}(:\d{2}(\.\d+)?)?)$/i, 'T$1Z'), duckType)
          throw this.mismatch(
            e.position,
            `'${e.value}' is not a date; write dates as 2024-05-31 or 2024-05-31T12:00:00Z`,
          )
        }
        if (asType === 'guid') return sql`CAST(${this.bind(e.value)} AS UUID)`
        return this.bind(e.value)
      case 'number': {
        const n = e.value
        if (typeof n === 'number' && !Number.isFinite(n))
          return sql`CAST(${this.bind(Number.isNaN(n) ? 'nan' : n > 0 ? 'inf' : '-inf')} AS DOUBLE)`
        // A decimal literal keeps its digits: DECIMAL, not a double that rounds them.
        if (e.numberKind === 'decimal' && e.digits && /^-?\d+\.\d+$/.test(e.digits)) {
          const [whole = '', fraction = ''] = e.digits.replace('-', '').split('.')
          const scale = Math.min(fraction.length, 37)
          if (whole.replace(/^0+/, '').length + scale <= 38)
            return sql`CAST(${this.bind(e.digits)} AS DECIMAL(38, ${inlineValue(scale)}))`
        }
        return this.bind(n)
      }
      default:
        return this.bind(e.value)
    }
  }

  value(e: FilterExpression): Typed {
    switch (e.kind) {
      case 'literal':
        return {
          sql: e.type === 'null' ? NULL : EMPTY,
          type: e.type,
          literal: e,
          ...(e.type === 'number'
            ? { integer: e.numberKind === 'integer' || typeof e.value === 'bigint' }
            : {}),
        }
      case 'property': {
        const column = resolveColumn(this.columns, e.name, this.option, e.position)
        return {
          sql: ident(column.name),
          type: valueTypeOf(column.type),
          duckType: column.type,
          integer: isIntegerType(column.type),
        }
      }
      case 'call':
        return this.call(e)
      case 'negate': {
        const operand = this.value(e.operand)
        if (operand.type !== 'number' && operand.type !== 'null')
          throw this.mismatch(e.position, `- needs a number, not ${operand.type}`)
        return {
          sql: sql`(-${this.rendered(operand)})`,
          type: 'number',
          ...(operand.integer ? { integer: true } : {}),
        }
      }
      case 'arithmetic':
        return this.arithmetic(e)
      default:
        return { sql: this.condition(e, false), type: 'boolean' }
    }
  }

  /** A value's SQL on its own (a literal in its own type). */
  rendered(typed: Typed): Sql {
    return typed.literal ? this.literalSql(typed.literal) : typed.sql
  }

  /** A literal's SQL once the type it is compared with is known. */
  render(side: Typed, other: Typed): Sql {
    if (!side.literal) {
      // A GUID kept as text compares regardless of case.
      if (side.type === 'string' && other.type === 'guid') return sql`lower(${side.sql})`
      return side.sql
    }
    return this.literalSql(side.literal, other.type, other.duckType)
  }

  arithmetic(e: FilterExpression & { kind: 'arithmetic' }): Typed {
    const left = this.value(e.left)
    const right = this.value(e.right)
    for (const side of [left, right])
      if (side.type !== 'number' && side.type !== 'null')
        throw this.mismatch(e.position, `${e.operator} needs numbers, not ${side.type}`)
    const l = this.rendered(left)
    const r = this.rendered(right)
    const integer = !!left.integer && !!right.integer
    switch (e.operator) {
      case 'add':
        return { sql: sql`(${l} + ${r})`, type: 'number', integer }
      case 'sub':
        return { sql: sql`(${l} - ${r})`, type: 'number', integer }
      case 'mul':
        return { sql: sql`(${l} * ${r})`, type: 'number', integer }
      case 'div':
        // Integers divide as integers (truncated), anything else exactly; by zero gives null.
        return integer
          ? { sql: sql`(${l} // nullif(${r}, 0))`, type: 'number', integer: true }
          : { sql: sql`(${l} / nullif(${r}, 0))`, type: 'number' }
      case 'divby':
        return { sql: sql`(CAST(${l} AS DOUBLE) / nullif(${r}, 0))`, type: 'number' }
      case 'mod':
        return { sql: sql`(${l} % nullif(${r}, 0))`, type: 'number', integer }
    }
  }

  call(e: FilterExpression & { kind: 'call' }): Typed {
    const args = e.args.map((a) => this.value(a))
    const needs = (i: number, ...types: ValueType[]) => {
      const arg = args[i] as Typed
      if (!types.includes(arg.type) && arg.type !== 'null')
        throw this.mismatch(
          e.position,
          `${e.name} needs ${types.join(' or ')} argument${args.length > 1 ? 's' : ''}, not ${arg.type}`,
        )
      return arg.literal ? this.literalSql(arg.literal) : arg.sql
    }
    const number = (s: Sql, integer = true): Typed => ({
      sql: s,
      type: 'number',
      duckType: 'BIGINT',
      integer,
    })
    const text = (s: Sql): Typed => ({ sql: s, type: 'string', duckType: 'VARCHAR' })
    switch (e.name) {
      case 'contains':
      case 'startswith':
      case 'endswith': {
        const fn = { contains: sql`contains`, startswith: sql`starts_with`, endswith: sql`ends_with` }[e.name]
        return { sql: sql`${fn}(${needs(0, 'string')}, ${needs(1, 'string')})`, type: 'boolean' }
      }
      case 'matchespattern':
        return { sql: sql`regexp_matches(${needs(0, 'string')}, ${needs(1, 'string')})`, type: 'boolean' }
      case 'tolower':
        return text(sql`lower(${needs(0, 'string')})`)
      case 'toupper':
        return text(sql`upper(${needs(0, 'string')})`)
      case 'trim':
        return text(sql`trim(${needs(0, 'string')})`)
      case 'concat':
        // || keeps null as null (DuckDB's concat() would treat it as '').
        return text(sql`(${needs(0, 'string')} || ${needs(1, 'string')})`)
      case 'length':
        return number(sql`length(${needs(0, 'string')})`)
      case 'indexof':
        return number(sql`(strpos(${needs(0, 'string')}, ${needs(1, 'string')}) - 1)`)
      case 'substring': {
        const s = needs(0, 'string')
        const start = needs(1, 'number')
        return text(
          args.length === 3
            ? sql`substring(${s}, greatest(${start}, 0) + 1, greatest(${needs(2, 'number')}, 0))`
            : sql`substring(${s}, greatest(${start}, 0) + 1)`,
        )
      }
      case 'year':
      case 'month':
      case 'day': {
        const fn = { year: sql`year`, month: sql`month`, day: sql`day` }[e.name]
        return number(sql`${fn}(${needs(0, 'date', 'datetime')})`)
      }
      case 'hour':
      case 'minute':
      case 'second': {
        const fn = { hour: sql`hour`, minute: sql`minute`, second: sql`second` }[e.name]
        return number(sql`${fn}(${needs(0, 'datetime', 'time')})`)
      }
      case 'fractionalseconds':
        return number(sql`((microsecond(${needs(0, 'datetime', 'time')}) % 1000000) / 1000000.0)`, false)
      case 'date':
        return { sql: sql`CAST(${needs(0, 'datetime', 'date')} AS DATE)`, type: 'date', duckType: 'DATE' }
      case 'time': {
        const value = needs(0, 'datetime', 'time')
        // A zoned date-time goes through TIMESTAMP (the session's zone is UTC) on its way to TIME.
        const naive = args[0]?.type === 'datetime' ? sql`CAST(${value} AS TIMESTAMP)` : value
        return { sql: sql`CAST(${naive} AS TIME)`, type: 'time', duckType: 'TIME' }
      }
      case 'totaloffsetminutes': {
        // Every stored date-time is UTC: its offset is 0 (null stays null).
        const value = needs(0, 'datetime')
        return number(sql`(CASE WHEN ${value} IS NULL THEN NULL ELSE 0 END)`)
      }
      case 'now':
        return { sql: sql`current_timestamp`, type: 'datetime', duckType: 'TIMESTAMP WITH TIME ZONE' }
      case 'maxdatetime':
        return {
          sql: sql`CAST('9999-12-31 23:59:59.999999+00' AS TIMESTAMPTZ)`,
          type: 'datetime',
          duckType: 'TIMESTAMP WITH TIME ZONE',
        }
      case 'mindatetime':
        return {
          sql: sql`CAST('0001-01-01 00:00:00+00' AS TIMESTAMPTZ)`,
          type: 'datetime',
          duckType: 'TIMESTAMP WITH TIME ZONE',
        }
      case 'round':
      case 'floor':
      case 'ceiling': {
        const fn = { round: sql`round`, floor: sql`floor`, ceiling: sql`ceil` }[e.name]
        return { sql: sql`${fn}(${needs(0, 'number')})`, type: 'number', integer: !!args[0]?.integer }
      }
    }
  }

  comparable(a: Typed, b: Typed, position: number, operator: string): void {
    const types = [a.type, b.type]
    if (types.includes('other'))
      throw this.mismatch(
        position,
        `${operator} cannot compare a value of type ${(a.type === 'other' ? a : b).duckType}`,
      )
    if (a.type === b.type || types.includes('null')) return
    const temporal = (t: ValueType) => t === 'date' || t === 'datetime'
    if (temporal(a.type) && temporal(b.type)) return
    const literalOf = (t: Typed, type: ValueType) => t.type === type && t.literal
    // Text literals read as dates, GUIDs read as text, booleans as 1 and 0 against numbers.
    if ((literalOf(a, 'string') && temporal(b.type)) || (literalOf(b, 'string') && temporal(a.type))) return
    if (types.includes('guid') && types.includes('string')) return
    if (types.includes('boolean') && types.includes('number')) return
    throw this.mismatch(position, `${operator} cannot compare ${a.type} with ${b.type}`)
  }

  /** Both sides of a comparison as SQL of comparable types. */
  sides(left: Typed, right: Typed): [Sql, Sql] {
    const asNumber = (t: Typed, other: Typed) =>
      t.type === 'boolean' && other.type === 'number'
        ? sql`CAST(${this.render(t, other)} AS INTEGER)`
        : this.render(t, other)
    return [asNumber(left, right), asNumber(right, left)]
  }

  /** A condition as SQL that is never NULL, or (when `positive`) may be NULL where false is meant. */
  condition(e: FilterExpression, positive: boolean): Sql {
    switch (e.kind) {
      case 'and':
      case 'or':
        return sql`(${this.condition(e.left, positive)} ${e.kind === 'and' ? sql`AND` : sql`OR`} ${this.condition(e.right, positive)})`
      case 'not':
        return sql`(NOT ${this.condition(e.operand, false)})`
      case 'compare': {
        const left = this.value(e.left)
        const right = this.value(e.right)
        this.comparable(left, right, e.position, e.operator)
        if (left.type === 'null' || right.type === 'null') {
          const other = left.type === 'null' ? right : left
          if (other.type === 'null')
            return e.operator === 'eq' || e.operator === 'ge' || e.operator === 'le' ? TRUE : FALSE
          const tested = this.rendered(other)
          if (e.operator === 'eq') return sql`(${tested} IS NULL)`
          if (e.operator === 'ne') return sql`(${tested} IS NOT NULL)`
          return FALSE
        }
        const [l, r] = this.sides(left, right)
        if (e.operator === 'ne') return sql`(${l} IS DISTINCT FROM ${r})`
        const compared = sql`(${l} ${SQL_COMPARISON[e.operator]} ${r})`
        return positive ? compared : sql`coalesce(${compared}, FALSE)`
      }
      case 'in': {
        const operand = this.value(e.operand)
        if (e.list.length === 0) return FALSE
        const items = e.list.map((item) => {
          const typed = this.value(item)
          this.comparable(operand, typed, item.position, 'in')
          return item.kind === 'literal' ? this.render(typed, operand) : this.rendered(typed)
        })
        const subject = this.render(operand, this.value(e.list[0] as FilterExpression))
        const nonNull = items.filter((item) => item !== NULL)
        const parts = [
          ...(nonNull.length > 0 ? [sql`${subject} IN (${join(nonNull)})`] : []),
          ...(nonNull.length < items.length ? [sql`${subject} IS NULL`] : []),
        ]
        const any = sql`(${parts.length ? join(parts, ' or ') : FALSE})`
        return positive ? any : sql`coalesce(${any}, FALSE)`
      }
      case 'literal':
        if (e.type !== 'boolean')
          throw this.mismatch(e.position, `a filter must be true or false, not a ${e.type}`)
        return e.value ? TRUE : FALSE
      default: {
        const typed = this.value(e)
        if (typed.type !== 'boolean') {
          throw this.mismatch(
            e.position,
            `a filter must be a condition; '${e.kind === 'property' ? e.name : e.kind === 'call' ? e.name : e.kind}' is ${typed.type} (compare it with eq, gt, …)`,
          )
        }
        return positive ? typed.sql : sql`coalesce(${typed.sql}, FALSE)`
      }
    }
  }
}

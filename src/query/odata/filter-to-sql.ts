import { nearestName } from '../../names.js'
import type { ColumnSchema } from '../../store/tables.js'
import { EMPTY, ident, inlineValue, join, param, type Sql, type SqlValue, sql } from '../sql.js'
import type { FilterExpression } from './filter-ast.js'
import { odataSyntaxError } from './odata-syntax-error.js'
import { type ValueType, valueTypeOf } from './value-types.js'

interface Typed {
  sql: Sql
  type: ValueType
  /** The DuckDB type, for columns and casts. */
  duckType?: string
  /** A literal, kept for coercions (a string compared with a date). */
  literal?: FilterExpression & { kind: 'literal' }
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
  const bind = (value: SqlValue) => (values === 'inline' ? inlineValue(value) : param(value))
  const mismatch = (position: number, message: string) => odataSyntaxError(option, position, message)

  function literalSql(e: FilterExpression & { kind: 'literal' }, asType?: ValueType, duckType?: string): Sql {
    switch (e.type) {
      case 'null':
        return NULL
      case 'date':
        if (asType === 'datetime') return datetimeParam(e.value, duckType)
        return sql`CAST(${bind(e.value)} AS DATE)`
      case 'datetime':
        return datetimeParam(e.value, duckType)
      case 'string':
        if (asType === 'date' || asType === 'datetime') {
          if (Number.isNaN(Date.parse(e.value)))
            throw mismatch(
              e.position,
              `'${e.value}' is not a date; write dates as 2024-05-31 or 2024-05-31T12:00:00Z`,
            )
          return asType === 'date' && /^\d{4}-\d{2}-\d{2}$/.test(e.value)
            ? sql`CAST(${bind(e.value)} AS DATE)`
            : datetimeParam(e.value, duckType)
        }
        return bind(e.value)
      default:
        return bind(e.value)
    }
  }

  function datetimeParam(text: string, duckType?: string): Sql {
    const iso = new Date(
      /[Zz]|[+-]\d{2}:\d{2}$/.test(text) || text.length === 10 ? text : `${text}Z`,
    ).toISOString()
    // Naive TIMESTAMP columns hold UTC (that is how they are read and shown).
    if (duckType && /WITH TIME ZONE|TIMESTAMPTZ/i.test(duckType))
      return sql`CAST(${bind(iso)} AS TIMESTAMPTZ)`
    return sql`CAST(${bind(iso.replace('Z', ''))} AS TIMESTAMP)`
  }

  function value(e: FilterExpression): Typed {
    switch (e.kind) {
      case 'literal':
        return {
          sql: e.type === 'null' ? NULL : EMPTY,
          type: e.type,
          literal: e,
        }
      case 'property': {
        const column = resolveColumn(columns, e.name, option, e.position)
        return { sql: ident(column.name), type: valueTypeOf(column.type), duckType: column.type }
      }
      case 'call':
        return call(e)
      default:
        return { sql: condition(e, false), type: 'boolean' }
    }
  }

  /** A literal's SQL once the type it is compared with is known. */
  function render(side: Typed, other: Typed): Sql {
    if (!side.literal) return side.sql
    return literalSql(side.literal, other.type, other.duckType)
  }

  function call(e: FilterExpression & { kind: 'call' }): Typed {
    const args = e.args.map(value)
    const needs = (i: number, ...types: ValueType[]) => {
      const arg = args[i] as Typed
      if (!types.includes(arg.type) && arg.type !== 'null')
        throw mismatch(
          e.position,
          `${e.name} needs ${types.join(' or ')} argument${args.length > 1 ? 's' : ''}, not ${arg.type}`,
        )
      return arg.literal ? literalSql(arg.literal) : arg.sql
    }
    switch (e.name) {
      case 'contains':
      case 'startswith':
      case 'endswith': {
        const fn = { contains: sql`contains`, startswith: sql`starts_with`, endswith: sql`ends_with` }[e.name]
        const a = needs(0, 'string')
        const b = needs(1, 'string')
        return { sql: sql`${fn}(${a}, ${b})`, type: 'boolean' }
      }
      case 'tolower':
        return { sql: sql`lower(${needs(0, 'string')})`, type: 'string', duckType: 'VARCHAR' }
      case 'toupper':
        return { sql: sql`upper(${needs(0, 'string')})`, type: 'string', duckType: 'VARCHAR' }
      case 'trim':
        return { sql: sql`trim(${needs(0, 'string')})`, type: 'string', duckType: 'VARCHAR' }
      case 'length':
        return { sql: sql`length(${needs(0, 'string')})`, type: 'number', duckType: 'BIGINT' }
      case 'year':
      case 'month':
      case 'day': {
        const fn = { year: sql`year`, month: sql`month`, day: sql`day` }[e.name]
        return { sql: sql`${fn}(${needs(0, 'date', 'datetime')})`, type: 'number', duckType: 'BIGINT' }
      }
    }
  }

  function comparable(a: Typed, b: Typed, position: number, operator: string): void {
    const types = [a.type, b.type]
    if (types.includes('other'))
      throw mismatch(
        position,
        `${operator} cannot compare a value of type ${(a.type === 'other' ? a : b).duckType}`,
      )
    if (a.type === b.type || types.includes('null')) return
    const temporal = (t: ValueType) => t === 'date' || t === 'datetime'
    if (temporal(a.type) && temporal(b.type)) return
    const stringLiteralWithTemporal =
      (a.type === 'string' && a.literal && temporal(b.type)) ||
      (b.type === 'string' && b.literal && temporal(a.type))
    if (stringLiteralWithTemporal) return
    throw mismatch(position, `${operator} cannot compare ${a.type} with ${b.type}`)
  }

  /** A condition as SQL that is never NULL, or (when `positive`) may be NULL where false is meant. */
  function condition(e: FilterExpression, positive: boolean): Sql {
    switch (e.kind) {
      case 'and':
      case 'or':
        return sql`(${condition(e.left, positive)} ${e.kind === 'and' ? sql`AND` : sql`OR`} ${condition(e.right, positive)})`
      case 'not':
        return sql`(NOT ${condition(e.operand, false)})`
      case 'compare': {
        const left = value(e.left)
        const right = value(e.right)
        comparable(left, right, e.position, e.operator)
        if (left.type === 'null' || right.type === 'null') {
          const other = left.type === 'null' ? right : left
          if (other.type === 'null')
            return e.operator === 'eq' || e.operator === 'ge' || e.operator === 'le' ? TRUE : FALSE
          const tested = render(other, { sql: EMPTY, type: 'null' })
          if (e.operator === 'eq') return sql`(${tested} IS NULL)`
          if (e.operator === 'ne') return sql`(${tested} IS NOT NULL)`
          return FALSE
        }
        const l = render(left, right)
        const r = render(right, left)
        if (e.operator === 'ne') return sql`(${l} IS DISTINCT FROM ${r})`
        const compared = sql`(${l} ${SQL_COMPARISON[e.operator]} ${r})`
        return positive ? compared : sql`coalesce(${compared}, FALSE)`
      }
      case 'in': {
        const operand = value(e.operand)
        const items = e.list.map((item) => {
          if (item.kind !== 'literal') throw mismatch(item.position, 'in takes a list of literal values')
          const typed = value(item)
          comparable(operand, typed, item.position, 'in')
          return render(typed, operand)
        })
        const subject = render(operand, items.length > 0 ? value(e.list[0] as FilterExpression) : operand)
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
          throw mismatch(e.position, `a filter must be true or false, not a ${e.type}`)
        return e.value ? TRUE : FALSE
      case 'property':
      case 'call': {
        const typed = value(e)
        if (typed.type !== 'boolean') {
          throw mismatch(
            e.position,
            `a filter must be a condition; '${e.kind === 'property' ? e.name : e.name}' is ${typed.type} (compare it with eq, gt, …)`,
          )
        }
        return positive ? typed.sql : sql`coalesce(${typed.sql}, FALSE)`
      }
    }
  }

  return condition(expression, true)
}

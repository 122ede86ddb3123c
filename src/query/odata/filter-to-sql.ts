import type { ColumnSchema } from '../../store/tables.js'
import { ident } from '../sql-text.js'
import type { FilterExpression } from './filter-ast.js'
import { odataSyntaxError } from './odata-syntax-error.js'
import { type ValueType, valueTypeOf } from './value-types.js'

/** Collects bound parameters; SQL refers to them as $1, $2, … — user text never enters SQL. */
export class SqlParameters {
  readonly values: unknown[] = []
  add(value: unknown): string {
    this.values.push(value)
    return `$${this.values.length}`
  }
}

interface Typed {
  sql: string
  type: ValueType
  /** The DuckDB type, for columns and casts. */
  duckType?: string
  /** A literal, kept for coercions (a string compared with a date). */
  literal?: FilterExpression & { kind: 'literal' }
}

const SQL_COMPARISON = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' } as const

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
  throw odataSyntaxError(
    option,
    position,
    `unknown property '${name}'; the entity has ${known.slice(0, 30).join(', ')}${known.length > 30 ? ', …' : ''}`,
  )
}

/**
 * Translates a parsed `$filter` to a DuckDB boolean expression over the entity's columns, with
 * OData's two-valued logic: comparisons with null are false (so `not` of them is true), `eq null`
 * tests for null. Types are checked here, so DuckDB never sees a comparison it would reject.
 */
export function filterToSql(
  expression: FilterExpression,
  columns: ColumnSchema[],
  params: SqlParameters,
  option = '$filter',
): string {
  const mismatch = (position: number, message: string) => odataSyntaxError(option, position, message)

  function literalSql(
    e: FilterExpression & { kind: 'literal' },
    asType?: ValueType,
    duckType?: string,
  ): string {
    switch (e.type) {
      case 'null':
        return 'NULL'
      case 'date':
        if (asType === 'datetime') return datetimeParam(e.value, duckType)
        return `CAST(${params.add(e.value)} AS DATE)`
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
            ? `CAST(${params.add(e.value)} AS DATE)`
            : datetimeParam(e.value, duckType)
        }
        return params.add(e.value)
      default:
        return params.add(e.value)
    }
  }

  function datetimeParam(text: string, duckType?: string): string {
    const iso = new Date(
      /[Zz]|[+-]\d{2}:\d{2}$/.test(text) || text.length === 10 ? text : `${text}Z`,
    ).toISOString()
    // Naive TIMESTAMP columns hold UTC (that is how they are read and shown).
    if (duckType && /WITH TIME ZONE|TIMESTAMPTZ/i.test(duckType))
      return `CAST(${params.add(iso)} AS TIMESTAMPTZ)`
    return `CAST(${params.add(iso.replace('Z', ''))} AS TIMESTAMP)`
  }

  function value(e: FilterExpression): Typed {
    switch (e.kind) {
      case 'literal':
        return {
          sql: e.type === 'null' ? 'NULL' : '',
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
  function render(side: Typed, other: Typed): string {
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
        const fn = { contains: 'contains', startswith: 'starts_with', endswith: 'ends_with' }[e.name]
        const a = needs(0, 'string')
        const b = needs(1, 'string')
        return { sql: `${fn}(${a}, ${b})`, type: 'boolean' }
      }
      case 'tolower':
        return { sql: `lower(${needs(0, 'string')})`, type: 'string', duckType: 'VARCHAR' }
      case 'toupper':
        return { sql: `upper(${needs(0, 'string')})`, type: 'string', duckType: 'VARCHAR' }
      case 'trim':
        return { sql: `trim(${needs(0, 'string')})`, type: 'string', duckType: 'VARCHAR' }
      case 'length':
        return { sql: `length(${needs(0, 'string')})`, type: 'number', duckType: 'BIGINT' }
      case 'year':
      case 'month':
      case 'day':
        return { sql: `${e.name}(${needs(0, 'date', 'datetime')})`, type: 'number', duckType: 'BIGINT' }
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
  function condition(e: FilterExpression, positive: boolean): string {
    switch (e.kind) {
      case 'and':
      case 'or':
        return `(${condition(e.left, positive)} ${e.kind.toUpperCase()} ${condition(e.right, positive)})`
      case 'not':
        return `(NOT ${condition(e.operand, false)})`
      case 'compare': {
        const left = value(e.left)
        const right = value(e.right)
        comparable(left, right, e.position, e.operator)
        if (left.type === 'null' || right.type === 'null') {
          const other = left.type === 'null' ? right : left
          if (other.type === 'null')
            return e.operator === 'eq' || e.operator === 'ge' || e.operator === 'le' ? 'TRUE' : 'FALSE'
          const sql = render(other, { sql: '', type: 'null' })
          if (e.operator === 'eq') return `(${sql} IS NULL)`
          if (e.operator === 'ne') return `(${sql} IS NOT NULL)`
          return 'FALSE'
        }
        const l = render(left, right)
        const r = render(right, left)
        if (e.operator === 'ne') return `(${l} IS DISTINCT FROM ${r})`
        const sql = `(${l} ${SQL_COMPARISON[e.operator]} ${r})`
        return positive ? sql : `coalesce(${sql}, FALSE)`
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
        const nonNull = items.filter((sql) => sql !== 'NULL')
        const parts = [
          ...(nonNull.length > 0 ? [`${subject} IN (${nonNull.join(', ')})`] : []),
          ...(nonNull.length < items.length ? [`${subject} IS NULL`] : []),
        ]
        const sql = `(${parts.join(' OR ') || 'FALSE'})`
        return positive ? sql : `coalesce(${sql}, FALSE)`
      }
      case 'literal':
        if (e.type !== 'boolean')
          throw mismatch(e.position, `a filter must be true or false, not a ${e.type}`)
        return e.value ? 'TRUE' : 'FALSE'
      case 'property':
      case 'call': {
        const typed = value(e)
        if (typed.type !== 'boolean') {
          throw mismatch(
            e.position,
            `a filter must be a condition; '${e.kind === 'property' ? e.name : e.name}' is ${typed.type} (compare it with eq, gt, …)`,
          )
        }
        return positive ? typed.sql : `coalesce(${typed.sql}, FALSE)`
      }
    }
  }

  return condition(expression, true)
}

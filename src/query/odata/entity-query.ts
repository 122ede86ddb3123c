import { AppError } from '../../errors.js'
import type { ColumnSchema } from '../../store/tables.js'
import { join, type Sql } from '../sql.js'
import type { FilterExpression } from './filter-ast.js'
import { parseFilter } from './filter-parser.js'
import { expressionToSql, filterToSql, resolveColumn } from './filter-to-sql.js'
import { odataSyntaxError } from './odata-syntax-error.js'
import { valueTypeOf } from './value-types.js'

/** Most rows one page holds; a larger $top is served in pages linked by @odata.nextLink. */
export const MAX_PAGE_SIZE = 1000

/** The query options a "Get items from an entity" call may carry. */
export const QUERY_OPTIONS = ['$filter', '$select', '$orderby', '$top', '$skip', '$count', '$format'] as const

/** A validated "Get items" request, ready to run as parameterised SQL. */
export interface EntityQuery {
  /** A boolean SQL expression over the entity's columns (its literals bound), or undefined for all rows. */
  where: Sql | undefined
  /** Columns to return, in order; all when $select is absent. */
  select: string[]
  /** Columns, or expressions (`Cost ge Revenue`, `year(Born)`) with their SQL. */
  orderBy: { column: string; descending: boolean; expression?: Sql }[]
  /** Rows in this page. */
  pageSize: number
  skip: number
  /** What is left of the caller's $top after this page (undefined: no $top). */
  top: number | undefined
  count: boolean
}

const IDENTIFIER = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Nd}\p{Mn}\p{Mc}\p{Pc}\p{Cf}]*$/u

function nonNegativeInteger(option: string, text: string): number {
  if (!/^\d{1,12}$/.test(text.trim()))
    throw odataSyntaxError(option, 1, `'${text}' is not a whole number ≥ 0`)
  return Number(text.trim())
}

function parseSelect(text: string, columns: ColumnSchema[]): string[] {
  if (text.trim() === '*') return columns.map((c) => c.name)
  const names: string[] = []
  let position = 1
  for (const part of text.split(',')) {
    const name = part.trim()
    const at = position + part.indexOf(name)
    if (!name || !IDENTIFIER.test(name))
      throw odataSyntaxError('$select', at, `expected a property name but found '${part}'`)
    const column = resolveColumn(columns, name, '$select', at)
    if (!names.includes(column.name)) names.push(column.name)
    position += part.length + 1
  }
  return names
}

/** Splits a list at its top-level commas (not those inside parentheses or strings), with each part's position. */
function splitList(text: string): { part: string; position: number }[] {
  const parts: { part: string; position: number }[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let i = 0; i <= text.length; i++) {
    const c = text[i]
    if (c === "'") quoted = !quoted
    else if (!quoted && c === '(') depth++
    else if (!quoted && c === ')') depth--
    else if ((c === ',' && !quoted && depth === 0) || i === text.length) {
      parts.push({ part: text.slice(start, i), position: start + 1 })
      start = i + 1
    }
  }
  return parts
}

function parseOrderBy(text: string, columns: ColumnSchema[]): EntityQuery['orderBy'] {
  const order: EntityQuery['orderBy'] = []
  for (const { part, position } of splitList(text)) {
    const lead = part.length - part.trimStart().length
    const match = /^(.*?)(?:\s+(asc|desc))?\s*$/is.exec(part.trim())
    const body = (match?.[1] ?? '').trim()
    if (!body)
      throw odataSyntaxError(
        '$orderby',
        position + lead,
        `expected 'Property [asc|desc]' but found '${part.trim()}'`,
      )
    const descending = match?.[2]?.toLowerCase() === 'desc'
    if (IDENTIFIER.test(body)) {
      const column = resolveColumn(columns, body, '$orderby', position + lead)
      if (valueTypeOf(column.type) === 'other')
        throw odataSyntaxError(
          '$orderby',
          position,
          `cannot order by '${column.name}' of type ${column.type}`,
        )
      order.push({ column: column.name, descending })
      continue
    }
    // An expression: Cost ge Revenue, year(Born), Price mul Quantity.
    let parsed: FilterExpression
    try {
      parsed = parseFilter(body, '$orderby')
    } catch (error) {
      const at = Number(/at position (\d+)$/.exec((error as Error).message)?.[1] ?? 1)
      throw odataSyntaxError(
        '$orderby',
        position + lead + at - 1,
        (error as Error).message.replace(/^\$orderby: /, '').replace(/ at position \d+$/, ''),
      )
    }
    if (parsed.kind === 'literal')
      throw odataSyntaxError(
        '$orderby',
        position + lead,
        `order by a property or an expression of properties, not '${body}'`,
      )
    const { sql, type } = expressionToSql(parsed, columns, '$orderby')
    if (type === 'other') throw odataSyntaxError('$orderby', position + lead, `cannot order by '${body}'`)
    order.push({ column: body, descending, expression: sql })
  }
  return order
}

/** A plain query parameter (`?City=Aarhus`) as the original accepts: equality on that column. */
function fieldFilter(name: string, raw: string, columns: ColumnSchema[]): FilterExpression {
  const column = resolveColumn(columns, name, name, 1)
  const position = 1
  const property: FilterExpression = { kind: 'property', name: column.name, position }
  const type = valueTypeOf(column.type)
  let literal: FilterExpression
  if (raw === 'null') literal = { kind: 'literal', type: 'null', value: null, position }
  else if (type === 'number') {
    const n = Number(raw)
    if (raw.trim() === '' || !Number.isFinite(n))
      throw odataSyntaxError(name, 1, `'${raw}' is not a number (${column.name} is ${column.type})`)
    literal = { kind: 'literal', type: 'number', value: n, position }
  } else if (type === 'boolean') {
    if (raw !== 'true' && raw !== 'false') throw odataSyntaxError(name, 1, `'${raw}' is not true or false`)
    literal = { kind: 'literal', type: 'boolean', value: raw === 'true', position }
  } else if (type === 'other') {
    throw odataSyntaxError(name, 1, `cannot filter on '${column.name}' of type ${column.type}`)
  } else literal = { kind: 'literal', type: 'string', value: raw, position }
  return { kind: 'compare', operator: 'eq', left: property, right: literal, position }
}

/**
 * Validates the query string of "Get items from an entity" against the entity's columns:
 * $filter/$select/$orderby/$top/$skip/$count, plus field filters. Anything malformed is a 400
 * naming the option and position; nothing of the text reaches SQL except as bound parameters.
 */
export function parseEntityQuery(
  query: Record<string, string | string[] | undefined>,
  columns: ColumnSchema[],
  keyColumn: string | null,
): EntityQuery {
  const fieldValue = (name: string): string => {
    const value = query[name]
    if (Array.isArray(value))
      throw new AppError('InvalidQuery', `${name} is given ${value.length} times; give it once`, {
        target: name,
      })
    return value ?? ''
  }
  const get = (name: string): string | undefined => {
    const value = query[name]
    if (Array.isArray(value))
      throw new AppError('InvalidQuery', `${name} is given ${value.length} times; give it once`, {
        target: name,
      })
    return value
  }
  // OData 4.01: option names in any case ($OrderBy), and without the $ (orderby) where no column
  // has that name.
  const options: Record<string, string | string[] | undefined> = {}
  const fields: string[] = []
  for (const name of Object.keys(query)) {
    const lower = name.toLowerCase()
    const option = lower.startsWith('$') ? lower : `$${lower}`
    const known = (QUERY_OPTIONS as readonly string[]).includes(option)
    const isColumn = columns.some((c) => c.name === name)
    if (name.startsWith('$') || (known && !isColumn)) {
      if (!known)
        throw new AppError('InvalidQuery', `unknown query option ${name}; use ${QUERY_OPTIONS.join(', ')}`, {
          target: name,
        })
      if (option in options)
        throw new AppError('InvalidQuery', `${option} is given more than once; give it once`, {
          target: option,
        })
      options[option] = query[name]
      continue
    }
    fields.push(name)
  }
  const conditions: FilterExpression[] = []
  for (const name of fields) conditions.push(fieldFilter(name, fieldValue(name), columns))
  query = options
  const filterText = get('$filter')
  if (filterText !== undefined) conditions.unshift(parseFilter(filterText))
  const where =
    conditions.length === 0
      ? undefined
      : join(
          conditions.map((c, i) => filterToSql(c, columns, i === 0 && filterText ? '$filter' : 'query')),
          ' and ',
        )

  const selectText = get('$select')
  const orderText = get('$orderby')
  const topText = get('$top')
  const skipText = get('$skip')
  const countText = get('$count')
  const formatText = get('$format')
  if (
    formatText !== undefined &&
    !/^(json|application\/json(;\s*odata\.metadata=(minimal|none))?)$/i.test(formatText.trim())
  )
    throw odataSyntaxError(
      '$format',
      1,
      `this service answers in JSON: use $format=json, not '${formatText}'`,
    )
  if (countText !== undefined && countText !== 'true' && countText !== 'false')
    throw odataSyntaxError('$count', 1, `expected true or false but found '${countText}'`)
  const top = topText === undefined ? undefined : nonNegativeInteger('$top', topText)
  const orderBy = orderText?.trim() ? parseOrderBy(orderText, columns) : []
  // Paging must be stable: ties are broken by the key when ordering by something else.
  if (orderBy.length > 0 && keyColumn && !orderBy.some((o) => o.column === keyColumn))
    orderBy.push({ column: keyColumn, descending: false })
  return {
    where,
    select: selectText?.trim() ? parseSelect(selectText, columns) : columns.map((c) => c.name),
    orderBy,
    pageSize: Math.min(top ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE),
    skip: skipText === undefined ? 0 : nonNegativeInteger('$skip', skipText),
    top,
    count: countText === 'true',
  }
}

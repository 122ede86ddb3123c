/**
 * Every SQL text measures and segments run on DuckDB is built here (the dialect seam, as
 * unify-sql.ts is for unification). Entities are read through temp views named after them;
 * user filters are OData, translated by the connector's translator with values inlined as
 * quoted literals (never raw user text).
 */

import { AppError } from '../../errors.js'
import {
  filterToSql,
  ident,
  join,
  literal,
  literalList,
  parseFilter,
  type Sql,
  sql,
} from '../../query/index.js'
import type { ColumnSchema } from '../../store/tables.js'
import type { MeasureConfig } from '../measures/measure-config.js'
import type { ActivityConfig, SegmentConfig } from '../segments/segment-config.js'

/** An entity as measures read it: its current files and columns. */
export interface EntityRef {
  name: string
  files: string[]
  schema: ColumnSchema[]
  keyColumn: string | null
}

export const NUMERIC_TYPE =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL)/i

/** A temp view per entity, named as the entity, over its current Parquet files. */
export function entityViewSql(entity: EntityRef): Sql {
  return sql`create or replace temp view ${ident(entity.name)} as select * from read_parquet(${literalList(entity.files)})`
}

const UNITS = { h: sql`HOUR`, d: sql`DAY`, w: sql`DAY`, mo: sql`MONTH`, y: sql`YEAR` } as const

/** "30d" → INTERVAL 30 DAY (weeks as days). */
export function intervalSql(duration: string): Sql {
  const match = /^(\d+)(h|d|w|mo|y)$/.exec(duration)
  if (!match) throw new Error(`not a duration: ${duration}`)
  const unit = match[2] as keyof typeof UNITS
  const amount = Number(match[1]) * (unit === 'w' ? 7 : 1)
  return sql`INTERVAL ${amount} ${UNITS[unit]}`
}

/** The refresh instant as a literal of the column's kind (naive timestamps hold UTC). */
function instantSql(asOf: Date, columnType: string): Sql {
  const iso = asOf.toISOString()
  return /TIME ZONE|TIMESTAMPTZ/i.test(columnType)
    ? sql`TIMESTAMPTZ ${literal(iso)}`
    : sql`TIMESTAMP ${literal(iso.replace('Z', ''))}`
}

function column(entity: EntityRef, name: string, path: string): ColumnSchema {
  const found = entity.schema.find((c) => c.name === name)
  if (!found)
    throw new AppError(
      'ColumnNotFound',
      `${path}: entity ${entity.name} has no column '${name}' (it has ${entity.schema.map((c) => c.name).join(', ')})`,
      { target: path },
    )
  return found
}

/**
 * Conditions on an entity's rows: an OData filter and a time window ending at the refresh. The
 * filter's values are written into the text: a measure's SQL is kept whole (and replayed bare by
 * the benchmark).
 */
function rowConditions(
  entity: EntityRef,
  options: { filter?: string | undefined; window?: { column: string; last: string } | undefined },
  asOf: Date,
  path: string,
): Sql[] {
  const conditions: Sql[] = []
  if (options.filter) {
    try {
      conditions.push(
        sql`(${filterToSql(parseFilter(options.filter, 'filter'), entity.schema, 'filter', 'inline')})`,
      )
    } catch (error) {
      throw new AppError('InvalidFilter', `${path}.filter: ${(error as Error).message}`, {
        target: `${path}.filter`,
      })
    }
  }
  if (options.window) {
    const type = column(entity, options.window.column, `${path}.window.column`).type
    if (!/^(DATE|TIMESTAMP)/i.test(type))
      throw new AppError(
        'InvalidWindow',
        `${path}.window.column: '${options.window.column}' is ${type}; a window needs a DATE or TIMESTAMP column`,
        { target: `${path}.window.column` },
      )
    const now = instantSql(asOf, type)
    conditions.push(
      sql`${ident(options.window.column)} > ${now} - ${intervalSql(options.window.last)}`,
      sql`${ident(options.window.column)} <= ${now}`,
    )
  }
  return conditions
}

const AGGREGATIONS = { sum: sql`sum`, avg: sql`avg`, min: sql`min`, max: sql`max` } as const

function aggregateSql(measure: MeasureConfig, entity: EntityRef, path: string): Sql {
  const aggregation = measure.aggregation ?? 'count'
  if (aggregation === 'count') return measure.column ? sql`count(${ident(measure.column)})` : sql`count(*)`
  const name = measure.column as string
  const type = column(entity, name, `${path}.column`).type
  if (aggregation === 'countDistinct') return sql`count(distinct ${ident(name)})`
  if (!NUMERIC_TYPE.test(type))
    throw new AppError(
      'InvalidAggregation',
      `${path}.column: '${name}' is ${type}; ${aggregation} needs a numeric column (or use count/countDistinct)`,
      { target: `${path}.column` },
    )
  return sql`${AGGREGATIONS[aggregation]}(${ident(name)})`
}

/**
 * How rows of an entity reach a CustomerId: through CustomerSourceKeys of the source holding the
 * key, or by a profile attribute's value (an email, a customer number) — then through the
 * attribute and its list of every value (`list`, e.g. Emails) when profiles keep one.
 */
export type CustomerLink =
  | { source: string; column: string }
  | { attribute: string; column: string; list?: string | undefined }

function customerJoin(entity: EntityRef, link: CustomerLink, path: string): Sql {
  column(entity, link.column, `${path}.customer.column`)
  const value = sql`cast(t.${ident(link.column)} as varchar)`
  if ('source' in link)
    return sql`join "CustomerSourceKeys" k on k.SourceName = ${literal(link.source)} and k.SourceKey = ${value}`
  // Emails are compared as profiles keep them: lower case, trimmed.
  const email = link.attribute === 'Email'
  const normal = (x: Sql) => (email ? sql`nullif(lower(trim(${x})), '')` : sql`nullif(trim(${x}), '')`)
  const values = [
    sql`select CustomerId, ${normal(sql`cast(${ident(link.attribute)} as varchar)`)} as v from "UnifiedCustomer"`,
    ...(link.list
      ? [
          sql`select CustomerId, ${normal(sql`cast(unnest(${ident(link.list)}) as varchar)`)} as v from "UnifiedCustomer"`,
        ]
      : []),
  ]
  // A value two profiles share goes to one of them, the same one every time.
  return sql`join (select v, min(CustomerId) as CustomerId from (${join(values, ' union all ')}) where v is not null group by v) k on k.v = ${normal(value)}`
}

const whereOf = (conditions: Sql[]) => (conditions.length ? sql` where ${join(conditions, ' and ')}` : sql``)

/**
 * A declarative measure as one SELECT. Business: (dimension, value), dimension NULL without a
 * groupBy. Customer: (CustomerId, value).
 */
export function measureSql(
  name: string,
  measure: MeasureConfig,
  entity: EntityRef,
  asOf: Date,
  link: CustomerLink | undefined,
): Sql {
  const path = `measures.${name}`
  const whereSql = whereOf(rowConditions(entity, measure, asOf, path))
  const value = sql`cast(${aggregateSql(measure, entity, path)} as double) as value`
  if (measure.kind === 'customer') {
    if (!link)
      throw new AppError(
        'NoCustomerLink',
        `${path}: ${entity.name} is not a unified source; add customer: { source: <a unified source>, column: <its key in ${entity.name}> }`,
        { target: `${path}.customer` },
      )
    return sql`select k.CustomerId, ${value} from (select * from ${ident(entity.name)}${whereSql}) t ${customerJoin(entity, link, path)} group by k.CustomerId`
  }
  if (measure.groupBy) {
    column(entity, measure.groupBy, `${path}.groupBy`)
    return sql`select cast(${ident(measure.groupBy)} as varchar) as dimension, ${value} from ${ident(entity.name)}${whereSql} group by 1`
  }
  return sql`select null::varchar as dimension, ${value} from ${ident(entity.name)}${whereSql}`
}

/** Per customer, how many rows of an activity entity fall in its window. */
export function activitySql(
  path: string,
  activity: ActivityConfig,
  entity: EntityRef,
  asOf: Date,
  link: CustomerLink | undefined,
): Sql {
  if (!link)
    throw new AppError(
      'NoCustomerLink',
      `${path}: ${entity.name} is not a unified source; add customer: { source: <a unified source>, column: <its key in ${entity.name}> }`,
      { target: `${path}.customer` },
    )
  const where = rowConditions(
    entity,
    { filter: activity.filter, window: { column: activity.dateColumn, last: activity.within } },
    asOf,
    path,
  )
  return sql`select k.CustomerId, count(*) as n from (select * from ${ident(entity.name)}${whereOf(where)}) t ${customerJoin(entity, link, path)} group by k.CustomerId`
}

/**
 * The table segments filter: every unified profile with its attributes, one column per customer
 * measure (NULL when the customer has no rows) — built once per refresh.
 */
export function customerViewSql(customerMeasures: readonly string[]): Sql {
  const alias = (i: number) => ident(`m${i}`)
  const joins = customerMeasures.map(
    (m, i) => sql`left join ${ident(`measure_${m}`)} ${alias(i)} on ${alias(i)}.CustomerId = u.CustomerId`,
  )
  const columns = customerMeasures.map((m, i) => sql`, ${alias(i)}.value as ${ident(m)}`)
  return sql`select u.*${join(columns, ' ')} from "UnifiedCustomer" u ${join(joins, ' ')}`
}

/**
 * A segment's members as CustomerIds: profiles of the customer view (with the segment's
 * activity counts, 0 when none) matching its filter, plus the included, minus the excluded.
 */
export function segmentMembersSql(
  name: string,
  segment: SegmentConfig,
  viewColumns: ColumnSchema[],
  activityTables: Record<string, Sql>,
): Sql {
  const path = `segments.${name}`
  const activities = Object.keys(segment.activities)
  const columns: ColumnSchema[] = [...viewColumns, ...activities.map((a) => ({ name: a, type: 'BIGINT' }))]
  let condition = sql`true`
  if (segment.filter) {
    try {
      condition = filterToSql(parseFilter(segment.filter, 'filter'), columns, 'filter', 'inline')
    } catch (error) {
      throw new AppError('InvalidFilter', `${path}.filter: ${(error as Error).message}`, {
        target: `${path}.filter`,
      })
    }
  }
  const alias = (i: number) => ident(`a${i}`)
  const joins = activities.map(
    (a, i) => sql`left join ${activityTables[a] as Sql} ${alias(i)} on ${alias(i)}.CustomerId = c.CustomerId`,
  )
  const activityColumns = activities.map((a, i) => sql`, coalesce(${alias(i)}.n, 0) as ${ident(a)}`)
  const source = activities.length
    ? sql`(select c.*${join(activityColumns, ' ')} from customer_view c ${join(joins, ' ')})`
    : sql`customer_view`
  const included = segment.include.length
    ? sql` union select CustomerId from customer_view where CustomerId in (${join(segment.include.map(literal))})`
    : sql``
  const excluded = segment.exclude.length
    ? sql` except select unnest([${join(segment.exclude.map(literal))}])`
    : sql``
  return sql`(select CustomerId from ${source} where ${condition}${included})${excluded}`
}

import { AppError } from '../../errors.js'
import type { Watch } from '../../jobs/index.js'
import {
  type DuckDb,
  ident,
  join,
  literal,
  type Sql,
  SqlSession,
  sql,
  userWrittenSql,
} from '../../query/index.js'
import type { ColumnSchema } from '../../store/tables.js'
import { superviseSession } from '../duckdb-engine.js'
import type { MeasureConfig } from '../measures/measure-config.js'
import { validateMeasureSql } from '../measures/validate-measure-sql.js'
import type { SegmentConfig } from '../segments/segment-config.js'
import {
  activitySql,
  type CustomerLink,
  customerViewSql,
  type EntityRef,
  entityViewSql,
  measureSql,
  NUMERIC_TYPE,
  segmentMembersSql,
} from '../sql/insights-sql.js'
import { openSqlSandbox, type SqlSandbox } from '../sql/sql-sandbox.js'
import { type EntityOutput, writeEntityOutput } from '../write-entity-output.js'

export interface InsightsInput {
  measures: Record<string, MeasureConfig>
  segments: Record<string, SegmentConfig>
  /** The instance's current entities by name. */
  entities: ReadonlyMap<string, EntityRef>
  /** Sources unify maps: rows of these entities reach customers through their own key. */
  unifiedSources: ReadonlySet<string>
  /** Activities (unify.activities): how each one's rows reach customers. */
  activityLinks?: ReadonlyMap<string, CustomerLink>
  /** The refresh instant time windows end at. */
  asOf: Date
  outDir: (entity: string) => string
  /** Count segment members without writing anything (the estimate route). */
  dryRun?: boolean
  /** The job's watchdog: its abort interrupts the running statement. */
  watch?: Watch
  /** Where SQL measures' sandbox keeps its results while they are read (default: the OS's temp dir). */
  scratchDir?: string
}

export interface MeasureValue {
  measure: string
  /** The dimension value of a measure with groupBy; null otherwise. */
  dimension: string | null
  value: number | null
}

export interface InsightsResult {
  measureValues: MeasureValue[]
  segmentCounts: { segment: string; members: number }[]
  outputs: (EntityOutput & { entity: string })[]
  /** Every statement run, in order: the benchmark replays them bare. */
  statements: Sql[]
  durationMs: number
}

export const segmentEntityName = (segment: string) => `Segment${segment}`

/**
 * Computes every measure and segment of an instance over its current entities in one DuckDB
 * session: business measures (one value, or one per dimension value), customer measures (one
 * value per CustomerId, published together as CustomerMeasures), then segments over the profiles
 * with those measures and their activity counts (each published as Segment<Name>).
 */
export async function computeInsights(duck: DuckDb, input: InsightsInput): Promise<InsightsResult> {
  const started = performance.now()
  const session = await SqlSession.open(duck)
  const unsupervise = [await superviseSession(session, input.watch)]
  const statements: Sql[] = []
  const record = (statement: Sql) => statements.push(statement)
  const run = async (statement: Sql) => {
    statements.push(statement)
    await session.run(statement)
  }
  const rows = async (statement: Sql) => {
    statements.push(statement)
    return session.rows(statement)
  }
  // Measures written in SQL run in a DuckDB of their own that can read the entities and nothing else.
  let sandbox: SqlSandbox | undefined
  const sandboxed = async () => {
    if (!sandbox) {
      sandbox = await openSqlSandbox([...input.entities.values()], {
        ...(input.scratchDir ? { scratchParent: input.scratchDir } : {}),
      })
      unsupervise.push(await superviseSession(sandbox.session, input.watch))
    }
    return sandbox
  }
  try {
    for (const entity of input.entities.values()) await run(entityViewSql(entity))
    const entityOf = (path: string, name: string | undefined): EntityRef => {
      const found = name ? input.entities.get(name) : undefined
      if (!found)
        throw new AppError(
          'EntityNotFound',
          `${path}: there is no entity '${name}'; entities are ${[...input.entities.keys()].sort().join(', ')}`,
          { target: path },
        )
      return found
    }
    // A measure's own link, else the activity's (unify.activities), else the unified source's own key.
    const profileColumns = new Set(input.entities.get('UnifiedCustomer')?.schema.map((c) => c.name) ?? [])
    const linkOf = (entity: EntityRef, explicit: CustomerLink | undefined): CustomerLink | undefined => {
      const activity = input.activityLinks?.get(entity.name)
      const link =
        explicit ??
        activity ??
        (input.unifiedSources.has(entity.name) && entity.keyColumn
          ? { source: entity.name, column: entity.keyColumn }
          : undefined)
      return link && 'attribute' in link && profileColumns.has(`${link.attribute}s`)
        ? { ...link, list: `${link.attribute}s` }
        : link
    }
    const needsProfiles =
      Object.keys(input.segments).length > 0 ||
      Object.values(input.measures).some((m) => m.kind === 'customer')
    if (needsProfiles)
      for (const name of ['UnifiedCustomer', 'CustomerSourceKeys'])
        if (!input.entities.has(name))
          throw new AppError(
            'NoProfiles',
            `customer measures and segments need unified profiles, and ${name} is not published yet; run 'openinsights unify run' (or a full refresh) first`,
            { target: name },
          )

    const measureValues: MeasureValue[] = []
    const customerMeasures: string[] = []
    for (const [name, measure] of Object.entries(input.measures)) {
      const path = `measures.${name}`
      let query: Sql
      if (measure.sql !== undefined) {
        const box = await sandboxed()
        await validateMeasureSql(box.session, path, measure.sql, new Set(input.entities.keys()))
        const checked = await checkedSqlMeasure(box.session, path, measure)
        const file = await box.copyToFile(checked, name).catch((error: unknown) => {
          throw new AppError('InvalidMeasureSql', `${path}.sql: ${(error as Error).message.split('\n')[0]}`, {
            target: `${path}.sql`,
          })
        })
        // Read back below, into a temp table or values, before the sandbox and its file go.
        query = sql`select * from read_parquet(${literal(file)})`
      } else {
        const entity = entityOf(`${path}.entity`, measure.entity)
        query = measureSql(name, measure, entity, input.asOf, linkOf(entity, measure.customer))
      }
      if (measure.kind === 'customer') {
        await run(sql`create or replace temp table ${ident(`measure_${name}`)} as ${query}`)
        customerMeasures.push(name)
      } else {
        for (const row of await rows(query)) measureValues.push(measureValue(name, row))
      }
    }

    const outputs: (EntityOutput & { entity: string })[] = []
    const segmentCounts: { segment: string; members: number }[] = []
    if (needsProfiles) {
      await run(sql`create or replace temp table customer_view as ${customerViewSql(customerMeasures)}`)
      const viewColumns: ColumnSchema[] = (await session.rows(sql`describe customer_view`)).map((d) => ({
        name: String(d.column_name),
        type: String(d.column_type),
      }))
      if (customerMeasures.length > 0 && !input.dryRun)
        outputs.push({
          entity: 'CustomerMeasures',
          ...(await writeEntityOutput(
            session,
            sql`select CustomerId, ${join(customerMeasures.map(ident))} from customer_view where ${join(
              customerMeasures.map((m) => sql`${ident(m)} is not null`),
              ' or ',
            )}`,
            input.outDir('CustomerMeasures'),
            'CustomerId',
            record,
          )),
        })
      for (const [name, segment] of Object.entries(input.segments)) {
        const activityTables: Record<string, Sql> = {}
        for (const [activityName, activity] of Object.entries(segment.activities)) {
          const path = `segments.${name}.activities.${activityName}`
          const entity = entityOf(`${path}.entity`, activity.entity)
          const table = ident(`activity_${name}_${activityName}`)
          await run(
            sql`create or replace temp table ${table} as ${activitySql(path, activity, entity, input.asOf, linkOf(entity, activity.customer))}`,
          )
          activityTables[activityName] = table
        }
        const members = ident(`segment_${name}`)
        await run(
          sql`create or replace temp table ${members} as ${segmentMembersSql(name, segment, viewColumns, activityTables)}`,
        )
        if (input.dryRun) {
          const counted = await rows(sql`select count(*)::integer as n from ${members}`)
          segmentCounts.push({ segment: name, members: Number(counted[0]?.n ?? 0) })
          continue
        }
        const output = await writeEntityOutput(
          session,
          sql`select c.* from customer_view c semi join ${members} m using (CustomerId)`,
          input.outDir(segmentEntityName(name)),
          'CustomerId',
          record,
        )
        outputs.push({ entity: segmentEntityName(name), ...output })
        segmentCounts.push({ segment: name, members: output.rowCount })
      }
    }
    if (!input.dryRun && Object.keys(input.measures).length > 0) {
      const computedAt = input.asOf.toISOString()
      const values = measureValues.map(
        (v) =>
          sql`(${literal(v.measure)}, ${v.dimension === null ? null : literal(v.dimension)}, ${v.value === null ? null : sql`${v.value}::double`})`,
      )
      outputs.push({
        entity: 'BusinessMeasures',
        ...(await writeEntityOutput(
          session,
          values.length
            ? sql`select Name, Dimension, Value, TIMESTAMPTZ ${literal(computedAt)} as ComputedAt from (values ${join(values)}) t(Name, Dimension, Value)`
            : sql`select null::varchar as Name, null::varchar as Dimension, null::double as Value, null::timestamptz as ComputedAt where false`,
          input.outDir('BusinessMeasures'),
          null,
          record,
        )),
      })
    }
    return {
      measureValues,
      segmentCounts,
      outputs,
      statements,
      durationMs: Math.round(performance.now() - started),
    }
  } finally {
    for (const undo of unsupervise) undo()
    session.close()
    await sandbox?.close()
  }
}

function measureValue(measure: string, row: Record<string, unknown>): MeasureValue {
  return {
    measure,
    dimension: row.dimension === null || row.dimension === undefined ? null : String(row.dimension),
    value: row.value === null || row.value === undefined ? null : Number(row.value),
  }
}

/** A SQL measure's SELECT, checked to return the columns its kind needs. */
async function checkedSqlMeasure(session: SqlSession, path: string, measure: MeasureConfig): Promise<Sql> {
  const text = userWrittenSql(measure.sql as string)
  let described: { name: string; type: string }[]
  try {
    described = (await session.rows(sql`describe (${text})`)).map((d) => ({
      name: String(d.column_name),
      type: String(d.column_type),
    }))
  } catch (error) {
    throw new AppError('InvalidMeasureSql', `${path}.sql: ${(error as Error).message.split('\n')[0]}`, {
      target: `${path}.sql`,
    })
  }
  const has = (name: string) => described.find((c) => c.name.toLowerCase() === name.toLowerCase())
  const value = has('value')
  if (!value || !NUMERIC_TYPE.test(value.type))
    throw new AppError(
      'InvalidMeasureSql',
      `${path}.sql: return a numeric column named value (it returns ${described.map((c) => `${c.name} ${c.type}`).join(', ')})`,
      { target: `${path}.sql` },
    )
  const inner = sql`(${text}) q`
  if (measure.kind === 'customer') {
    if (!has('CustomerId'))
      throw new AppError(
        'InvalidMeasureSql',
        `${path}.sql: a customer measure returns CustomerId and value`,
        {
          target: `${path}.sql`,
        },
      )
    return sql`select cast(q.CustomerId as varchar) as CustomerId, cast(q.value as double) as value from ${inner}`
  }
  return sql`select ${has('dimension') ? sql`cast(q.dimension as varchar)` : sql`null::varchar`} as dimension, cast(q.value as double) as value from ${inner}`
}

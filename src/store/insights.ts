import { sql } from 'kysely'
import type { DbOrTx } from './database.js'
import type { TriggerUse } from './flows.js'
import { storableJson } from './safe-values.js'
import { sameJson } from './stable-json.js'

export interface InsightConfig {
  measures: Record<string, unknown>
  segments: Record<string, unknown>
}

export async function getInsightConfig(db: DbOrTx, instanceId: string): Promise<InsightConfig | undefined> {
  const row = await db
    .selectFrom('insight_configs')
    .select(['measures', 'segments'])
    .where('instance_id', '=', instanceId)
    .executeTakeFirst()
  return row ? { measures: row.measures, segments: row.segments } : undefined
}

/** Stores the measures and segments sections; returns whether they changed. */
export async function putInsightConfig(
  db: DbOrTx,
  instanceId: string,
  config: InsightConfig,
): Promise<'created' | 'updated' | 'unchanged'> {
  const existing = await getInsightConfig(db, instanceId)
  if (existing && sameJson(existing, config)) return 'unchanged'
  const values = { measures: storableJson(config.measures), segments: storableJson(config.segments) }
  await db
    .insertInto('insight_configs')
    .values({ instance_id: instanceId, ...values })
    .onConflict((oc) => oc.column('instance_id').doUpdateSet({ ...values, updated_at: sql`now()` }))
    .execute()
  return existing ? 'updated' : 'created'
}

export interface RecordedValue {
  name: string
  /** '' when the measure has no dimension. */
  dimension: string
  value: number | null
}

/** The latest recorded value of every business measure (and dimension value) of an instance. */
export async function latestMeasureValues(db: DbOrTx, instanceId: string): Promise<RecordedValue[]> {
  const rows = await sql<{ measure: string; dimension: string; value: number | null }>`
    select distinct on (measure, dimension) measure, dimension, value
    from measure_values where instance_id = ${instanceId}
    order by measure, dimension, run_id desc`.execute(db)
  return rows.rows.map((r) => ({ name: r.measure, dimension: r.dimension, value: r.value }))
}

/** The latest recorded member count of every segment of an instance. */
export async function latestSegmentCounts(db: DbOrTx, instanceId: string): Promise<RecordedValue[]> {
  const rows = await sql<{ segment: string; member_count: string }>`
    select distinct on (segment) segment, member_count
    from segment_counts where instance_id = ${instanceId}
    order by segment, run_id desc`.execute(db)
  return rows.rows.map((r) => ({ name: r.segment, dimension: '', value: Number(r.member_count) }))
}

export async function insertMeasureValues(
  db: DbOrTx,
  instanceId: string,
  runId: string,
  computedAt: Date,
  values: RecordedValue[],
): Promise<void> {
  if (values.length === 0) return
  await db
    .insertInto('measure_values')
    .values(
      values.map((v) => ({
        instance_id: instanceId,
        measure: v.name,
        dimension: v.dimension,
        run_id: runId,
        value: v.value,
        computed_at: computedAt,
      })),
    )
    .execute()
}

export async function insertSegmentCounts(
  db: DbOrTx,
  instanceId: string,
  runId: string,
  computedAt: Date,
  counts: { segment: string; members: number }[],
): Promise<void> {
  if (counts.length === 0) return
  await db
    .insertInto('segment_counts')
    .values(
      counts.map((c) => ({
        instance_id: instanceId,
        segment: c.segment,
        run_id: runId,
        member_count: c.members,
        computed_at: computedAt,
      })),
    )
    .execute()
}

/** A measure's or a segment's recorded values, newest first. */
export async function valueHistory(
  db: DbOrTx,
  instanceId: string,
  kind: 'measure' | 'segment',
  name: string,
  limit: number,
): Promise<{ runId: string; dimension: string | null; value: number | null; computedAt: string }[]> {
  if (kind === 'segment') {
    const rows = await db
      .selectFrom('segment_counts')
      .selectAll()
      .where('instance_id', '=', instanceId)
      .where('segment', '=', name)
      .orderBy('run_id', 'desc')
      .limit(limit)
      .execute()
    return rows.map((r) => ({
      runId: r.run_id,
      dimension: null,
      value: Number(r.member_count),
      computedAt: r.computed_at.toISOString(),
    }))
  }
  const rows = await db
    .selectFrom('measure_values')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where('measure', '=', name)
    .orderBy('run_id', 'desc')
    .orderBy('dimension')
    .limit(limit)
    .execute()
  return rows.map((r) => ({
    runId: r.run_id,
    dimension: r.dimension === '' ? null : r.dimension,
    value: r.value,
    computedAt: r.computed_at.toISOString(),
  }))
}

/** The triggers active webhook subscriptions use, of the given event types. */
export async function subscribedTriggers(
  db: DbOrTx,
  instanceId: string,
  eventTypes: readonly string[],
): Promise<TriggerUse[]> {
  const rows = await db
    .selectFrom('subscriptions')
    .select(['event_type', 'parameters'])
    .where('instance_id', '=', instanceId)
    .where('removed_at', 'is', null)
    .where('event_type', 'in', eventTypes)
    .execute()
  return rows.map((r) => ({ eventType: r.event_type, parameters: r.parameters as Record<string, unknown> }))
}

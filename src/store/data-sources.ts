import type { DbOrTx } from './database.js'
import { storableJson } from './safe-values.js'
import { stableJson } from './stable-json.js'
import type { DataSourceRow, DataSourcesTable } from './tables.js'

export type DataSourceKind = DataSourcesTable['kind']

/** A data source as stored: what to read and how, and the key that identifies a row. */
export interface DataSourceDefinition {
  name: string
  kind: DataSourceKind
  options: Record<string, unknown>
  primaryKey: string
  columnTypes: Record<string, string>
  rejectRatio: number
  /** The share of the current rows a refresh may remove before it is held as failed (0..1). */
  maxShrink: number
  /** Refreshes of its own, on a cron in a time zone (apart from the instance's full refresh). */
  schedule?: { cron: string; timezone: string } | null | undefined
}

export interface DataSource extends DataSourceDefinition {
  instanceId: string
  createdAt: string
  updatedAt: string
}

function toDataSource(row: DataSourceRow): DataSource {
  return {
    instanceId: row.instance_id,
    name: row.name,
    kind: row.kind,
    options: row.options,
    primaryKey: row.primary_key,
    columnTypes: row.column_types,
    rejectRatio: row.reject_ratio,
    maxShrink: row.max_shrink,
    schedule: row.schedule,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

/** Inserts or replaces a data source's definition; returns whether it was new. */
export async function upsertDataSource(
  db: DbOrTx,
  instanceId: string,
  source: DataSourceDefinition,
): Promise<'created' | 'updated' | 'unchanged'> {
  const existing = await getDataSource(db, instanceId, source.name)
  if (existing && sameDefinition(existing, source)) return 'unchanged'
  const values = {
    kind: source.kind,
    options: storableJson(source.options),
    primary_key: source.primaryKey,
    column_types: storableJson(source.columnTypes),
    reject_ratio: source.rejectRatio,
    max_shrink: source.maxShrink,
    schedule: source.schedule ? storableJson(source.schedule) : null,
    // Counted from this change: a new schedule does not fire for slots before it.
    schedule_fired_at: null,
  }
  await db
    .insertInto('data_sources')
    .values({ instance_id: instanceId, name: source.name, ...values })
    .onConflict((oc) =>
      oc.columns(['instance_id', 'name']).doUpdateSet({ ...values, updated_at: new Date() }),
    )
    .execute()
  return existing ? 'updated' : 'created'
}

function sameDefinition(a: DataSourceDefinition, b: DataSourceDefinition): boolean {
  return (
    a.kind === b.kind &&
    a.primaryKey === b.primaryKey &&
    a.rejectRatio === b.rejectRatio &&
    a.maxShrink === b.maxShrink &&
    stableJson(a.schedule ?? null) === stableJson(b.schedule ?? null) &&
    stableJson(a.options) === stableJson(b.options) &&
    stableJson(a.columnTypes) === stableJson(b.columnTypes)
  )
}

export async function getDataSource(
  db: DbOrTx,
  instanceId: string,
  name: string,
): Promise<DataSource | undefined> {
  const row = await db
    .selectFrom('data_sources')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where('name', '=', name)
    .executeTakeFirst()
  return row && toDataSource(row)
}

export async function listDataSources(db: DbOrTx, instanceId: string): Promise<DataSource[]> {
  const rows = await db
    .selectFrom('data_sources')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .orderBy('name')
    .execute()
  return rows.map(toDataSource)
}

/** Every instance's data sources (for maintenance that spans instances). */
export async function listAllDataSources(db: DbOrTx): Promise<DataSource[]> {
  const rows = await db
    .selectFrom('data_sources')
    .selectAll()
    .orderBy('instance_id')
    .orderBy('name')
    .execute()
  return rows.map(toDataSource)
}

export async function deleteDataSource(db: DbOrTx, instanceId: string, name: string): Promise<boolean> {
  const result = await db
    .deleteFrom('data_sources')
    .where('instance_id', '=', instanceId)
    .where('name', '=', name)
    .executeTakeFirst()
  return result.numDeletedRows > 0n
}

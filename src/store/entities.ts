import type { DbOrTx } from './database.js'
import { storableJson } from './safe-values.js'
import type { ColumnSchema, EntityVersionRow, PartitionInfo } from './tables.js'

/** One immutable, fully written set of Parquet partitions of an entity. */
export interface EntityVersion {
  id: string
  instanceId: string
  entityName: string
  refreshId: string
  directory: string
  rowCount: number
  schema: ColumnSchema[]
  partitions: PartitionInfo[]
  /** The column that identifies an item, when the entity has one. */
  keyColumn: string | null
  createdAt: string
}

/** An entity and the version readers currently see. */
export interface Entity {
  name: string
  origin: string
  /** Items can be created and updated through the API (Create item / Update item). */
  writable: boolean
  updatedAt: string
  current: EntityVersion
}

function toVersion(row: EntityVersionRow): EntityVersion {
  return {
    id: row.id,
    instanceId: row.instance_id,
    entityName: row.entity_name,
    refreshId: row.refresh_id,
    directory: row.directory,
    rowCount: Number(row.row_count),
    schema: row.schema,
    partitions: row.partitions,
    keyColumn: row.key_column,
    createdAt: row.created_at.toISOString(),
  }
}

/**
 * Records a written version and makes it current, in the caller's transaction: this is the
 * pointer flip that publishes a refresh.
 */
export async function publishEntityVersion(
  db: DbOrTx,
  version: Omit<EntityVersion, 'createdAt'>,
  origin: string,
  options: { writable?: boolean } = {},
): Promise<void> {
  await db
    .insertInto('entity_versions')
    .values({
      id: version.id,
      instance_id: version.instanceId,
      entity_name: version.entityName,
      refresh_id: version.refreshId,
      directory: version.directory,
      row_count: version.rowCount,
      schema: storableJson(version.schema),
      partitions: storableJson(version.partitions),
      key_column: version.keyColumn,
    })
    .execute()
  await db
    .insertInto('entities')
    .values({
      instance_id: version.instanceId,
      name: version.entityName,
      origin,
      current_version_id: version.id,
      writable: options.writable ?? false,
    })
    .onConflict((oc) =>
      oc
        .columns(['instance_id', 'name'])
        .doUpdateSet({ current_version_id: version.id, origin, updated_at: new Date() }),
    )
    .execute()
}

export async function getEntity(db: DbOrTx, instanceId: string, name: string): Promise<Entity | undefined> {
  const entities = await listEntities(db, instanceId, name)
  return entities[0]
}

export async function listEntities(db: DbOrTx, instanceId: string, name?: string): Promise<Entity[]> {
  let query = db
    .selectFrom('entities')
    .innerJoin('entity_versions', 'entity_versions.id', 'entities.current_version_id')
    .selectAll('entity_versions')
    .select(['entities.origin', 'entities.writable', 'entities.updated_at as entity_updated_at'])
    .where('entities.instance_id', '=', instanceId)
  if (name !== undefined) query = query.where('entities.name', '=', name)
  const rows = await query.orderBy('entities.name').execute()
  return rows.map((row) => ({
    name: row.entity_name,
    origin: row.origin,
    writable: row.writable,
    updatedAt: row.entity_updated_at.toISOString(),
    current: toVersion(row),
  }))
}

/** Every version of an entity, newest first. */
export async function listEntityVersions(
  db: DbOrTx,
  instanceId: string,
  name: string,
): Promise<EntityVersion[]> {
  const rows = await db
    .selectFrom('entity_versions')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where('entity_name', '=', name)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute()
  return rows.map(toVersion)
}

/** Forgets old versions (never the current one); returns them so their files can be removed. */
export async function deleteEntityVersions(db: DbOrTx, ids: string[]): Promise<EntityVersion[]> {
  if (ids.length === 0) return []
  const rows = await db
    .deleteFrom('entity_versions')
    .where('id', 'in', ids)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('entities')
            .select('name')
            .whereRef('entities.current_version_id', '=', 'entity_versions.id'),
        ),
      ),
    )
    .returningAll()
    .execute()
  return rows.map(toVersion)
}

import { mkdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { sql } from 'kysely'
import { AppError, notFound } from '../../errors.js'
import { newId } from '../../ids.js'
import type { DuckDb } from '../../query/index.js'
import { type JsonValue, param, SqlSession, type SqlValue } from '../../query/index.js'
import type { Db, DbOrTx } from '../../store/database.js'
import { type Entity, getEntity, publishEntityVersion } from '../../store/entities.js'
import type { ColumnSchema } from '../../store/tables.js'
import { dataLayout, queryEntityRows, versionFiles } from '../index.js'
import { pruneEntityVersions } from '../prune-versions.js'
import { copyWithReplacedRow, countParquet } from '../sql/duckdb-sql.js'
import { keyCondition } from './item-key.js'
import { isWritableColumnType, itemSchema } from './item-schema.js'

export interface ItemStore {
  db: Db
  duck: DuckDb
  dataDir: string
}

const KEEP_VERSIONS = 3

/** Hash of the entity for pg_advisory_xact_lock: writes to one entity take turns. */
const lockKey = (instanceId: string, entity: string) => sql`hashtext(${`items:${instanceId}:${entity}`})`

/**
 * Defines an entity whose items are created and updated through the API. Its data lives in
 * versioned Parquet like every entity; each write publishes a new version (copy on write), which
 * suits the small entities flows write (notes, consents, statuses).
 */
export async function defineWritableEntity(
  store: ItemStore,
  instanceId: string,
  name: string,
  definition: { keyColumn: string; columns: ColumnSchema[] },
): Promise<{ entity: Entity; created: boolean }> {
  const { columns, keyColumn } = definition
  if (!columns.some((c) => c.name === keyColumn))
    throw new AppError('InvalidEntity', `the key column '${keyColumn}' is not among the columns`, {
      target: 'keyColumn',
    })
  const bad = columns.find((c) => !isWritableColumnType(c.type))
  if (bad)
    throw new AppError(
      'InvalidEntity',
      `column '${bad.name}' has type ${bad.type}, which items cannot hold`,
      { target: bad.name },
    )
  const existing = await getEntity(store.db, instanceId, name)
  if (existing) {
    const same =
      existing.writable &&
      existing.current.keyColumn === keyColumn &&
      JSON.stringify(existing.current.schema) === JSON.stringify(columns)
    if (same) return { entity: existing, created: false }
    throw new AppError(
      'EntityExists',
      existing.writable
        ? `entity ${name} exists with another schema; changing a writable entity's columns is not supported yet`
        : `entity ${name} exists and is published by ${existing.origin}; choose another name`,
      { target: name },
    )
  }
  await writeVersion(store, instanceId, name, {
    columns,
    keyColumn,
    previous: undefined,
    row: undefined,
    keyValue: null,
  })
  const entity = (await getEntity(store.db, instanceId, name)) as Entity
  return { entity, created: true }
}

async function writeVersion(
  store: ItemStore,
  instanceId: string,
  name: string,
  change: {
    columns: ColumnSchema[]
    keyColumn: string
    previous: Entity | undefined
    row: Record<string, JsonValue> | undefined
    keyValue: JsonValue
  },
  tx: DbOrTx = store.db,
): Promise<void> {
  const versionId = newId()
  const directory = dataLayout.versionDir(store.dataDir, instanceId, name, versionId)
  await mkdir(directory, { recursive: true })
  const file = join(directory, 'part-00000.parquet')
  const previousFiles = change.previous ? versionFiles(change.previous.current) : []
  const row = change.row
    ? change.columns.map((c) => param(bindable(change.row?.[c.name] ?? null)))
    : undefined
  const session = await SqlSession.open(store.duck)
  try {
    await session.run(
      copyWithReplacedRow({
        previousFiles,
        columns: change.columns,
        keyColumn: change.keyColumn,
        key: param(bindable(change.keyValue)),
        row,
        outFile: file,
      }),
    )
    const rowCount = Number((await session.value(countParquet([file]))) ?? 0)
    const { size } = await stat(file)
    await publishEntityVersion(
      tx,
      {
        id: versionId,
        instanceId,
        entityName: name,
        refreshId: versionId,
        directory,
        rowCount,
        schema: change.columns,
        partitions: [{ name: 'part-00000', file: 'part-00000.parquet', rowCount, sizeBytes: size }],
        keyColumn: change.keyColumn,
      },
      'api',
      { writable: true },
    )
  } catch (error) {
    await rm(directory, { recursive: true, force: true })
    throw error
  } finally {
    session.close()
  }
}

/**
 * Creates (`create`: the key must be new; a VARCHAR key is generated when missing) or updates
 * (`update`: the item must exist; given fields replace its values) one item, as a new version.
 */
export async function writeItem(
  store: ItemStore,
  instanceId: string,
  name: string,
  mode: 'create' | 'update',
  body: unknown,
  keyText?: string,
): Promise<Record<string, JsonValue>> {
  const entity = await getEntity(store.db, instanceId, name)
  if (!entity) throw notFound('Entity', name)
  if (!entity.writable || !entity.current.keyColumn) {
    throw new AppError(
      'EntityReadOnly',
      `entity ${name} is published by ${entity.origin} and cannot be written; items can be written to entities defined as writable`,
      {
        target: name,
      },
    )
  }
  const keyColumn = entity.current.keyColumn
  const columns = entity.current.schema
  const parsed = itemSchema(columns, keyColumn, mode).safeParse(body)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const path =
      issue?.path.join('.') || (issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : 'body')
    throw new AppError(
      'ValidationFailed',
      `${path}: ${issue?.code === 'unrecognized_keys' ? `not a column of ${name}` : issue?.message}`,
      {
        target: path,
      },
    )
  }
  const fields = parsed.data as Record<string, JsonValue>
  let keyValue: JsonValue
  if (mode === 'update') {
    keyValue = keyText as string
    if (fields[keyColumn] !== undefined && String(fields[keyColumn]) !== keyText)
      throw new AppError(
        'KeyMismatch',
        `the body's ${keyColumn} differs from the key in the path; keys cannot change`,
        { target: keyColumn },
      )
  } else {
    keyValue = fields[keyColumn] ?? null
    if (keyValue === null) {
      const keyType = columns.find((c) => c.name === keyColumn)?.type ?? ''
      if (!/VARCHAR/i.test(keyType))
        throw new AppError('ValidationFailed', `${keyColumn}: required (the key)`, { target: keyColumn })
      keyValue = newId()
    }
  }

  return store.db
    .transaction()
    .execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(${lockKey(instanceId, name)})`.execute(tx)
      const current = (await getEntity(tx, instanceId, name)) as Entity
      const where = keyCondition(current, String(keyValue), 'plain')
      const { rows } = await queryEntityRows(store.duck, current.current, {
        select: columns.map((c) => c.name),
        where,
        orderBy: [],
        limit: 1,
        offset: 0,
        count: false,
      })
      const existing = rows[0]
      if (mode === 'create' && existing)
        throw new AppError(
          'ItemExists',
          `an item of ${name} with ${keyColumn} ${String(keyValue)} exists; update it instead`,
          {
            target: keyColumn,
          },
        )
      if (mode === 'update' && !existing) throw notFound(`Item of ${name}`, String(keyValue))
      const typedKey = where.params[0] as JsonValue
      const row: Record<string, JsonValue> = { ...(existing ?? {}), ...fields, [keyColumn]: typedKey }
      for (const c of columns) if (!(c.name in row)) row[c.name] = null
      await writeVersion(
        store,
        instanceId,
        name,
        { columns, keyColumn, previous: current, row, keyValue: typedKey },
        tx,
      )
      return row
    })
    .then(async (row) => {
      await pruneEntityVersions(store.db, instanceId, name, KEEP_VERSIONS)
      return row
    })
}

/** An item's value as DuckDB binds it: a JSON object or list as its text. */
function bindable(value: JsonValue): SqlValue {
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : value
}

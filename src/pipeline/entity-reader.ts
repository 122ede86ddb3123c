import { join } from 'node:path'
import { type DuckDb, ident, type JsonValue, literalList, type Sql, SqlSession, sql } from '../query/index.js'
import type { EntityVersion } from '../store/entities.js'
import { countParquet, readParquet, selectFromParquet } from './sql/duckdb-sql.js'

/** The files of a published version, for reading. */
export function versionFiles(version: EntityVersion): string[] {
  return version.partitions.map((p) => join(version.directory, p.file))
}

/** A page of rows of a published entity version, in stored order. */
export async function readEntityPage(
  duck: DuckDb,
  version: EntityVersion,
  page: { top: number; skip: number },
): Promise<Record<string, JsonValue>[]> {
  const session = await SqlSession.open(duck)
  try {
    return await session.jsonRows(
      sql`${readParquet(versionFiles(version))} limit ${Math.trunc(page.top)} offset ${Math.trunc(page.skip)}`,
    )
  } finally {
    session.close()
  }
}

/** A query over an entity version: columns, a condition (its values bound), order and page. */
export interface EntityRowsQuery {
  select: readonly string[]
  where: Sql | undefined
  orderBy: readonly { column: string; descending: boolean; expression?: Sql | undefined }[]
  limit: number
  offset: number
  /** Also count every row that meets the condition. */
  count: boolean
}

/** Rows of a published version that meet a query, and their total count when asked. */
export async function queryEntityRows(
  duck: DuckDb,
  version: EntityVersion,
  query: EntityRowsQuery,
  files: string[] = versionFiles(version),
): Promise<{ rows: Record<string, JsonValue>[]; count: number | undefined }> {
  const session = await SqlSession.open(duck)
  try {
    const rows = await session.jsonRows(
      selectFromParquet(files, {
        columns: query.select,
        where: query.where,
        orderBy: query.orderBy,
        limit: query.limit,
        offset: query.offset,
      }),
    )
    let count: number | undefined
    if (query.count) {
      if (!query.where && files.length === version.partitions.length) count = version.rowCount
      else count = Number((await session.value(countParquet(files, query.where))) ?? 0)
    }
    return { rows, count }
  } finally {
    session.close()
  }
}

/**
 * Rows of `version` whose key is not in `other`: with the previous version as `other`, the items
 * a refresh added (the members who joined a segment); the other way round, those it removed.
 */
export function keysNotIn(version: EntityVersion, other: EntityVersion | undefined): Sql | undefined {
  if (!other) return undefined
  if (!version.keyColumn || version.keyColumn !== other.keyColumn)
    throw new Error(`${version.entityName} has no key column to compare its versions by`)
  const key = ident(version.keyColumn)
  return sql`${key} not in (select ${key} from read_parquet(${literalList(versionFiles(other))}) where ${key} is not null)`
}

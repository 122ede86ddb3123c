import { join } from 'node:path'
import {
  type DuckDBDecimalValue,
  type DuckDBInstance,
  type DuckDBTimestampTZValue,
  type DuckDBTimestampValue,
  DuckDBTypeId,
  type DuckDBValueConverter,
  JsonDuckDBValueConverter,
} from '@duckdb/node-api'
import type { EntityVersion } from '../store/entities.js'
import { countParquet, readParquet, selectFromParquet } from './sql/duckdb-sql.js'

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/**
 * DuckDB values as JSON a connector client expects: integers that fit as numbers (others as
 * strings), decimals as numbers, timestamps in ISO 8601, dates as YYYY-MM-DD.
 */
export const toJsonValue: DuckDBValueConverter<JsonValue> = (value, type, converter) => {
  if (value === null) return null
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.UHUGEINT: {
      const n = value as bigint
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(n)
        : n.toString()
    }
    case DuckDBTypeId.DECIMAL:
      return (value as DuckDBDecimalValue).toDouble()
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ: {
      const micros = (value as DuckDBTimestampValue | DuckDBTimestampTZValue).micros
      const date = new Date(Number(micros / 1000n))
      return Number.isNaN(date.getTime()) ? String(value) : date.toISOString()
    }
    default:
      return JsonDuckDBValueConverter(value, type, converter as never) as JsonValue
  }
}

/** The files of a published version, for reading. */
export function versionFiles(version: EntityVersion): string[] {
  return version.partitions.map((p) => join(version.directory, p.file))
}

/** A page of rows of a published entity version, in stored order. */
export async function readEntityPage(
  duck: DuckDBInstance,
  version: EntityVersion,
  page: { top: number; skip: number },
): Promise<Record<string, JsonValue>[]> {
  const connection = await duck.connect()
  try {
    const result = await connection.runAndReadAll(
      `${readParquet(versionFiles(version))} limit $top offset $skip`,
      {
        top: page.top,
        skip: page.skip,
      },
    )
    return result.convertRowObjects(toJsonValue) as Record<string, JsonValue>[]
  } finally {
    connection.closeSync()
  }
}

/** A query over an entity version: columns, a parameterised condition, order and page. */
export interface EntityRowsQuery {
  select: readonly string[]
  where: string | undefined
  params: readonly unknown[]
  orderBy: readonly { column: string; descending: boolean }[]
  limit: number
  offset: number
  /** Also count every row that meets the condition. */
  count: boolean
}

/** Rows of a published version that meet a query, and their total count when asked. */
export async function queryEntityRows(
  duck: DuckDBInstance,
  version: EntityVersion,
  query: EntityRowsQuery,
  files: string[] = versionFiles(version),
): Promise<{ rows: Record<string, JsonValue>[]; count: number | undefined }> {
  const connection = await duck.connect()
  try {
    const params = [...query.params] as never[]
    const n = params.length
    const sql = selectFromParquet(files, {
      columns: query.select,
      where: query.where,
      orderBy: query.orderBy,
      limit: `$${n + 1}`,
      offset: `$${n + 2}`,
    })
    const result = await connection.runAndReadAll(sql, [...params, query.limit, query.offset] as never[])
    const rows = result.convertRowObjects(toJsonValue) as Record<string, JsonValue>[]
    let count: number | undefined
    if (query.count) {
      if (!query.where && files.length === version.partitions.length) count = version.rowCount
      else {
        const counted = await connection.runAndReadAll(countParquet(files, query.where), params)
        count = Number(counted.getRowsJS()[0]?.[0] ?? 0)
      }
    }
    return { rows, count }
  } finally {
    connection.closeSync()
  }
}

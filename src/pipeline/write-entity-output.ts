import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { literal } from '../query/index.js'
import type { ColumnSchema, PartitionInfo } from '../store/tables.js'

/** A computed entity version written to disk, ready to publish. */
export interface EntityOutput {
  directory: string
  rowCount: number
  schema: ColumnSchema[]
  partitions: PartitionInfo[]
  keyColumn: string | null
}

/** Writes a query's rows as the single Parquet partition of a new entity version in `directory`. */
export async function writeEntityOutput(
  connection: DuckDBConnection,
  query: string,
  directory: string,
  keyColumn: string | null,
  /** Told the COPY statement before it runs (the benchmark replays them bare). */
  onStatement?: (sql: string) => void,
): Promise<EntityOutput> {
  await mkdir(directory, { recursive: true })
  const file = join(directory, 'part-00000.parquet')
  const copy = `copy (${query}) to ${literal(file)} (format parquet)`
  onStatement?.(copy)
  await connection.run(copy)
  const described = (
    await connection.runAndReadAll(`describe select * from read_parquet(${literal(file)})`)
  ).getRowObjectsJS()
  const rowCount = Number(
    (
      await connection.runAndReadAll(`select count(*) from read_parquet(${literal(file)})`)
    ).getRowsJS()[0]?.[0] ?? 0,
  )
  return {
    directory,
    rowCount,
    schema: described.map((d) => ({ name: String(d.column_name), type: String(d.column_type) })),
    partitions: [
      { name: 'part-00000', file: 'part-00000.parquet', rowCount, sizeBytes: (await stat(file)).size },
    ],
    keyColumn,
  }
}

import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { literal, type Sql, type SqlSession, sql } from '../query/index.js'
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
  session: SqlSession,
  query: Sql,
  directory: string,
  keyColumn: string | null,
  /** Told the COPY statement before it runs (the benchmark replays them bare). */
  onStatement?: (statement: Sql) => void,
): Promise<EntityOutput> {
  await mkdir(directory, { recursive: true })
  const file = join(directory, 'part-00000.parquet')
  const copy = sql`copy (${query}) to ${literal(file)} (format parquet)`
  onStatement?.(copy)
  await session.run(copy)
  const described = await session.rows(sql`describe select * from read_parquet(${literal(file)})`)
  const rowCount = Number(
    (await session.value(sql`select count(*) from read_parquet(${literal(file)})`)) ?? 0,
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

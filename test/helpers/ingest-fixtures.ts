import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type IngestProgress, type IngestResult, ingestSource } from '../../src/pipeline/sources/ingest.js'
import { readParquet } from '../../src/pipeline/sql/duckdb-sql.js'
import { type DuckDb, literal, sql } from '../../src/query/index.js'
import type { DataSource, DataSourceKind } from '../../src/store/data-sources.js'
import { duckRows } from './duck.js'

/** A scratch directory and helpers for ingestion tests (imported by *.test.ts only). */
export function scratch(): { dir: string; path: (name: string) => string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'oi-ingest-'))
  return {
    dir,
    path: (name) => join(dir, name),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  }
}

export function dataSource(
  kind: DataSourceKind,
  options: Record<string, unknown>,
  extra: Partial<Pick<DataSource, 'primaryKey' | 'columnTypes' | 'rejectRatio' | 'name'>> = {},
): DataSource {
  return {
    instanceId: 'test',
    name: extra.name ?? 'people',
    kind,
    options,
    maxShrink: 0.5,
    primaryKey: extra.primaryKey ?? 'id',
    columnTypes: extra.columnTypes ?? {},
    rejectRatio: extra.rejectRatio ?? 0.05,
    createdAt: '',
    updatedAt: '',
  }
}

export async function ingestInto(
  duck: DuckDb,
  source: DataSource,
  dir: string,
  options: { partitionBytes?: number; signal?: AbortSignal; onProgress?: (p: IngestProgress) => void } = {},
): Promise<IngestResult & { versionDir: string; rows: Record<string, unknown>[] }> {
  const versionDir = join(dir, 'version')
  const result = await ingestSource(
    duck,
    source,
    { versionDir, rejectsFile: join(dir, 'rejects.csv'), workDir: join(dir, 'work') },
    {
      signal: options.signal ?? new AbortController().signal,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.partitionBytes ? { partitionBytes: options.partitionBytes } : {}),
    },
  )
  const files = result.partitions.map((p) => join(versionDir, p.file))
  const rows = await duckRows(duck, readParquet(files))
  return { ...result, versionDir, rows }
}

export interface RejectRow {
  line: number | null
  column: string | null
  reason: string
  record: string | null
}

/** A rejects file parsed as the CSV it is. */
export async function readRejects(duck: DuckDb, file: string): Promise<RejectRow[]> {
  const rows = await duckRows(
    duck,
    sql`select line, "column", reason, record from read_csv(${literal(file)}, header = true, auto_detect = false,
        columns = {'line': 'BIGINT', 'column': 'VARCHAR', 'reason': 'VARCHAR', 'record': 'VARCHAR'})`,
  )
  return rows.map((r) => ({
    line: r.line === null ? null : Number(r.line),
    column: r.column as string | null,
    reason: String(r.reason),
    record: r.record as string | null,
  }))
}

import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { AppError } from '../../errors.js'
import { nearestName } from '../../names.js'
import type { DuckDb } from '../../query/index.js'
import { join as joinSql, type Sql, SqlSession, sql } from '../../query/index.js'
import type { DataSource } from '../../store/data-sources.js'
import type { ColumnSchema, PartitionInfo } from '../../store/tables.js'
import * as q from '../sql/duckdb-sql.js'
import { sourceReader } from './index.js'
import type { DetectedDialect } from './source-reader.js'

export interface IngestPaths {
  /** The new version's directory; nothing else writes there and nobody reads it until published. */
  versionDir: string
  /** Where the rejects of this refresh go (CSV), written only when there are any. */
  rejectsFile: string
  /** Scratch space, removed afterwards. */
  workDir: string
}

export interface IngestProgress {
  phase: 'reading' | 'validating' | 'writing'
  /** 0..1 within ingestion. */
  fraction: number
}

export interface IngestResult {
  rowCount: number
  rejectedRowCount: number
  rejectsFile: string | null
  schema: ColumnSchema[]
  partitions: PartitionInfo[]
  /** How a text file was read (CSV): delimiter, quote, encoding, …, and which were detected. */
  dialect?: DetectedDialect | undefined
}

/** Target size of one Parquet partition file. */
const PARTITION_BYTES = 128 * 1024 * 1024

/**
 * Reads a data source into Parquet partitions under `paths.versionDir`. Malformed records,
 * records without a primary key and repeats of a key are rejected, with line numbers where the
 * reader knows them; too many rejects fail the ingestion. The output is not published here.
 */
export async function ingestSource(
  duck: DuckDb,
  source: DataSource,
  paths: IngestPaths,
  options: { signal: AbortSignal; onProgress?: (progress: IngestProgress) => void; partitionBytes?: number },
): Promise<IngestResult> {
  const partitionBytes = options.partitionBytes ?? PARTITION_BYTES
  const reader = sourceReader(source.kind)
  const readerOptions = reader.options.parse(source.options)
  // A retried attempt reuses its refresh's directories: start from empty ones.
  for (const dir of [paths.versionDir, paths.workDir]) {
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
  }
  const session = await SqlSession.open(duck)
  // DuckDB tracks a statement's progress only with its progress bar on (printing stays off).
  await session.run(sql`set enable_progress_bar = true`)
  await session.run(sql`set enable_progress_bar_print = false`)
  const onAbort = () => session.interrupt()
  options.signal.addEventListener('abort', onAbort, { once: true })
  // interrupt() stops the statement running; a cancel between statements stops at the next step.
  const checkpoint = () => {
    if (options.signal.aborted)
      throw new AppError('RefreshCancelled', `refresh of '${source.name}' was cancelled`, {
        target: `dataSources.${source.name}`,
      })
  }
  try {
    checkpoint()
    options.onProgress?.({ phase: 'reading', fraction: 0 })
    let opened = await reader
      .open(
        {
          session,
          columnTypes: source.columnTypes,
          workDir: paths.workDir,
          signal: options.signal,
          dataSourceName: source.name,
        },
        readerOptions,
      )
      .catch((error: unknown) => {
        checkpoint() // a cancel that stopped the reader's own statements ends here as RefreshCancelled
        throw error
      })
    checkpoint()
    const extraRejects: Sql[] = []
    let relation = opened.relation

    const overrides = source.columnTypes
    if (!reader.appliesColumnTypes && Object.keys(overrides).length > 0) {
      assertColumnsExist(source, await describe(session, relation, source))
      await run(session, sql`create temp table typed as ${q.withRecordNumber(relation)}`, source)
      extraRejects.push(q.castRejects('typed', overrides))
      relation = sql`select * exclude (__record) from (${q.castAccepted('typed', overrides)})`
    }

    // The common case in one pipelined pass: read, convert and write. Nothing is described first:
    // a source that cannot be bound fails here before writing, and its reader may recover.
    const copy = (from: Sql) => {
      checkpoint()
      return withQueryProgress(session, options.onProgress, () =>
        run(session, q.copyToParquet(from, paths.versionDir, partitionBytes), source, { raw: true }),
      )
    }
    try {
      await copy(relation)
    } catch (error) {
      checkpoint()
      const recovered = relation === opened.relation ? await opened.recover?.(error) : undefined
      if (!recovered) throw duckDbError(error, source)
      opened = recovered
      relation = recovered.relation
      await copy(relation).catch((e: unknown) => {
        throw duckDbError(e, source)
      })
    }
    if (relation === opened.relation) {
      const repaired = await opened.repair?.()
      if (repaired) {
        for (const file of await partitionFiles(paths.versionDir)) await rm(file)
        opened = repaired
        relation = repaired.relation
        await copy(relation).catch((e: unknown) => {
          throw duckDbError(e, source)
        })
      }
    }
    const rejectRelations = [opened.rejects, ...extraRejects]

    checkpoint()
    options.onProgress?.({ phase: 'validating', fraction: 0.85 })
    let files = await partitionFiles(paths.versionDir)
    // The written files' schema says what the source holds, without reading it again.
    const schema = (await rows(session, q.describe(q.readParquet(files)), source)).map((r) => ({
      name: String(r.column_name),
      type: String(r.column_type),
    }))
    assertColumnsExist(
      source,
      schema.map((c) => c.name),
    )
    const health = await firstRow(session, q.keyHealth(q.readParquet(files), source.primaryKey), source)
    if (Number(health.null_keys) > 0 || Number(health.duplicate_keys) > 0) {
      // Rare: rewrite without the keyless rows and the repeats, keeping the first occurrence.
      options.onProgress?.({ phase: 'writing', fraction: 0.9 })
      await run(session, sql`create temp table keyed as ${q.withRecordNumber(q.readParquet(files))}`, source)
      rejectRelations.push(q.keyRejects('keyed', source.primaryKey))
      await Promise.all(files.map((file) => rm(file)))
      await run(
        session,
        q.copyToParquet(q.keyAccepted('keyed', source.primaryKey), paths.versionDir, partitionBytes),
        source,
      )
      files = await partitionFiles(paths.versionDir)
    }

    checkpoint()
    const rejects = joinSql(rejectRelations, ' union all ')
    const rejectedRowCount = Number(
      (await firstRow(session, sql`select count(*) as n from (${rejects})`, source)).n,
    )
    let rejectsFile: string | null = null
    if (rejectedRowCount > 0) {
      await mkdir(dirname(paths.rejectsFile), { recursive: true })
      await run(
        session,
        q.copyToCsv(sql`select * from (${rejects}) order by line nulls last`, paths.rejectsFile),
        source,
      )
      rejectsFile = paths.rejectsFile
    }

    const partitions = await finishPartitions(session, paths.versionDir, files, source)
    const rowCount = partitions.reduce((sum, p) => sum + p.rowCount, 0)
    const total = rowCount + rejectedRowCount
    if (total > 0 && rejectedRowCount / total > source.rejectRatio) {
      throw await rejectRatioError(session, source, rejects, { rowCount, rejectedRowCount, rejectsFile })
    }
    return { rowCount, rejectedRowCount, rejectsFile, schema, partitions, dialect: opened.dialect }
  } finally {
    options.signal.removeEventListener('abort', onAbort)
    session.close()
    await rm(paths.workDir, { recursive: true, force: true })
  }
}

async function describe(session: SqlSession, relation: Sql, source: DataSource): Promise<string[]> {
  return (await rows(session, q.describe(relation), source)).map((r) => String(r.column_name))
}

function assertColumnsExist(source: DataSource, columns: string[]): void {
  const missing = [source.primaryKey, ...Object.keys(source.columnTypes)].filter((c) => !columns.includes(c))
  if (missing.length === 0) return
  const first = missing[0] as string
  const isKey = first === source.primaryKey
  const near = nearestName(first, columns)
  // One column whose name is a sentence: the data is not split into columns at all.
  const found =
    columns.length === 1 && source.kind === 'csv'
      ? `it has one column, '${columns[0]}': it may not be CSV, or its delimiter is not the one read with (set options.delimiter)`
      : `its columns are ${columns.map((c) => `'${c}'`).join(', ')}${near ? `; did you mean '${near}'?` : ''}`
  throw new AppError(
    'ColumnNotFound',
    `data source '${source.name}': column '${first}' named as ${isKey ? 'its primary key' : 'a column type override'} is not in the data; ${found}`,
    { target: `dataSources.${source.name}.${isKey ? 'primaryKey' : `columnTypes.${first}`}` },
  )
}

/** Reports DuckDB's own progress of the running statement while `work` runs. */
async function withQueryProgress<T>(
  session: SqlSession,
  onProgress: ((progress: IngestProgress) => void) | undefined,
  work: () => Promise<T>,
): Promise<T> {
  if (!onProgress) return work()
  const timer = setInterval(() => {
    const percentage = session.progress.percentage
    if (percentage >= 0) onProgress({ phase: 'reading', fraction: Math.min(0.8, (percentage / 100) * 0.8) })
  }, 200)
  try {
    return await work()
  } finally {
    clearInterval(timer)
  }
}

async function partitionFiles(directory: string): Promise<string[]> {
  const names = (await readdir(directory)).filter((name) => name.endsWith('.parquet')).sort(byPartNumber)
  return names.map((name) => join(directory, name))
}

function byPartNumber(a: string, b: string): number {
  return partNumber(a) - partNumber(b)
}

function partNumber(name: string): number {
  return Number(/(\d+)\.parquet$/.exec(name)?.[1] ?? 0)
}

/** Renames DuckDB's part-N files to part-NNNNN and records each one's rows and size. */
async function finishPartitions(
  session: SqlSession,
  directory: string,
  files: string[],
  source: DataSource,
): Promise<PartitionInfo[]> {
  const counts = new Map<string, number>()
  for (const row of await rows(session, q.parquetRowCounts(files), source)) {
    counts.set(String(row.file_name), Number(row.row_count))
  }
  const partitions: PartitionInfo[] = []
  for (const [index, file] of files.entries()) {
    const name = `part-${String(index).padStart(5, '0')}`
    const target = join(directory, `${name}.parquet`)
    if (file !== target) await rename(file, target)
    partitions.push({
      name,
      file: `${name}.parquet`,
      rowCount: counts.get(file) ?? 0,
      sizeBytes: (await stat(target)).size,
    })
  }
  return partitions
}

async function rejectRatioError(
  session: SqlSession,
  source: DataSource,
  rejects: Sql,
  counts: { rowCount: number; rejectedRowCount: number; rejectsFile: string | null },
): Promise<AppError> {
  const top = await firstRow(
    session,
    sql`select split_part(reason, ':', 1) as kind, count(*) as n, min(line) as first_line, arg_min(reason, coalesce(line, 0)) as example
     from (${rejects}) group by 1 order by n desc limit 1`,
    source,
  )
  const total = counts.rowCount + counts.rejectedRowCount
  const percent = ((counts.rejectedRowCount / total) * 100).toFixed(1)
  const hint =
    top.kind === 'INVALID ENCODING'
      ? "; the file is not UTF-8: if it is Latin-1, set the source's encoding to latin-1"
      : ''
  const line = top.first_line === null ? '' : ` (first at line ${top.first_line})`
  return new AppError(
    'RejectRatioExceeded',
    `data source '${source.name}': ${counts.rejectedRowCount} of ${total} records (${percent}%) were rejected, over the ${(source.rejectRatio * 100).toFixed(1)}% limit; most are ${top.kind}${line}: ${top.example}${hint}${counts.rejectsFile ? `; all rejects are in ${counts.rejectsFile}` : ''}`,
    {
      target: `dataSources.${source.name}`,
      details: {
        rowCount: counts.rowCount,
        rejectedRowCount: counts.rejectedRowCount,
        rejectsFile: counts.rejectsFile,
      },
    },
  )
}

async function run(
  session: SqlSession,
  statement: Sql,
  source: DataSource,
  options: { raw?: boolean } = {},
): Promise<void> {
  try {
    await session.run(statement)
  } catch (error) {
    throw options.raw ? error : duckDbError(error, source)
  }
}

async function rows(
  session: SqlSession,
  statement: Sql,
  source: DataSource,
): Promise<Record<string, unknown>[]> {
  try {
    return await session.rows(statement)
  } catch (error) {
    throw duckDbError(error, source)
  }
}

async function firstRow(
  session: SqlSession,
  statement: Sql,
  source: DataSource,
): Promise<Record<string, unknown>> {
  return (await rows(session, statement, source))[0] ?? {}
}

/** DuckDB's errors about the input, as AppErrors naming the data source. */
export function duckDbError(error: unknown, source: DataSource): AppError {
  if (error instanceof AppError) return error
  const message = (error as Error).message ?? String(error)
  const first = message.split('\n')[0] ?? message
  const target = `dataSources.${source.name}`
  const missingColumns = /COLUMN_TYPES error: Columns with names: (.*) do not exist/.exec(first)
  if (missingColumns) {
    const column = (missingColumns[1] ?? '').split(',')[0]?.trim().replaceAll('"', '') ?? ''
    return new AppError(
      'ColumnNotFound',
      `data source '${source.name}': column '${column}' named as a column type override is not in the data`,
      { target: `${target}.columnTypes.${column}` },
    )
  }
  if (/interrupt/i.test(first)) {
    return new AppError('RefreshCancelled', `refresh of '${source.name}' was cancelled`, {
      target,
    })
  }
  if (/No files found|does not exist|Cannot open file/i.test(first)) {
    return new AppError('SourceNotFound', `data source '${source.name}': ${first}`, { target })
  }
  if (/out of memory|No space left/i.test(first)) {
    return new AppError('ResourceExhausted', `data source '${source.name}': ${first}`, {
      target,
      retryable: true,
    })
  }
  return new AppError('SourceUnreadable', `data source '${source.name}': ${first}`, {
    target,
    cause: error,
  })
}

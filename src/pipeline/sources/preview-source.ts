import { mkdir, rm } from 'node:fs/promises'
import { AppError } from '../../errors.js'
import { type DuckDb, ident, join, type Sql, SqlSession, sql } from '../../query/index.js'
import type { DataSource } from '../../store/data-sources.js'
import * as q from '../sql/duckdb-sql.js'
import { sourceReader } from './index.js'
import { duckDbError } from './ingest.js'
import type { DetectedDialect, OpenedSource } from './source-reader.js'

/** What a data source would give, read before it is saved: for the UI's "add a data source". */
export interface SourcePreview {
  columns: { name: string; type: string }[]
  /** The first rows (at most 20). */
  rows: Record<string, unknown>[]
  /** Columns whose values are present and distinct in the first 10,000 rows, id-like names first. */
  keyCandidates: string[]
  /** For CSV: what it was read with, and what of that was detected. */
  dialect: DetectedDialect | null
}

const SAMPLE = 10_000
const ID_LIKE = /(^|_|\b)(id|key|nr|no|num|number|code)$|Id$|ID$/

/**
 * Reads the start of a data source that is not saved yet: columns with their types, the first
 * rows, the columns that could be its key, and (CSV) the dialect detected. Nothing is written
 * but scratch files in `workDir`, removed after.
 */
export async function previewSource(
  duck: DuckDb,
  source: Pick<DataSource, 'name' | 'kind' | 'options' | 'columnTypes'>,
  workDir: string,
  signal: AbortSignal = new AbortController().signal,
): Promise<SourcePreview> {
  const reader = sourceReader(source.kind)
  const parsed = reader.options.safeParse(source.options)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const path = ['options', ...(issue?.path ?? []).map(String)].join('.')
    throw new AppError('InvalidDefinition', `${path}: ${issue?.message}`, { target: path })
  }
  const full = {
    ...source,
    primaryKey: '',
    rejectRatio: 1,
    maxShrink: 1,
    instanceId: '',
    createdAt: '',
    updatedAt: '',
  }
  await mkdir(workDir, { recursive: true })
  const session = await SqlSession.open(duck)
  // A preview is a request someone waits for: however the file behaves, it ends when the signal says.
  const onAbort = () => session.interrupt()
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    if (signal.aborted) throw timedOut()
    let opened: OpenedSource = await reader.open(
      { session, columnTypes: source.columnTypes, workDir, signal, dataSourceName: source.name },
      parsed.data,
    )
    const sample = (relation: Sql) => sql`select * from (${relation}) limit ${SAMPLE}`
    let described: Record<string, unknown>[]
    try {
      described = await session.rows(q.describe(sample(opened.relation)))
    } catch (error) {
      const recovered = await opened.recover?.(error)
      if (!recovered) throw duckDbError(error, full)
      opened = recovered
      described = await session.rows(q.describe(sample(opened.relation))).catch((e: unknown) => {
        throw duckDbError(e, full)
      })
    }
    const columns = described.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }))
    await session
      .run(sql`create temp table preview_sample as ${sample(opened.relation)}`)
      .catch((e: unknown) => {
        throw duckDbError(e, full)
      })
    const rows = await session.jsonRows(sql`select * from preview_sample limit 20`)
    const counts =
      columns.length === 0
        ? {}
        : ((
            await session.rows(
              sql`select count(*) as n, ${join(
                columns.map(
                  (c, i) =>
                    sql`count(${ident(c.name)}) as ${ident(`c${i}`)}, count(distinct ${ident(c.name)}) as ${ident(`d${i}`)}`,
                ),
              )} from preview_sample`,
            )
          )[0] ?? {})
    const total = Number(counts.n ?? 0)
    // Amounts and moments may happen to be distinct in a sample; they are not identifiers.
    const keyCandidates = columns
      .filter((c) => !/^(DOUBLE|FLOAT|REAL|DECIMAL|DATE|TIME|TIMESTAMP|BOOLEAN)/i.test(c.type))
      .filter((c) => {
        const i = columns.indexOf(c)
        return total > 0 && Number(counts[`c${i}`]) === total && Number(counts[`d${i}`]) === total
      })
      .map((c) => c.name)
      .sort((a, b) => Number(ID_LIKE.test(b)) - Number(ID_LIKE.test(a)))
    return { columns, rows, keyCandidates, dialect: opened.dialect ?? null }
  } catch (error) {
    if (signal.aborted) throw timedOut()
    throw error
  } finally {
    signal.removeEventListener('abort', onAbort)
    session.close()
    await rm(workDir, { recursive: true, force: true })
  }
}

const timedOut = () =>
  new AppError(
    'TimedOut',
    'reading the start of the data took longer than a preview may (30 s); check the path (a very large glob?) or add the source and refresh it, which has no such limit',
    { target: 'options.path' },
  )

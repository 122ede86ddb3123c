import type { z } from 'zod'
import type { Sql, SqlSession } from '../../query/index.js'
import type { DataSourceKind } from '../../store/data-sources.js'

/** What a reader gets to open one data source for one refresh. */
export interface ReadContext {
  /** A DuckDB session owned by this refresh. */
  session: SqlSession
  /** Type overrides `{ column: DuckDB type }` from the data source definition. */
  columnTypes: Record<string, string>
  /** A private scratch directory of this refresh, removed when it ends. */
  workDir: string
  /** Aborted when the refresh is cancelled. */
  signal: AbortSignal
  /** Name of the data source, for messages. */
  dataSourceName: string
}

/** How a text source was read: what was set and what was detected (`detected` names the latter). */
export interface DetectedDialect {
  delimiter: string
  quote: string
  encoding: string
  decimalSeparator: string
  dateFormat?: string
  detected: string[]
}

/** A source opened for reading: SQL relations over its rows and over the records it rejected. */
export interface OpenedSource {
  /** For text files: the dialect read with, to show what was detected. */
  dialect?: DetectedDialect
  /** A SELECT over the source's rows. Scanning it may add rows to `rejects`. */
  relation: Sql
  /** A SELECT of `(line, column, reason, record)`, complete once `relation` has been scanned. */
  rejects: Sql
  /**
   * Called when scanning `relation` failed before writing anything (at bind time); may return a
   * source opened another way that avoids the failure (CSV: a layout sniffed from the file's start).
   */
  recover?(error: unknown): Promise<OpenedSource | undefined>
  /**
   * Called after `relation` was scanned: may return a source opened another way when the rejects
   * show the reading went wrong in a way the reader can mend (CSV: a quote that never closes
   * swallowed the lines after it); the scan is then done again from it.
   */
  repair?(): Promise<OpenedSource | undefined>
}

/**
 * The seam between the pipeline and a kind of data source. One implementation per kind, each in
 * its own file with the same shape (csv-source.ts, json-source.ts, ...).
 */
export interface SourceReader<Options> {
  /** The `kind` a data source names to use this reader. */
  readonly kind: DataSourceKind
  /** Validates and defaults the kind's options (path, delimiter, connection string, ...). */
  readonly options: z.ZodType<Options>
  /** True when the reader applies column type overrides itself while reading (CSV does). */
  readonly appliesColumnTypes: boolean
  /** Options that hold credentials: sealed at rest, shown with their secrets masked. */
  readonly secretOptions?: readonly string[]
  /** One line saying where the data comes from, for messages and listings. */
  describe(options: Options): string
  /**
   * Checks the source is there and readable, then returns relations over it. Throws an AppError
   * with a clear code when it is not (missing file, unreachable database, ...).
   */
  open(context: ReadContext, options: Options): Promise<OpenedSource>
}

/** 'delimiter ";" (detected), encoding "latin-1" (detected), …': how a file was read, in one line. */
export function dialectText(dialect: Record<string, unknown>): string {
  const detected = new Set(Array.isArray(dialect.detected) ? dialect.detected.map(String) : [])
  const labels: [string, string][] = [
    ['delimiter', 'delimiter'],
    ['quote', 'quote'],
    ['encoding', 'encoding'],
    ['decimalSeparator', 'decimal mark'],
    ['dateFormat', 'dates'],
  ]
  return labels
    .filter(([key]) => dialect[key] !== undefined)
    .map(([key, label]) => {
      const value = dialect[key] === '\t' ? 'tab' : JSON.stringify(dialect[key])
      return `${label} ${value}${detected.has(key) ? ' (detected)' : ''}`
    })
    .join(', ')
}

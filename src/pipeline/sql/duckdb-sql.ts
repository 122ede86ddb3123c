/**
 * Every SQL text the pipeline runs on DuckDB is built here. This module is the dialect seam:
 * a distributed engine (Trino, Spark SQL) would get its own implementation of these builders.
 * User-supplied values only ever enter SQL through `literal`/`ident`, or as bound parameters.
 */
import { ident, literal, literalList } from '../../query/index.js'

/** `{'col': 'TYPE', ...}` as DuckDB's reader functions take it. */
function structLiteral(entries: Record<string, string>): string {
  return `{${Object.entries(entries)
    .map(([key, value]) => `${literal(key)}: ${literal(value)}`)
    .join(', ')}}`
}

export interface CsvReadOptions {
  header: boolean
  delimiter: string
  quote: string
  escape?: string | undefined
  encoding: 'utf-8' | 'latin-1' | 'utf-16'
  columnTypes: Record<string, string>
  /** Table that collects malformed lines (line number, column, reason, raw line). */
  rejectsTable: string
  rejectsScanTable: string
  /**
   * Columns and formats decided beforehand (by sniffing a prefix of the file): the reader then
   * detects nothing itself. Overrides in `columnTypes` still apply on top.
   */
  layout?: CsvLayout
}

/** What sniffing a CSV decided: its columns with types, and how dates are written. */
export interface CsvLayout {
  columns: { name: string; type: string }[]
  dateFormat: string | null
  timestampFormat: string | null
}

export function readCsv(paths: readonly string[], options: CsvReadOptions): string {
  const args = [
    literalList(paths),
    ...dialectArgs(options),
    'store_rejects = true',
    `rejects_table = ${literal(options.rejectsTable)}`,
    `rejects_scan = ${literal(options.rejectsScanTable)}`,
    // Every file is read with one schema; a file that does not fit is an error, not a new union.
    'union_by_name = false',
    ...(options.layout ? layoutArgs(options.layout, options.columnTypes) : typesArg(options.columnTypes)),
  ]
  return `select * from read_csv(${args.join(', ')})`
}

/** How the text is laid out: the arguments reading and sniffing share. */
function dialectArgs(
  options: Pick<CsvReadOptions, 'header' | 'delimiter' | 'quote' | 'escape' | 'encoding'>,
): string[] {
  return [
    `header = ${options.header}`,
    `delim = ${literal(options.delimiter)}`,
    `quote = ${literal(options.quote)}`,
    ...(options.escape === undefined ? [] : [`escape = ${literal(options.escape)}`]),
    `encoding = ${literal(options.encoding)}`,
  ]
}

function typesArg(columnTypes: Record<string, string>): string[] {
  return Object.keys(columnTypes).length > 0 ? [`types = ${structLiteral(columnTypes)}`] : []
}

function layoutArgs(layout: CsvLayout, columnTypes: Record<string, string>): string[] {
  const columns = Object.fromEntries(layout.columns.map((c) => [c.name, columnTypes[c.name] ?? c.type]))
  return [
    'auto_detect = false',
    `columns = ${structLiteral(columns)}`,
    ...(layout.dateFormat ? [`dateformat = ${literal(layout.dateFormat)}`] : []),
    ...(layout.timestampFormat ? [`timestampformat = ${literal(layout.timestampFormat)}`] : []),
  ]
}

/** Asks DuckDB's sniffer for the layout of one (small) CSV file. */
export function sniffCsv(
  path: string,
  options: Pick<CsvReadOptions, 'header' | 'delimiter' | 'quote' | 'escape' | 'encoding'>,
): string {
  return `select "Columns" as columns, "DateFormat" as date_format, "TimestampFormat" as timestamp_format
    from sniff_csv(${[literal(path), ...dialectArgs(options)].join(', ')})`
}

/** The first file a path or glob names. */
export function firstFile(paths: readonly string[]): string {
  return `select file from glob(${literalList(paths)}) order by file limit 1`
}

/**
 * The CSV reader's rejects in the pipeline's reject shape: one row per rejected line, giving a
 * structural error (wrong column count, bad quote, bad encoding) precedence over the cast errors
 * that follow from it.
 */
export function csvRejects(rejectsTable: string): string {
  const rank = `(error_type = 'CAST')::int * 100000 + column_idx`
  return `select line::bigint as line,
      arg_min(column_name, ${rank})::varchar as "column",
      arg_min(error_type || ': ' || error_message, ${rank}) as reason,
      left(any_value(csv_line), 1000)::varchar as record
    from ${ident(rejectsTable)} group by line`
}

/** JSON documents; the whole input is sampled for types so a late odd value cannot fail the read. */
export function readJson(paths: readonly string[], format: 'auto' | 'newline_delimited'): string {
  return `select * from read_json(${literalList(paths)}, format = ${literal(format)}, union_by_name = true,
    sample_size = -1)`
}

/** Rejects a reader collected itself, written as NDJSON objects `{ line, column, reason, record }`. */
export function readRejectsFile(path: string): string {
  return `select line, "column", reason, record from read_json(${literal(path)}, format = 'newline_delimited',
    columns = {line: 'BIGINT', "column": 'VARCHAR', reason: 'VARCHAR', record: 'VARCHAR'})`
}

/** Casts a staging table of text columns to their target types. */
export function castColumns(table: string, columns: readonly { name: string; type: string }[]): string {
  const list = columns.map((c) =>
    c.type === 'VARCHAR' ? ident(c.name) : `cast(${ident(c.name)} as ${c.type}) as ${ident(c.name)}`,
  )
  return `select ${list.join(', ')} from ${ident(table)}`
}

export function createTextTable(table: string, columns: readonly string[]): string {
  return `create temp table ${ident(table)} (${columns.map((c) => `${ident(c)} varchar`).join(', ')})`
}

export function readParquet(paths: readonly string[]): string {
  return `select * from read_parquet(${literalList(paths)})`
}

export interface ParquetSelection {
  columns: readonly string[]
  /** A boolean expression built with bound parameters ($1, $2, …), never with user text. */
  where?: string | undefined
  orderBy?: readonly { column: string; descending: boolean }[]
  /** Placeholders (e.g. '$3') of the page's size and offset. */
  limit?: string
  offset?: string
}

/**
 * Rows of Parquet files, chosen and ordered (OData semantics: nulls sort first ascending, last
 * descending).
 */
export function selectFromParquet(paths: readonly string[], selection: ParquetSelection): string {
  const parts = [`select ${selection.columns.map(ident).join(', ')} from read_parquet(${literalList(paths)})`]
  if (selection.where) parts.push(`where ${selection.where}`)
  if (selection.orderBy && selection.orderBy.length > 0)
    parts.push(
      `order by ${selection.orderBy.map((o) => `${ident(o.column)} ${o.descending ? 'desc nulls last' : 'asc nulls first'}`).join(', ')}`,
    )
  if (selection.limit) parts.push(`limit ${selection.limit}`)
  if (selection.offset) parts.push(`offset ${selection.offset}`)
  return parts.join(' ')
}

/**
 * Writes a new version of a small writable entity as one Parquet file: the rows of the previous
 * version except the one with `keyPlaceholder`'s key, then one row built from placeholders
 * (`$n`, cast to each column's type). Without previous files it writes just that row, or no row
 * at all when `row` is undefined (a new, empty entity).
 */
export function copyWithReplacedRow(options: {
  previousFiles: readonly string[]
  columns: readonly { name: string; type: string }[]
  keyColumn: string
  keyPlaceholder: string
  row: readonly string[] | undefined
  outFile: string
}): string {
  const { columns } = options
  const built = columns
    .map((c, i) => `cast(${options.row ? options.row[i] : 'null'} as ${c.type}) as ${ident(c.name)}`)
    .join(', ')
  const parts: string[] = []
  if (options.previousFiles.length > 0) {
    parts.push(
      `select ${columns.map((c) => ident(c.name)).join(', ')} from read_parquet(${literalList(options.previousFiles)}) where ${ident(options.keyColumn)} is distinct from cast(${options.keyPlaceholder} as ${columns.find((c) => c.name === options.keyColumn)?.type ?? 'VARCHAR'})`,
    )
  }
  parts.push(`select ${built}${options.row ? '' : ' where false'}`)
  return `copy (${parts.join(' union all ')}) to ${literal(options.outFile)} (format parquet)`
}

/** How many rows of Parquet files meet a condition. */
export function countParquet(paths: readonly string[], where?: string): string {
  return `select count(*)::bigint as n from read_parquet(${literalList(paths)})${where ? ` where ${where}` : ''}`
}

/** An empty relation in the reject shape, for readers that reject nothing themselves. */
export const noRejects = `select null::bigint as line, null::varchar as "column", null::varchar as reason,
  null::varchar as record where false`

/** Writes a relation as Parquet files of about `fileSizeBytes` each into `directory`. */
export function copyToParquet(relation: string, directory: string, fileSizeBytes: number): string {
  return `copy (${relation}) to ${literal(directory)} (
    format parquet, compression zstd, file_size_bytes ${Math.trunc(fileSizeBytes)},
    filename_pattern 'part-{i}', overwrite_or_ignore true)`
}

export function copyToCsv(relation: string, file: string): string {
  return `copy (${relation}) to ${literal(file)} (format csv, header true)`
}

export function describe(relation: string): string {
  return `describe ${relation}`
}

export function parquetRowCounts(paths: readonly string[]): string {
  return `select file_name, num_rows::bigint as row_count from parquet_file_metadata(${literalList(paths)})`
}

/** Counts rows, rows without a key and rows whose key repeats an earlier one. */
export function keyHealth(relation: string, key: string): string {
  return `select count(*)::bigint as rows,
      count(*) filter (where ${ident(key)} is null)::bigint as null_keys,
      (count(${ident(key)}) - count(distinct ${ident(key)}))::bigint as duplicate_keys
    from (${relation})`
}

/** Numbers rows in read order so rejects can say which record they were. */
export function withRecordNumber(relation: string): string {
  return `select *, row_number() over () as __record from (${relation})`
}

/** Rows of a numbered relation that must be rejected: no key, or a key already seen earlier. */
export function keyRejects(numberedTable: string, key: string): string {
  const k = ident(key)
  return `select null::bigint as line, ${literal(key)} as "column",
      case when ${k} is null then 'MISSING KEY: record ' || __record || ' has no value in primary key column ' || ${literal(key)}
        else 'DUPLICATE KEY: record ' || __record || ' repeats key ' || ${k}::varchar || ' first seen at record ' || first_record
      end as reason,
      null::varchar as record
    from (
      select *, min(__record) over (partition by ${k}) as first_record from ${ident(numberedTable)}
    ) where ${k} is null or __record <> first_record`
}

/** The rows of a numbered relation that keyRejects does not reject, in read order. */
export function keyAccepted(numberedTable: string, key: string): string {
  const k = ident(key)
  return `select * exclude (__record, first_record) from (
      select *, min(__record) over (partition by ${k}) as first_record from ${ident(numberedTable)}
    ) where ${k} is not null and __record = first_record order by __record`
}

/** Cast failures of type overrides for readers that cannot apply them while reading. */
export function castRejects(numberedTable: string, columnTypes: Record<string, string>): string {
  const checks = Object.entries(columnTypes).map(
    ([column, type]) =>
      `select null::bigint as line, ${literal(column)} as "column",
        'CAST: record ' || __record || ': could not convert ' || ${ident(column)}::varchar || ' to ' || ${literal(type)} as reason,
        null::varchar as record
      from ${ident(numberedTable)}
      where ${ident(column)} is not null and try_cast(${ident(column)} as ${type}) is null`,
  )
  return checks.join(' union all ')
}

/** A numbered relation with type overrides applied, without the rows whose casts failed. */
export function castAccepted(numberedTable: string, columnTypes: Record<string, string>): string {
  const entries = Object.entries(columnTypes)
  const replace = entries.map(([column, type]) => `try_cast(${ident(column)} as ${type}) as ${ident(column)}`)
  const ok = entries.map(
    ([column, type]) => `(${ident(column)} is null or try_cast(${ident(column)} as ${type}) is not null)`,
  )
  return `select * replace (${replace.join(', ')}) from ${ident(numberedTable)} where ${ok.join(' and ')}`
}

/** DuckDB type names a user may give as a column type override. */
export const COLUMN_TYPES = [
  'VARCHAR',
  'BOOLEAN',
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'FLOAT',
  'DOUBLE',
  'DATE',
  'TIME',
  'TIMESTAMP',
  'TIMESTAMPTZ',
  'UUID',
  'JSON',
] as const

/** `DECIMAL(p,s)` is allowed too; everything else is refused before it reaches SQL. */
export function isColumnType(type: string): boolean {
  return (
    (COLUMN_TYPES as readonly string[]).includes(type.toUpperCase()) ||
    /^DECIMAL\(\d{1,2},\s*\d{1,2}\)$/i.test(type)
  )
}

/**
 * Every SQL statement the pipeline runs on DuckDB for ingestion and entity reads is built here,
 * with the `sql` tag (src/query/sql.ts): names through `ident`, constants through `literal`,
 * values through `param`. This module is the dialect seam: a distributed engine (Trino, Spark SQL)
 * would get its own implementation of these builders.
 */
import { ident, join, literal, literalList, type Sql, sql, typeName } from '../../query/index.js'

/** `{'col': 'TYPE', ...}` as DuckDB's reader functions take it. */
function structLiteral(entries: Record<string, string>): Sql {
  return sql`{${join(Object.entries(entries).map(([key, value]) => sql`${literal(key)}: ${literal(value)}`))}}`
}

export interface CsvReadOptions {
  header: boolean
  delimiter: string
  quote: string
  escape?: string | undefined
  encoding: 'utf-8' | 'latin-1' | 'utf-16'
  /** ',' for numbers written 1234,56 (then the delimiter is not ','). */
  decimalSeparator?: '.' | ',' | undefined
  /** How DATE columns are written, when the sniffer cannot tell (e.g. %d%m%y for 251191). */
  dateFormat?: string | undefined
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

export function readCsv(paths: readonly string[], options: CsvReadOptions): Sql {
  const args = [
    literalList(paths),
    ...dialectArgs(options),
    sql`store_rejects = true`,
    sql`rejects_table = ${literal(options.rejectsTable)}`,
    sql`rejects_scan = ${literal(options.rejectsScanTable)}`,
    // Every file is read with one schema; a file that does not fit is an error, not a new union.
    sql`union_by_name = false`,
    ...(options.layout ? layoutArgs(options.layout, options.columnTypes) : typesArg(options.columnTypes)),
    ...(options.dateFormat && !options.layout ? [sql`dateformat = ${literal(options.dateFormat)}`] : []),
  ]
  return sql`select * from read_csv(${join(args)})`
}

/** How the text is laid out: the arguments reading and sniffing share. */
function dialectArgs(
  options: Pick<
    CsvReadOptions,
    'header' | 'delimiter' | 'quote' | 'escape' | 'encoding' | 'decimalSeparator'
  >,
): Sql[] {
  return [
    sql`header = ${options.header}`,
    sql`delim = ${literal(options.delimiter)}`,
    sql`quote = ${literal(options.quote)}`,
    ...(options.escape === undefined ? [] : [sql`escape = ${literal(options.escape)}`]),
    sql`encoding = ${literal(options.encoding)}`,
    ...(options.decimalSeparator === ',' ? [sql`decimal_separator = ','`] : []),
  ]
}

/** The first rows of a CSV file with every value as text, as written (leading zeros kept). */
export function sampleCsvText(
  path: string,
  options: Pick<CsvReadOptions, 'header' | 'delimiter' | 'quote' | 'escape' | 'encoding'>,
  rows: number,
): Sql {
  return sql`select * from read_csv(${join([
    literal(path),
    ...dialectArgs(options),
    sql`all_varchar = true`,
    sql`ignore_errors = true`,
  ])}) limit ${rows}`
}

/**
 * What DuckDB's sniffer makes of a file's dialect when told only what is known (`known`):
 * delimiter, quote, escape, and the columns with their types.
 */
export function sniffDialect(
  path: string,
  known: {
    header: boolean
    encoding: CsvReadOptions['encoding']
    delimiter?: string | undefined
    quote?: string | undefined
    escape?: string | undefined
    decimalSeparator?: '.' | ',' | undefined
  },
): Sql {
  const args = [
    literal(path),
    sql`header = ${known.header}`,
    sql`encoding = ${literal(known.encoding)}`,
    ...(known.delimiter === undefined ? [] : [sql`delim = ${literal(known.delimiter)}`]),
    ...(known.quote === undefined ? [] : [sql`quote = ${literal(known.quote)}`]),
    ...(known.escape === undefined ? [] : [sql`escape = ${literal(known.escape)}`]),
    ...(known.decimalSeparator === ',' ? [sql`decimal_separator = ','`] : []),
    // The dialect shows in the first rows; the read sniffs its own sample for the types.
    sql`sample_size = 2048`,
  ]
  return sql`select "Delimiter" as delimiter, "Quote" as quote, "Escape" as escape, "Columns" as columns,
    "DateFormat" as date_format from sniff_csv(${join(args)})`
}

function typesArg(columnTypes: Record<string, string>): Sql[] {
  return Object.keys(columnTypes).length > 0 ? [sql`types = ${structLiteral(columnTypes)}`] : []
}

function layoutArgs(layout: CsvLayout, columnTypes: Record<string, string>): Sql[] {
  const columns = Object.fromEntries(layout.columns.map((c) => [c.name, columnTypes[c.name] ?? c.type]))
  return [
    sql`auto_detect = false`,
    sql`columns = ${structLiteral(columns)}`,
    ...(layout.dateFormat ? [sql`dateformat = ${literal(layout.dateFormat)}`] : []),
    ...(layout.timestampFormat ? [sql`timestampformat = ${literal(layout.timestampFormat)}`] : []),
  ]
}

/** Asks DuckDB's sniffer for the layout of one (small) CSV file. */
export function sniffCsv(
  path: string,
  options: Pick<
    CsvReadOptions,
    'header' | 'delimiter' | 'quote' | 'escape' | 'encoding' | 'decimalSeparator'
  >,
): Sql {
  return sql`select "Columns" as columns, "DateFormat" as date_format, "TimestampFormat" as timestamp_format
    from sniff_csv(${join([literal(path), ...dialectArgs(options)])})`
}

/** The first file a path or glob names. */
export function firstFile(paths: readonly string[]): Sql {
  return sql`select file from glob(${literalList(paths)}) order by file limit 1`
}

/**
 * The CSV reader's rejects in the pipeline's reject shape: one row per rejected line, giving a
 * structural error (wrong column count, bad quote, bad encoding) precedence over the cast errors
 * that follow from it.
 */
export function csvRejects(rejectsTable: string): Sql {
  const rank = sql`(error_type = 'CAST')::int * 100000 + column_idx`
  return sql`select line::bigint as line,
      arg_min(column_name, ${rank})::varchar as "column",
      arg_min(error_type || ': ' || error_message, ${rank}) as reason,
      left(any_value(csv_line), 1000)::varchar as record
    from ${ident(rejectsTable)} group by line`
}

/** JSON documents; the whole input is sampled for types so a late odd value cannot fail the read. */
export function readJson(paths: readonly string[], format: 'auto' | 'newline_delimited'): Sql {
  return sql`select * from read_json(${literalList(paths)}, format = ${literal(format)}, union_by_name = true,
    sample_size = -1)`
}

/** Rejects a reader collected itself, written as NDJSON objects `{ line, column, reason, record }`. */
export function readRejectsFile(path: string): Sql {
  return sql`select line, "column", reason, record from read_json(${literal(path)}, format = 'newline_delimited',
    columns = {line: 'BIGINT', "column": 'VARCHAR', reason: 'VARCHAR', record: 'VARCHAR'})`
}

/** Casts a staging table of text columns to their target types. */
export function castColumns(table: string, columns: readonly { name: string; type: string }[]): Sql {
  const list = columns.map((c) =>
    c.type === 'VARCHAR'
      ? ident(c.name)
      : sql`cast(${ident(c.name)} as ${typeName(c.type)}) as ${ident(c.name)}`,
  )
  return sql`select ${join(list)} from ${ident(table)}`
}

export function createTextTable(table: string, columns: readonly string[]): Sql {
  return sql`create temp table ${ident(table)} (${join(columns.map((c) => sql`${ident(c)} varchar`))})`
}

export function readParquet(paths: readonly string[]): Sql {
  return sql`select * from read_parquet(${literalList(paths)})`
}

export interface ParquetSelection {
  columns: readonly string[]
  /** A boolean expression (its values bound parameters, never user text). */
  where?: Sql | undefined
  orderBy?: readonly { column: string; descending: boolean; expression?: Sql | undefined }[]
  /** The page's size and offset. */
  limit?: number
  offset?: number
}

/**
 * Rows of Parquet files, chosen and ordered (OData semantics: nulls sort first ascending, last
 * descending).
 */
export function selectFromParquet(paths: readonly string[], selection: ParquetSelection): Sql {
  const parts = [sql`select ${join(selection.columns.map(ident))} from read_parquet(${literalList(paths)})`]
  if (selection.where) parts.push(sql`where ${selection.where}`)
  if (selection.orderBy && selection.orderBy.length > 0)
    parts.push(
      sql`order by ${join(selection.orderBy.map((o) => sql`${o.expression ?? ident(o.column)} ${o.descending ? sql`desc nulls last` : sql`asc nulls first`}`))}`,
    )
  if (selection.limit !== undefined) parts.push(sql`limit ${Math.trunc(selection.limit)}`)
  if (selection.offset !== undefined) parts.push(sql`offset ${Math.trunc(selection.offset)}`)
  return join(parts, ' ')
}

/**
 * Writes a new version of a small writable entity as one Parquet file: the rows of the previous
 * version except the one with `key`'s key, then one row of `row`'s values (bound parameters,
 * cast to each column's type). Without previous files it writes just that row, or no row at all
 * when `row` is undefined (a new, empty entity).
 */
export function copyWithReplacedRow(options: {
  previousFiles: readonly string[]
  columns: readonly { name: string; type: string }[]
  keyColumn: string
  key: Sql
  row: readonly Sql[] | undefined
  outFile: string
}): Sql {
  const { columns } = options
  const built = join(
    columns.map(
      (c, i) =>
        sql`cast(${options.row ? (options.row[i] ?? null) : null} as ${typeName(c.type)}) as ${ident(c.name)}`,
    ),
  )
  const parts: Sql[] = []
  if (options.previousFiles.length > 0) {
    const keyType = columns.find((c) => c.name === options.keyColumn)?.type ?? 'VARCHAR'
    parts.push(
      sql`select ${join(columns.map((c) => ident(c.name)))} from read_parquet(${literalList(options.previousFiles)}) where ${ident(options.keyColumn)} is distinct from cast(${options.key} as ${typeName(keyType)})`,
    )
  }
  parts.push(options.row ? sql`select ${built}` : sql`select ${built} where false`)
  return sql`copy (${join(parts, ' union all ')}) to ${literal(options.outFile)} (format parquet)`
}

/** How many rows of Parquet files meet a condition. */
export function countParquet(paths: readonly string[], where?: Sql): Sql {
  const counted = sql`select count(*)::bigint as n from read_parquet(${literalList(paths)})`
  return where ? sql`${counted} where ${where}` : counted
}

/** An empty relation in the reject shape, for readers that reject nothing themselves. */
export const noRejects = sql`select null::bigint as line, null::varchar as "column", null::varchar as reason,
  null::varchar as record where false`

/** Writes a relation as Parquet files of about `fileSizeBytes` each into `directory`. */
export function copyToParquet(relation: Sql, directory: string, fileSizeBytes: number): Sql {
  return sql`copy (${relation}) to ${literal(directory)} (
    format parquet, compression zstd, file_size_bytes ${Math.trunc(fileSizeBytes)},
    filename_pattern 'part-{i}', overwrite_or_ignore true)`
}

export function copyToCsv(relation: Sql, file: string): Sql {
  return sql`copy (${relation}) to ${literal(file)} (format csv, header true)`
}

export function describe(relation: Sql): Sql {
  return sql`describe ${relation}`
}

export function parquetRowCounts(paths: readonly string[]): Sql {
  return sql`select file_name, num_rows::bigint as row_count from parquet_file_metadata(${literalList(paths)})`
}

/** Counts rows, rows without a key and rows whose key repeats an earlier one. */
export function keyHealth(relation: Sql, key: string): Sql {
  return sql`select count(*)::bigint as rows,
      count(*) filter (where ${ident(key)} is null)::bigint as null_keys,
      (count(${ident(key)}) - count(distinct ${ident(key)}))::bigint as duplicate_keys
    from (${relation})`
}

/** Numbers rows in read order so rejects can say which record they were. */
export function withRecordNumber(relation: Sql): Sql {
  return sql`select *, row_number() over () as __record from (${relation})`
}

/** Rows of a numbered relation that must be rejected: no key, or a key already seen earlier. */
export function keyRejects(numberedTable: string, key: string): Sql {
  const k = ident(key)
  return sql`select null::bigint as line, ${literal(key)} as "column",
      case when ${k} is null then 'MISSING KEY: record ' || __record || ' has no value in primary key column ' || ${literal(key)}
        else 'DUPLICATE KEY: record ' || __record || ' repeats key ' || ${k}::varchar || ' first seen at record ' || first_record
      end as reason,
      null::varchar as record
    from (
      select *, min(__record) over (partition by ${k}) as first_record from ${ident(numberedTable)}
    ) where ${k} is null or __record <> first_record`
}

/** The rows of a numbered relation that keyRejects does not reject, in read order. */
export function keyAccepted(numberedTable: string, key: string): Sql {
  const k = ident(key)
  return sql`select * exclude (__record, first_record) from (
      select *, min(__record) over (partition by ${k}) as first_record from ${ident(numberedTable)}
    ) where ${k} is not null and __record = first_record order by __record`
}

/** Cast failures of type overrides for readers that cannot apply them while reading. */
export function castRejects(numberedTable: string, columnTypes: Record<string, string>): Sql {
  const checks = Object.entries(columnTypes).map(
    ([column, type]) =>
      sql`select null::bigint as line, ${literal(column)} as "column",
        'CAST: record ' || __record || ': could not convert ' || ${ident(column)}::varchar || ' to ' || ${literal(type)} as reason,
        null::varchar as record
      from ${ident(numberedTable)}
      where ${ident(column)} is not null and try_cast(${ident(column)} as ${typeName(type)}) is null`,
  )
  return join(checks, ' union all ')
}

/** A numbered relation with type overrides applied, without the rows whose casts failed. */
export function castAccepted(numberedTable: string, columnTypes: Record<string, string>): Sql {
  const entries = Object.entries(columnTypes)
  const replace = entries.map(
    ([column, type]) => sql`try_cast(${ident(column)} as ${typeName(type)}) as ${ident(column)}`,
  )
  const ok = entries.map(
    ([column, type]) =>
      sql`(${ident(column)} is null or try_cast(${ident(column)} as ${typeName(type)}) is not null)`,
  )
  return sql`select * replace (${join(replace)}) from ${ident(numberedTable)} where ${join(ok, ' and ')}`
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

import {
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBDecimalValue,
  DuckDBInstance,
  type DuckDBTimestampTZValue,
  type DuckDBTimestampValue,
  DuckDBTypeId,
  type DuckDBValueConverter,
  JsonDuckDBValueConverter,
} from '@duckdb/node-api'
import type { Sql, SqlValue } from './sql.js'

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/**
 * DuckDB values as JSON a connector client expects: integers that fit as numbers (others as
 * strings), decimals as numbers, timestamps in ISO 8601, dates as YYYY-MM-DD.
 */
const toJsonValue: DuckDBValueConverter<JsonValue> = (value, type, converter) => {
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

declare const DUCK: unique symbol

/**
 * A DuckDB database: one per process for the data plane, one per run for measure SQL. Opaque:
 * the only way in is a SqlSession, so no module outside this one can run text as SQL.
 */
export interface DuckDb {
  readonly [DUCK]: true
  closeSync(): void
}

/**
 * Opens an in-memory DuckDB with the given settings (DuckDB's option names).
 *
 * DuckDB's external file cache is off: it keeps blocks of files it has read and reuses them while
 * it believes the file unchanged, but a user's export rewritten in place is exactly what a refresh
 * must see anew, and DuckDB has had stale reads from it (duckdb/duckdb#23255). Seen here: after a
 * damaged Parquet file was replaced by the valid one, its refresh failed with "TProtocolException:
 * Invalid data", twice in full test runs under load.
 */
export async function createDuckDb(settings: Record<string, string> = {}): Promise<DuckDb> {
  return (await DuckDBInstance.create(':memory:', {
    enable_external_file_cache: 'false',
    ...settings,
  })) as unknown as DuckDb
}

/**
 * A connection that runs only SQL built with `sql` (src/query/sql.ts): the one way statements
 * reach DuckDB. One per task; closed when it is done.
 */
export class SqlSession {
  private constructor(private readonly connection: DuckDBConnection) {}

  static async open(duck: DuckDb): Promise<SqlSession> {
    return new SqlSession(await (duck as unknown as DuckDBInstance).connect())
  }

  async run(statement: Sql): Promise<void> {
    await this.connection.run(statement.text, bind(statement))
  }

  /** The rows of a query, as plain objects with JavaScript values. */
  async rows<Row = Record<string, unknown>>(statement: Sql): Promise<Row[]> {
    const result = await this.connection.runAndReadAll(statement.text, bind(statement))
    return asObjects(result.columnNames(), result.getRowsJS()) as Row[]
  }

  /** The rows of a query as JSON values (see toJsonValue): what the API returns. */
  async jsonRows(statement: Sql): Promise<Record<string, JsonValue>[]> {
    const result = await this.connection.runAndReadAll(statement.text, bind(statement))
    return asObjects(result.columnNames(), result.convertRows(toJsonValue)) as Record<string, JsonValue>[]
  }

  /** The first column of the first row (a count, a setting), or undefined. */
  async value(statement: Sql): Promise<unknown> {
    return (await this.connection.runAndReadAll(statement.text, bind(statement))).getRowsJS()[0]?.[0]
  }

  /** Stops the statement under way (a cancelled refresh, a stalled job). */
  interrupt(): void {
    this.connection.interrupt()
  }

  /** DuckDB's progress of the statement under way (with its progress bar on). */
  get progress(): { percentage: number; rowsProcessed: bigint; totalRows: bigint } {
    const { percentage, rows_processed, total_rows_to_process } = this.connection.progress
    return { percentage, rowsProcessed: rows_processed, totalRows: total_rows_to_process }
  }

  /** Appends rows to a table without SQL (a stream from a database source). */
  appender(table: string): Promise<DuckDBAppender> {
    return this.connection.createAppender(table)
  }

  close(): void {
    this.connection.closeSync()
  }
}

function bind(statement: Sql): SqlValue[] | undefined {
  return statement.params.length > 0 ? [...statement.params] : undefined
}

/**
 * Rows as objects keyed by column name, each column an own property whatever its name: a user's
 * column may be called `__proto__` or `constructor`, which assigning by name would turn into the
 * object's prototype (and lose) instead of a value.
 */
function asObjects(
  names: readonly string[],
  rows: readonly (readonly unknown[])[],
): Record<string, unknown>[] {
  return rows.map((row) => Object.fromEntries(names.map((name, i) => [name, row[i]])))
}

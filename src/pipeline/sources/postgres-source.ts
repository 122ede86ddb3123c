import pg from 'pg'
import Cursor from 'pg-cursor'
import { z } from 'zod'
import { AppError } from '../../errors.js'
import { redactCredentials, scrubSecret } from '../../secrets/index.js'
import { castColumns, createTextTable, noRejects } from '../sql/duckdb-sql.js'
import type { OpenedSource, ReadContext, SourceReader } from './source-reader.js'

const postgresOptions = z
  .object({
    connectionString: z.string().min(1).describe('postgres://user:password@host:port/database'),
    table: z
      .string()
      .regex(
        /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/,
        'a table name, optionally schema-qualified',
      )
      .optional()
      .describe('Table to read (schema.table)'),
    query: z.string().min(1).optional().describe('A SELECT to read instead of a table'),
    batchSize: z.number().int().min(100).max(100_000).default(10_000).describe('Rows fetched per round trip'),
    connectTimeoutSeconds: z.number().min(1).max(300).default(10),
  })
  .strict()
  .refine((o) => (o.table === undefined) !== (o.query === undefined), {
    message: 'give exactly one of table or query',
    path: ['table'],
  })

export type PostgresOptions = z.infer<typeof postgresOptions>

const STAGING_TABLE = 'postgres_rows'
/** Keeps every value as the server's text output; DuckDB casts it. */
const textTypes = { getTypeParser: () => (value: string) => value }

/**
 * A PostgreSQL table or query, streamed through a server-side cursor into DuckDB. Values travel
 * as PostgreSQL's text output and are cast to the DuckDB type matching each column's type.
 */
export const postgresSource: SourceReader<PostgresOptions> = {
  kind: 'postgres',
  options: postgresOptions,
  appliesColumnTypes: false,
  secretOptions: ['connectionString'],
  describe: (options) => `${redact(options.connectionString)} ${options.table ?? 'query'}`,
  async open(context, options) {
    try {
      return await openPostgres(context, options)
    } catch (error) {
      // A last net: no message about this source says its password, whatever the driver wrote.
      if (!(error instanceof AppError)) throw error
      const message = passwordsIn(options.connectionString).reduce(scrubSecret, error.message)
      if (message === error.message) throw error
      throw new AppError(error.code, message, {
        ...(error.target ? { target: error.target } : {}),
        retryable: error.retryable,
      })
    }
  },
}

/** The passwords a connection string carries (userinfo, password= and sslpassword= parameters). */
function passwordsIn(connectionString: string): string[] {
  try {
    const url = new URL(connectionString)
    return [
      decodeURIComponent(url.password),
      url.searchParams.get('password') ?? '',
      url.searchParams.get('sslpassword') ?? '',
    ].filter((p) => p.length > 0)
  } catch {
    return []
  }
}

async function openPostgres(context: ReadContext, options: PostgresOptions): Promise<OpenedSource> {
  const client = new pg.Client({
    connectionString: options.connectionString,
    connectionTimeoutMillis: options.connectTimeoutSeconds * 1000,
    types: textTypes,
  })
  client.on('error', () => {})
  const where = `data source '${context.dataSourceName}' (${redact(options.connectionString)})`
  try {
    await client.connect()
  } catch (error) {
    throw connectionError(error, where, context.dataSourceName)
  }
  let backendPid: number
  try {
    backendPid = Number((await client.query('select pg_backend_pid() as pid')).rows[0]?.pid)
    const text = options.table ? `select * from ${quoteQualified(options.table)}` : (options.query as string)
    // Rows as arrays keep duplicate column names of a query apart; values stay the server's text.
    const cursor = client.query(new Cursor(text, undefined, { rowMode: 'array', types: textTypes }))
    // Cancel the statement on the server (a query that never returns would hold its read for
    // ever), from a connection of its own as the same role.
    const onAbort = () => void cancelBackend(options, backendPid)
    context.signal.addEventListener('abort', onAbort, { once: true })
    let appender: Awaited<ReturnType<typeof context.session.appender>> | undefined
    let columns: { name: string; type: string }[] = []
    try {
      for (;;) {
        const { rows, fields } = await readBatch(cursor, options.batchSize)
        if (!appender) {
          columns = fields.map((f) => ({
            name: f.name,
            type: duckTypeFor(f.dataTypeID, f.dataTypeModifier),
          }))
          await context.session.run(
            createTextTable(
              STAGING_TABLE,
              columns.map((c) => c.name),
            ),
          )
          appender = await context.session.appender(STAGING_TABLE)
        }
        for (const row of rows) {
          for (const value of row) {
            if (value === null) appender.appendNull()
            else appender.appendVarchar(value)
          }
          appender.endRow()
        }
        if (rows.length < options.batchSize) break
      }
      appender?.closeSync()
    } finally {
      context.signal.removeEventListener('abort', onAbort)
      await new Promise<void>((resolve) => cursor.close(() => resolve()))
    }
    return { relation: castColumns(STAGING_TABLE, columns), rejects: noRejects }
  } catch (error) {
    if (error instanceof AppError) throw error
    const pgError = error as { code?: string; message?: string; position?: string }
    if (pgError.code) {
      throw new AppError(
        'SourceQueryFailed',
        `${where}: ${pgError.message} (SQLSTATE ${pgError.code}${pgError.position ? `, at character ${pgError.position}` : ''})`,
        {
          target: `dataSources.${context.dataSourceName}.options.${options.table ? 'table' : 'query'}`,
        },
      )
    }
    throw connectionError(error, where, context.dataSourceName)
  } finally {
    await client.end().catch(() => {})
  }
}

async function cancelBackend(options: PostgresOptions, pid: number): Promise<void> {
  const canceller = new pg.Client({
    connectionString: options.connectionString,
    connectionTimeoutMillis: options.connectTimeoutSeconds * 1000,
  })
  canceller.on('error', () => {})
  try {
    await canceller.connect()
    await canceller.query('select pg_cancel_backend($1)', [pid])
  } catch {
    // The watchdog ends the refresh anyway; the server's statement_timeout is the last resort.
  } finally {
    await canceller.end().catch(() => {})
  }
}

interface Field {
  name: string
  dataTypeID: number
  dataTypeModifier: number
}

function readBatch(cursor: Cursor, size: number): Promise<{ rows: (string | null)[][]; fields: Field[] }> {
  return new Promise((resolve, reject) => {
    cursor.read(size, (error, rows, result) => {
      if (error) reject(error)
      else
        resolve({ rows: rows as unknown as (string | null)[][], fields: (result?.fields ?? []) as Field[] })
    })
  })
}

/** DuckDB type for a PostgreSQL type OID; unknown types stay text. */
export function duckTypeFor(oid: number, typeModifier: number): string {
  switch (oid) {
    case 16:
      return 'BOOLEAN'
    case 20:
      return 'BIGINT'
    case 21:
      return 'SMALLINT'
    case 23:
      return 'INTEGER'
    case 700:
      return 'FLOAT'
    case 701:
      return 'DOUBLE'
    case 1700: {
      if (typeModifier < 4) return 'DOUBLE'
      const precision = ((typeModifier - 4) >> 16) & 0xffff
      const scale = (typeModifier - 4) & 0xffff
      return precision <= 38 ? `DECIMAL(${precision},${scale})` : 'DOUBLE'
    }
    case 1082:
      return 'DATE'
    case 1083:
      return 'TIME'
    case 1114:
      return 'TIMESTAMP'
    case 1184:
      return 'TIMESTAMPTZ'
    case 2950:
      return 'UUID'
    case 114:
    case 3802:
      return 'JSON'
    default:
      return 'VARCHAR'
  }
}

function quoteQualified(table: string): string {
  return table
    .split('.')
    .map((part) => `"${part}"`)
    .join('.')
}

/** The connection string without its password, for messages. */
/** A connection string with its credentials masked, in every form (see redactCredentials). */
export function redact(connectionString: string): string {
  return redactCredentials(connectionString)
}

function connectionError(error: unknown, where: string, dataSourceName: string): AppError {
  const e = error as { code?: string; message?: string }
  const target = `dataSources.${dataSourceName}.options.connectionString`
  if (e.code === '28P01' || e.code === '28000') {
    return new AppError('SourceAccessDenied', `${where}: ${e.message}; check the user and password`, {
      target,
    })
  }
  if (e.code === '3D000') {
    return new AppError('SourceNotFound', `${where}: ${e.message}`, { target })
  }
  return new AppError(
    'SourceUnreachable',
    `${where}: cannot connect (${e.code ?? e.message ?? 'unknown error'}); check the host and port and that the server is running`,
    { target, retryable: true, cause: error },
  )
}

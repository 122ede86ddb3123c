import { createHash } from 'node:crypto'
import { Kysely, PostgresDialect, type RawBuilder, sql, type Transaction } from 'kysely'
import pg from 'pg'
import { storableValues } from './safe-values.js'
import type { Tables } from './tables.js'

/** The control-plane database: one typed code path for embedded PGlite and PostgreSQL. */
export type Db = Kysely<Tables>
/** Either the database or an open transaction on it; query functions accept both. */
export type DbOrTx = Db | Transaction<Tables>

export interface OpenDatabaseOptions {
  connectionString: string
  /** A connection's stream instead of a socket (embedded PGlite, in this process). */
  stream?: () => import('node:stream').Duplex
  /** Pool size; PGlite serialises everything anyway, so embedded mode keeps it small. */
  maxConnections?: number
}

const PREPARED = '/* prepared */'

/**
 * Marks a statement whose text never varies (arrays, not lists, carry its rows) as one each
 * connection prepares once: PostgreSQL parses it once and, after a few runs, plans it once,
 * instead of for every call — over a third of the time of the flow engine's statements.
 */
export function prepared<T>(statement: RawBuilder<T>): RawBuilder<T> {
  return sql<T>`${sql.raw(PREPARED)} ${statement}`
}

/**
 * A marked statement's name: its text's hash and a generation that moves on at 64, 128, 256 …
 * runs of it. PostgreSQL keeps a prepared statement's plan until its tables are analyzed; a plan
 * made while a table was tiny (a sequential scan, say) would otherwise outlive the table's
 * growth. A new generation is prepared and planned afresh, at the table's size then; their
 * number stays small (about 20 in a million runs).
 */
const statements = new Map<string, { hash: string; runs: number }>()
function statementName(text: string): string {
  let statement = statements.get(text)
  if (!statement) {
    statement = { hash: createHash('sha1').update(text).digest('base64url'), runs: 0 }
    statements.set(text, statement)
  }
  statement.runs++
  const generation = statement.runs < 64 ? 0 : Math.floor(Math.log2(statement.runs)) - 5
  return `oi_${statement.hash}_${generation}`
}

/**
 * A pg client that sends statements marked `prepared` as named prepared statements, and every
 * statement's values in a form PostgreSQL can store (see safe-values.ts).
 */
class PreparingClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's query has many overloads; this forwards them.
  override query(config: any, values?: any, callback?: any): any {
    if (Array.isArray(values)) values = storableValues(values)
    else if (config && typeof config === 'object' && Array.isArray(config.values))
      config = { ...config, values: storableValues(config.values) }
    if (typeof config === 'string' && config.startsWith(PREPARED))
      return super.query({ name: statementName(config), text: config, values }, callback)
    const result: unknown = super.query(config, values, callback)
    return result instanceof Promise ? result.then(allRows) : result
  }
}

/**
 * Several statements in one simple query give pg one result each; Kysely reads `rows` of one
 * result and would find none. Keep every statement's rows, in order: pg-boss 12 runs claims as
 * `BEGIN; …lock…; …claim…; COMMIT` and reads the rows of all.
 */
function allRows(result: pg.QueryResult | pg.QueryResult[]): pg.QueryResult {
  if (!Array.isArray(result)) return result
  // The count of the last statement that is not transaction control: Kysely answers a COMMIT
  // with no rows at all.
  const control = new Set(['BEGIN', 'COMMIT', 'ROLLBACK', 'SET'])
  const last = result.findLast((r) => !control.has(r.command)) ?? (result.at(-1) as pg.QueryResult)
  return { ...last, rows: result.flatMap((r) => r.rows ?? []) }
}

export function openDatabase(options: OpenDatabaseOptions): Db {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    // A dead pool connection must not crash the process; queries on it fail and are retried.
    allowExitOnIdle: false,
    Client: PreparingClient,
    ...(options.stream ? { stream: options.stream } : {}),
  })
  pool.on('error', () => {})
  return new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) })
}

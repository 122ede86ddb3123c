import { Kysely, PostgresDialect, type Transaction } from 'kysely'
import pg from 'pg'
import type { Tables } from './tables.js'

/** The control-plane database: one typed code path for embedded PGlite and PostgreSQL. */
export type Db = Kysely<Tables>
/** Either the database or an open transaction on it; query functions accept both. */
export type DbOrTx = Db | Transaction<Tables>

export interface OpenDatabaseOptions {
  connectionString: string
  /** Pool size; PGlite serialises everything anyway, so embedded mode keeps it small. */
  maxConnections?: number
}

export function openDatabase(options: OpenDatabaseOptions): Db {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    // A dead pool connection must not crash the process; queries on it fail and are retried.
    allowExitOnIdle: false,
  })
  pool.on('error', () => {})
  return new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) })
}

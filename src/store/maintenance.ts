import { sql } from 'kysely'
import type { Db } from './database.js'

/** A table autovacuum would see to now: its dead rows, and its changes since it was last analyzed. */
export interface TableDue {
  schema: string
  table: string
  liveRows: number
  deadRows: number
  changedSinceAnalyze: number
}

/**
 * Autovacuum's thresholds, made for a store that sees to them itself: vacuum once dead rows pass
 * 200 + 5% of the live ones (the queue tables' own setting is 2% of a table PostgreSQL scans
 * by itself, in the background; here the vacuum holds the one connection while it runs, so it
 * comes a little later and does a little more each time); analyze once changes pass 200 + 10%.
 */
export const VACUUM_THRESHOLD = { base: 200, share: 0.05 }
export const ANALYZE_THRESHOLD = { base: 200, share: 0.1 }

/** Tables of the store (ours and pg-boss's) whose dead rows or changes have passed the thresholds. */
export async function tablesDue(db: Db): Promise<TableDue[]> {
  // This session's counts reach the statistics when it next goes idle, at most once a second
  // unless asked: ask, so the look below sees the writes made until now.
  // (PostgreSQL 15 and later; before, the counts reach the statistics within half a second.)
  await sql`select pg_stat_force_next_flush()`.execute(db).catch((error: { code?: string }) => {
    if (error.code !== '42883') throw error
  })
  const { rows } = await sql<{
    schema: string
    table: string
    live: string
    dead: string
    changed: string
  }>`
    select schemaname as schema, relname as table, n_live_tup as live, n_dead_tup as dead,
      n_mod_since_analyze as changed
    from pg_stat_user_tables
    where schemaname in ('public', 'pgboss')
      and (n_dead_tup > ${VACUUM_THRESHOLD.base}::float8 + ${VACUUM_THRESHOLD.share}::float8 * n_live_tup
        or n_mod_since_analyze > ${ANALYZE_THRESHOLD.base}::float8 + ${ANALYZE_THRESHOLD.share}::float8 * n_live_tup)
    order by n_dead_tup desc`.execute(db)
  return rows.map((row) => ({
    schema: row.schema,
    table: row.table,
    liveRows: Number(row.live),
    deadRows: Number(row.dead),
    changedSinceAnalyze: Number(row.changed),
  }))
}

/** VACUUM (ANALYZE) of one table: its dead rows' space reused, its statistics brought up to date. */
export async function vacuumTable(db: Db, table: Pick<TableDue, 'schema' | 'table'>): Promise<void> {
  await sql`vacuum (analyze) ${sql.id(table.schema, table.table)}`.execute(db)
}

/**
 * Whether PostgreSQL's autovacuum is off for this database (server mode): the setting, or the
 * statistics it works from (track_counts). The queue tables (flow_runs, event_outbox,
 * deliveries, pg-boss's jobs) then keep every dead row version and only grow.
 */
export async function autovacuumOff(db: Db): Promise<{ off: boolean; statisticsOff: boolean }> {
  const { rows } = await sql<{ autovacuum: string; counts: string }>`
    select current_setting('autovacuum') as autovacuum, current_setting('track_counts') as counts`.execute(db)
  const row = rows[0] as { autovacuum: string; counts: string }
  const statisticsOff = row.counts !== 'on'
  return { off: row.autovacuum !== 'on' || statisticsOff, statisticsOff }
}

/** The advisory lock that lets one process at a time vacuum a shared store (arbitrary constant). */
export const MAINTENANCE_LOCK = 7_318_604_221

/**
 * Runs `work` on one connection while holding the maintenance lock, or answers undefined at once
 * when another process holds it: processes sharing a server take turns rather than vacuuming the
 * same tables side by side. The lock is the session's, released before the connection goes back
 * (VACUUM cannot run in a transaction, so a transaction's lock will not do).
 */
export async function withMaintenanceLock<T>(
  db: Db,
  work: (connection: Db) => Promise<T>,
): Promise<T | undefined> {
  return db.connection().execute(async (connection) => {
    const { rows } = await sql<{
      got: boolean
    }>`select pg_try_advisory_lock(${MAINTENANCE_LOCK}) as got`.execute(connection)
    if (!rows[0]?.got) return undefined
    try {
      return await work(connection)
    } finally {
      await sql`select pg_advisory_unlock(${MAINTENANCE_LOCK})`.execute(connection)
    }
  })
}

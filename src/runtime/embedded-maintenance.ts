import { startPoller } from '../poller.js'
import type { Db } from '../store/database.js'
import { tablesDue, vacuumTable, withMaintenanceLock } from '../store/maintenance.js'

export interface EmbeddedMaintenance {
  /** Vacuums and analyzes the tables due now; answers their names. */
  runOnce(): Promise<string[]>
  stop(): Promise<void>
}

/**
 * Autovacuum for embedded PGlite, which has none: it is PostgreSQL in single-user mode, one
 * process with no background workers. Without it every dead row version stays (a flow run
 * leaves two, a dispatched event one in the outbox) and the queue tables and their indexes only
 * grow (flow_runs: 60 MB after 21,000 runs of a one-action flow, 28 MB when vacuumed after each
 * burst of 3,000; measured before run rows were slimmed in migration 0013) — and nothing
 * gathered statistics, so plans were made from empty tables. Every `intervalMs` it looks
 * at the tables' counters (one cheap query) and vacuums those past autovacuum-like thresholds.
 *
 * Server mode uses it too when the PostgreSQL server's autovacuum is off (`shared`): processes
 * sharing the store then take turns through an advisory lock, and one that finds it held skips
 * its look.
 */
export function startEmbeddedMaintenance(options: {
  db: Db
  /** Other processes use the store too: look only while holding the maintenance lock. */
  shared?: boolean
  intervalMs?: number
  onError?: (error: Error) => void
  log?: (message: string) => void
}): EmbeddedMaintenance {
  async function runOnce(): Promise<string[]> {
    if (options.shared) return (await withMaintenanceLock(options.db, vacuumDue)) ?? []
    return vacuumDue(options.db)
  }
  async function vacuumDue(db: Db): Promise<string[]> {
    const done: string[] = []
    for (const table of await tablesDue(db)) {
      if (stopped) break
      const started = Date.now()
      await vacuumTable(db, table)
      done.push(`${table.schema}.${table.table}`)
      options.log?.(
        `vacuumed ${table.schema}.${table.table} (${table.deadRows} dead of ${table.liveRows} rows) in ${Date.now() - started} ms`,
      )
    }
    return done
  }
  let stopped = false
  const poller = startPoller({
    look: async () => {
      await runOnce()
      return false
    },
    intervalMs: options.intervalMs ?? 10_000,
    onError: options.onError,
  })
  return {
    runOnce,
    async stop() {
      stopped = true
      await poller.stop()
    },
  }
}

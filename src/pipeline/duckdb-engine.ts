import { mkdirSync } from 'node:fs'
import type { Watch } from '../jobs/index.js'
import { createDuckDb, type DuckDb, type SqlSession, sql } from '../query/index.js'

export interface DuckDbOptions {
  /** Where DuckDB spills when a query outgrows memory. */
  tempDir: string
  /** e.g. '4GB'; DuckDB's default is 80% of RAM, too much beside a server process. */
  memoryLimit?: string
  threads?: number
}

/** The data plane's engine: one DuckDB instance per process, one session per task. */
export async function openDuckDb(options: DuckDbOptions): Promise<DuckDb> {
  mkdirSync(options.tempDir, { recursive: true })
  return createDuckDb({
    temp_directory: options.tempDir,
    memory_limit: options.memoryLimit ?? '4GB',
    ...(options.threads ? { threads: String(options.threads) } : {}),
    // Reads of published partitions must not depend on anything outside the data directory.
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'true',
  })
}

/**
 * Ties a session to a job's watchdog: an abort interrupts its running statement, and every
 * change in DuckDB's own progress of what it runs counts as progress. Returns the undo.
 */
export async function superviseSession(session: SqlSession, watch: Watch | undefined): Promise<() => void> {
  if (!watch) return () => {}
  // DuckDB tracks a statement's progress only with its progress bar on (printing stays off);
  // a sandbox turns it on before it locks its configuration.
  if ((await session.value(sql`select current_setting('enable_progress_bar')`)) !== true) {
    await session.run(sql`set enable_progress_bar = true`)
    await session.run(sql`set enable_progress_bar_print = false`)
  }
  const interrupt = () => session.interrupt()
  watch.signal.addEventListener('abort', interrupt, { once: true })
  let last = ''
  const timer = setInterval(() => {
    const { percentage, rowsProcessed, totalRows } = session.progress
    const now = `${percentage}/${rowsProcessed}/${totalRows}`
    if (now !== last) watch.progress()
    last = now
  }, 500)
  timer.unref()
  return () => {
    clearInterval(timer)
    watch.signal.removeEventListener('abort', interrupt)
  }
}

import { mkdirSync } from 'node:fs'
import { DuckDBInstance } from '@duckdb/node-api'

export interface DuckDbOptions {
  /** Where DuckDB spills when a query outgrows memory. */
  tempDir: string
  /** e.g. '4GB'; DuckDB's default is 80% of RAM, too much beside a server process. */
  memoryLimit?: string
  threads?: number
}

/** The data plane's engine: one DuckDB instance per process, one connection per task. */
export async function openDuckDb(options: DuckDbOptions): Promise<DuckDBInstance> {
  mkdirSync(options.tempDir, { recursive: true })
  return DuckDBInstance.create(':memory:', {
    temp_directory: options.tempDir,
    memory_limit: options.memoryLimit ?? '4GB',
    ...(options.threads ? { threads: String(options.threads) } : {}),
    // Reads of published partitions must not depend on anything outside the data directory.
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'true',
  })
}

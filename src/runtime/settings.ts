import { join, resolve } from 'node:path'
import { AppError } from '../errors.js'

/** Where an instance keeps its state, read from the environment once. */
export interface Settings {
  /** `$OPENINSIGHTS_HOME`, default `./.openinsights`. */
  home: string
  /** PostgreSQL connection string; unset means embedded PGlite under `home/state`. */
  databaseUrl: string | undefined
  /** Root of the data plane (Parquet partitions, rejects), default `home/data`. Shared in server mode. */
  dataDir: string
  /** Directory of the embedded PGlite database. */
  pgliteDir: string
  /** Retries of a refresh after a retryable failure (unreachable database, ...), before it fails. */
  refreshRetries: number
  /** First delay between refresh attempts; it doubles with each retry. */
  refreshRetryDelaySeconds: number
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const home = resolve(env.OPENINSIGHTS_HOME ?? '.openinsights')
  return {
    home,
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(env.OPENINSIGHTS_DATA_DIR ?? join(home, 'data')),
    pgliteDir: join(home, 'state', 'pglite'),
    refreshRetries: nonNegativeNumber(env.OPENINSIGHTS_REFRESH_RETRIES, 2, 'OPENINSIGHTS_REFRESH_RETRIES'),
    refreshRetryDelaySeconds: nonNegativeNumber(
      env.OPENINSIGHTS_REFRESH_RETRY_DELAY,
      5,
      'OPENINSIGHTS_REFRESH_RETRY_DELAY',
    ),
  }
}

function nonNegativeNumber(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0) {
    throw new AppError('InvalidSetting', `${name}=${value} is not a number ≥ 0; unset it or fix its value`, {
      target: name,
    })
  }
  return n
}

import { statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { AppError } from '../errors.js'
import { type OutboundPolicy, parseOutboundAllow } from '../outbound/index.js'

/** Where an instance keeps its state, read from the environment once. */
export interface Settings {
  /** `$OPENINSIGHTS_HOME`, else the nearest `.openinsights` here or above, else `./.openinsights`. */
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
  /** Calls per connection and window (OPENINSIGHTS_RATE_LIMIT, default 100; 0 turns it off). */
  rateLimit: number
  /** Rate-limit window in seconds (OPENINSIGHTS_RATE_LIMIT_WINDOW, default 60). */
  rateLimitWindowSeconds: number
  /**
   * Delays in seconds before each webhook delivery attempt after the first
   * (OPENINSIGHTS_DELIVERY_SCHEDULE, comma-separated); each gets ±20% jitter.
   */
  deliverySchedule: number[]
  /** A webhook receiver that has not answered in this time fails the attempt. */
  deliveryTimeoutSeconds: number
  /**
   * Believe X-Forwarded-Proto/-Host from a reverse proxy when building absolute links (Location,
   * @odata.nextLink): OPENINSIGHTS_TRUST_PROXY=true, or a comma-separated list of proxy addresses.
   */
  trustProxy: boolean | string
  /**
   * What outbound calls (webhook deliveries, flow actions) may reach beyond public addresses:
   * OPENINSIGHTS_OUTBOUND_ALLOW=private, or CIDR ranges (the older OPENINSIGHTS_FLOWS_ALLOW_PRIVATE=true
   * means `private`). Default: public addresses only.
   */
  outboundPolicy: OutboundPolicy
  /**
   * Host names (beyond IP addresses, localhost and this machine's name) the HTTP API answers to:
   * OPENINSIGHTS_ALLOWED_HOSTS, comma-separated, `*.example.com` for subdomains, `*` for any.
   */
  allowedHosts: readonly string[] | '*'
  /** Multiplies flow action retry waits (OPENINSIGHTS_FLOW_RETRY_SCALE, default 1; tests shorten them). */
  flowRetryScale: number
  /**
   * The watchdog of refreshes, unification, measures and full refreshes: a job with no progress
   * for OPENINSIGHTS_JOB_STALL seconds (default 1800), or running OPENINSIGHTS_JOB_TIMEOUT seconds
   * in all (default 7200; full refreshes get three times that), is stopped and fails with a reason.
   */
  jobStallSeconds: number
  jobTimeoutSeconds: number
  /** How long a worker holds a flow run before another may resume it (OPENINSIGHTS_FLOW_LEASE, default 30 s). */
  flowLeaseSeconds: number
  /** The largest file the web UI may upload as a data source (OPENINSIGHTS_UPLOAD_LIMIT_MB, default 1024). */
  uploadLimitBytes: number
}

/** 8 attempts over about 4.5 hours: at once, then 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h later. */
export const DEFAULT_DELIVERY_SCHEDULE = [5, 30, 120, 600, 1800, 3600, 10800]

/** The folder name of a home found by walking up from the working directory. */
const HOME_FOLDER = '.openinsights'

/**
 * Where the home is: `$OPENINSIGHTS_HOME`, else the nearest `.openinsights` folder in the working
 * directory or one above it (as git finds `.git`), else a new one in the working directory.
 */
export function locateHome(
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): { home: string; how: 'set' | 'found' | 'new' } {
  if (env.OPENINSIGHTS_HOME) return { home: resolve(cwd, env.OPENINSIGHTS_HOME), how: 'set' }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, HOME_FOLDER)
    if (isDirectory(candidate)) return { home: candidate, how: 'found' }
    if (dirname(dir) === dir) break
  }
  return { home: join(resolve(cwd), HOME_FOLDER), how: 'new' }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const home = locateHome(env).home
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
    rateLimit: Math.floor(nonNegativeNumber(env.OPENINSIGHTS_RATE_LIMIT, 100, 'OPENINSIGHTS_RATE_LIMIT')),
    rateLimitWindowSeconds: Math.max(
      1,
      nonNegativeNumber(env.OPENINSIGHTS_RATE_LIMIT_WINDOW, 60, 'OPENINSIGHTS_RATE_LIMIT_WINDOW'),
    ),
    deliverySchedule: numberList(
      env.OPENINSIGHTS_DELIVERY_SCHEDULE,
      DEFAULT_DELIVERY_SCHEDULE,
      'OPENINSIGHTS_DELIVERY_SCHEDULE',
    ),
    deliveryTimeoutSeconds: nonNegativeNumber(
      env.OPENINSIGHTS_DELIVERY_TIMEOUT,
      10,
      'OPENINSIGHTS_DELIVERY_TIMEOUT',
    ),
    trustProxy: trustProxySetting(env.OPENINSIGHTS_TRUST_PROXY),
    outboundPolicy: outboundPolicySetting(env),
    allowedHosts: parseAllowedHosts(env.OPENINSIGHTS_ALLOWED_HOSTS),
    flowRetryScale: nonNegativeNumber(env.OPENINSIGHTS_FLOW_RETRY_SCALE, 1, 'OPENINSIGHTS_FLOW_RETRY_SCALE'),
    jobStallSeconds: positive(env.OPENINSIGHTS_JOB_STALL, 1800, 'OPENINSIGHTS_JOB_STALL'),
    jobTimeoutSeconds: positive(env.OPENINSIGHTS_JOB_TIMEOUT, 7200, 'OPENINSIGHTS_JOB_TIMEOUT'),
    flowLeaseSeconds: Math.max(
      1,
      nonNegativeNumber(env.OPENINSIGHTS_FLOW_LEASE, 30, 'OPENINSIGHTS_FLOW_LEASE'),
    ),
    uploadLimitBytes:
      positive(env.OPENINSIGHTS_UPLOAD_LIMIT_MB, 1024, 'OPENINSIGHTS_UPLOAD_LIMIT_MB') * 1024 * 1024,
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

function positive(value: string | undefined, fallback: number, name: string): number {
  const n = nonNegativeNumber(value, fallback, name)
  if (n > 0) return n
  throw new AppError('InvalidSetting', `${name}=${value} must be more than 0 seconds`, { target: name })
}

function numberList(value: string | undefined, fallback: number[], name: string): number[] {
  if (value === undefined || value.trim() === '') return fallback
  return value.split(',').map((part) => nonNegativeNumber(part.trim(), 0, name))
}

function trustProxySetting(value: string | undefined): boolean | string {
  if (value === undefined || value === '' || value === 'false') return false
  return value === 'true' ? true : value
}

function outboundPolicySetting(env: NodeJS.ProcessEnv): OutboundPolicy {
  const parts = [env.OPENINSIGHTS_OUTBOUND_ALLOW ?? '']
  if (env.OPENINSIGHTS_FLOWS_ALLOW_PRIVATE === 'true') parts.push('private')
  try {
    return parseOutboundAllow(parts.join(','))
  } catch (error) {
    throw new AppError('InvalidSetting', (error as Error).message, { target: 'OPENINSIGHTS_OUTBOUND_ALLOW' })
  }
}

/** OPENINSIGHTS_ALLOWED_HOSTS: `*`, or comma-separated names (`*.example.com` for subdomains). */
function parseAllowedHosts(text: string | undefined): readonly string[] | '*' {
  const names = (text ?? '')
    .split(',')
    .map((n) => n.trim().toLowerCase())
    .filter(Boolean)
  return names.includes('*') ? '*' : names
}

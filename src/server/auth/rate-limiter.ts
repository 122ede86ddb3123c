import { CompiledQuery } from 'kysely'
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible'
import type { Db } from '../../store/database.js'

export interface RateLimitSettings {
  /** Calls admitted per window and connection (the original: 100). */
  limit: number
  /** Window length in seconds (the original: 60). */
  windowSeconds: number
}

export const DEFAULT_RATE_LIMIT: RateLimitSettings = { limit: 100, windowSeconds: 60 }

export interface RateLimitDecision {
  allowed: boolean
  limit: number
  remaining: number
  /** Seconds until the window resets. */
  resetSeconds: number
  windowSeconds: number
}

/**
 * Fixed-window counters per connection in the control-plane table `rate_limits`, through
 * rate-limiter-flexible's PostgreSQL store: every API process sharing the database counts
 * against one limit. Its statements run on our Kysely pool (one session model in both modes).
 */
export class ConnectionRateLimiter {
  readonly #db: Db
  readonly #windowSeconds: number
  readonly #limiters = new Map<number, RateLimiterPostgres>()

  constructor(db: Db, windowSeconds: number) {
    this.#db = db
    this.#windowSeconds = windowSeconds
  }

  #limiter(points: number): RateLimiterPostgres {
    let limiter = this.#limiters.get(points)
    if (!limiter) {
      const db = this.#db
      limiter = new RateLimiterPostgres({
        storeClient: {
          query: async (q: { text: string; values?: unknown[] }) => {
            const result = await db.executeQuery(CompiledQuery.raw(q.text, q.values ?? []))
            return { rows: result.rows }
          },
        },
        storeType: 'client',
        tableName: 'rate_limits',
        tableCreated: true,
        clearExpiredByTimeout: false,
        keyPrefix: 'conn',
        points,
        duration: this.#windowSeconds,
      })
      this.#limiters.set(points, limiter)
    }
    return limiter
  }

  /** Counts one call of `connectionId` against `limit` calls per window. */
  async consume(connectionId: string, limit: number): Promise<RateLimitDecision> {
    const windowSeconds = this.#windowSeconds
    const decide = (res: RateLimiterRes, allowed: boolean): RateLimitDecision => ({
      allowed,
      limit,
      remaining: res.remainingPoints,
      resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
      windowSeconds,
    })
    try {
      return decide(await this.#limiter(limit).consume(connectionId), true)
    } catch (thrown) {
      if (thrown instanceof RateLimiterRes) return decide(thrown, false)
      throw thrown
    }
  }

  /** Removes windows that ended over an hour ago. */
  async sweep(): Promise<void> {
    await this.#db
      .deleteFrom('rate_limits')
      .where('expire', '<', String(Date.now() - 3_600_000))
      .execute()
  }
}

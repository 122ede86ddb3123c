import { AppError } from '../../errors.js'
import type { Db } from '../../store/database.js'
import { clearSignInAttempts, countSignInAttempt, pruneSignInAttempts } from '../../store/sign-in-attempts.js'

/** Failed attempts each key makes before it must wait. */
export const FREE_ATTEMPTS = 5
/** The longest wait for an account (anyone anywhere may be trying it) and for one address. */
export const MAX_ACCOUNT_WAIT_MS = 60_000
export const MAX_ADDRESS_WAIT_MS = 15 * 60_000

/**
 * Throttles sign-in per account and per client address, with exponential backoff rather than a
 * lock: after FREE_ATTEMPTS failures a key waits 2 s, 4 s, 8 s … (an account at most a minute,
 * so a stranger cannot lock its owner out for long; an address at most 15 minutes). Attempts are
 * counted before the password is checked, so many at once are not all checked, and in the control
 * plane, so every API process counts the same.
 */
export class SignInThrottle {
  constructor(private readonly db: Db) {}

  #keys(username: string, address: string): string[] {
    return [`account:${username.trim().toLowerCase()}`, `address:${address}`]
  }

  /** Counts the attempt, or refuses it with 429 and Retry-After (seconds) while a key waits. */
  async admit(username: string, address: string): Promise<void> {
    const wait = await countSignInAttempt(this.db, this.#keys(username, address), (key, failures) => {
      if (failures <= FREE_ATTEMPTS) return 0
      const cap = key.startsWith('account:') ? MAX_ACCOUNT_WAIT_MS : MAX_ADDRESS_WAIT_MS
      return Math.min(cap, 1000 * 2 ** (failures - FREE_ATTEMPTS))
    })
    if (wait > 0)
      throw new AppError(
        'TooManyRequests',
        `too many failed sign-ins for this account or from this address; try again in ${Math.ceil(wait / 1000)} s`,
        { target: 'password', details: { retryAfterSeconds: Math.ceil(wait / 1000) } },
      )
  }

  /** A successful sign-in: the account and the address start afresh. */
  async succeeded(username: string, address: string): Promise<void> {
    await clearSignInAttempts(this.db, this.#keys(username, address))
  }

  prune(): Promise<number> {
    return pruneSignInAttempts(this.db)
  }
}

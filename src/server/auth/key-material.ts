import { createHash, randomBytes } from 'node:crypto'

/** New keys read "oi_" + 43 base64url characters (256 random bits). */
export const KEY_PREFIX = 'oi_'

export function generateKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url')
}

/**
 * Keys carry 256 random bits, so one SHA-256 is enough to store them: there is nothing to guess
 * by brute force, and authentication stays a single indexed lookup.
 */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

/** What lists show of a key: enough to tell keys apart, not enough to use one. */
export function displayPrefix(key: string): string {
  return `${key.slice(0, KEY_PREFIX.length + 4)}…`
}

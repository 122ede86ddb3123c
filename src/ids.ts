import { randomFillSync } from 'node:crypto'
import { monotonicFactory, ulid } from 'ulid'

/**
 * ULIDs with their randomness drawn from a pooled CSPRNG buffer: the library's default asks the
 * OS for one byte per character (16 calls per id), which showed up in flow-run profiles.
 */
const pool = new Uint8Array(8192)
let next = pool.length

function pooledRandom(): number {
  if (next >= pool.length) {
    randomFillSync(pool)
    next = 0
  }
  // 256 is a multiple of ulid's 32-symbol alphabet, so every symbol stays equally likely.
  return (pool[next++] as number) / 256
}

/** A new ULID: sortable by creation time, 80 random bits. */
export function newId(): string {
  return ulid(undefined, pooledRandom)
}

/** A ULID factory whose ids increase strictly, even within one millisecond (event ids). */
export function monotonicIds(): (seedTime?: number) => string {
  const factory = monotonicFactory(pooledRandom)
  return (seedTime) => factory(seedTime)
}

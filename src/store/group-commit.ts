/**
 * Group commit: callers each await their own write, but writes that arrive while one is in
 * flight (or in the same tick) are sent together as one statement. No write waits for a timer,
 * so a lone write costs what it did; under load, N writes cost one round trip instead of N.
 * A failed batch fails every caller in it, as their own statements would have.
 */
export function groupCommit<T, R = void>(
  write: (items: T[]) => Promise<R[] | undefined>,
): (item: T) => Promise<R> {
  let pending: { item: T; resolve: (value: R) => void; reject: (error: unknown) => void }[] = []
  let flushing = false

  async function flush(): Promise<void> {
    while (pending.length > 0) {
      // One turn of the event loop first, so that writes whose I/O has completed meanwhile (an
      // HTTP answer, a timer) join this batch. A store in this process (embedded PGlite) answers
      // without any I/O, and would otherwise take every write alone.
      await new Promise<void>((resolve) => setImmediate(resolve))
      const batch = pending
      pending = []
      try {
        const results = await write(batch.map((entry) => entry.item))
        for (const [i, entry] of batch.entries()) entry.resolve(results?.[i] as R)
      } catch (error) {
        for (const entry of batch) entry.reject(error)
      }
    }
    flushing = false
  }

  return (item) =>
    new Promise<R>((resolve, reject) => {
      pending.push({ item, resolve, reject })
      if (!flushing) {
        flushing = true
        void flush()
      }
    })
}

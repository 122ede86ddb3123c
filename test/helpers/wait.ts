import type { Runtime } from '../../src/runtime/index.js'
import { getRefresh, type Refresh } from '../../src/store/refreshes.js'

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

export async function waitForRefreshEnd(
  runtime: Runtime,
  instanceId: string,
  refreshId: string,
  timeoutMs?: number,
): Promise<Refresh> {
  return waitFor(
    async () => {
      const refresh = await getRefresh(runtime.db, instanceId, refreshId)
      return refresh && ['succeeded', 'failed', 'cancelled'].includes(refresh.state) ? refresh : undefined
    },
    `refresh ${refreshId} to end`,
    timeoutMs,
  )
}

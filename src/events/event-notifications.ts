import pg from 'pg'
import { EVENTS_CHANNEL } from '../store/events.js'

/**
 * Listens (LISTEN) for appended events on a connection of its own, so that a dispatcher starts
 * as soon as any process commits an event instead of at its next poll. Reconnects after a lost
 * connection; polling still covers the gap. Returns a function that stops listening.
 */
export async function listenForEvents(
  connectionString: string,
  onEvent: () => void,
  onError: (error: Error) => void,
): Promise<() => Promise<void>> {
  let stopped = false
  let client: pg.Client | undefined
  let retry: NodeJS.Timeout | undefined

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString })
    next.on('notification', () => onEvent())
    next.on('error', (error) => {
      onError(error)
      next.end().catch(() => undefined)
      if (!stopped) retry = setTimeout(() => void connect().catch(onError), 1000)
    })
    await next.connect()
    await next.query(`listen ${EVENTS_CHANNEL}`)
    client = next
    if (stopped) await next.end()
  }

  await connect()
  return async () => {
    stopped = true
    clearTimeout(retry)
    await client?.end().catch(() => undefined)
  }
}

import { type Dispatcher, request } from 'undici'
import { type OutboundGuard, OutboundRefused } from '../../outbound/index.js'
import { ActionFailure } from '../engine/action-failure.js'

/** The guard's refusal as the action's failure (never retried: the address will not change its class). */
function asFailure(error: unknown): unknown {
  if (error instanceof OutboundRefused)
    return new ActionFailure(error.code, error.message, { retryable: error.retryable })
  return error
}

/** Checks a URL a flow is about to call (see OutboundGuard.checkUrl), as an ActionFailure. */
export function checkOutboundUrl(text: string, guard: OutboundGuard): URL {
  try {
    return guard.checkUrl(text)
  } catch (error) {
    throw asFailure(error)
  }
}

export interface OutboundResponse {
  status: number
  headers: Record<string, string>
  /** The body as text. */
  text: string
}

/**
 * Sends a request a flow makes: through the guard's pool, whose connections are made only to
 * addresses it allows, without following redirects. Network failures come back as retryable
 * ActionFailures; a refused address as a non-retryable one.
 */
export async function outboundRequest(
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string | undefined; signal: AbortSignal },
  guard: OutboundGuard,
): Promise<OutboundResponse> {
  try {
    const response = await request(url, {
      method: init.method as Dispatcher.HttpMethod,
      headers: init.headers,
      body: init.body ?? null,
      signal: init.signal,
      dispatcher: guard.dispatcher(),
    })
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(response.headers))
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
    return { status: response.statusCode, headers, text: await response.body.text() }
  } catch (error) {
    const refused = [error, (error as Error)?.cause].find((e) => e instanceof OutboundRefused)
    if (refused) throw asFailure(refused)
    if (init.signal.aborted)
      throw new ActionFailure('Timeout', `no answer from ${url.host} in time`, {
        timedOut: true,
        retryable: true,
      })
    const cause = (error as Error).cause as Error | undefined
    throw new ActionFailure(
      'ConnectionFailed',
      `${url.host}: ${cause?.message ?? (error as Error).message}`,
      {
        retryable: true,
      },
    )
  }
}

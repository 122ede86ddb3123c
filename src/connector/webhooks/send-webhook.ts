import { request } from 'undici'
import { type OutboundGuard, OutboundRefused } from '../../outbound/index.js'
import { timeoutSignal } from '../../timeout-signal.js'
import { signatureHeaders } from './standard-webhooks.js'

export interface WebhookResponse {
  /** HTTP status, or null when no answer came (refused, reset, timed out). */
  status: number | null
  latencyMs: number
  retryAfter: string | undefined
  /** Why no answer came (or the guard's refusal), short; the receiver's body is never kept. */
  error: string | null
}

/** A reason kept for the attempt log: one line, bounded. */
const shortError = (text: string) => text.replace(/\s+/g, ' ').slice(0, 300)

/**
 * POSTs one signed delivery through the outbound guard (the address is checked as the
 * connection is made). Never throws: every outcome is a WebhookResponse to log. The answer's
 * body is read and dropped: a receiver's reply is no business of whoever reads the log.
 */
export async function sendWebhook(options: {
  url: string
  id: string
  secret: string
  body: string
  timeoutMs: number
  outbound: OutboundGuard
}): Promise<WebhookResponse> {
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  const timeout = timeoutSignal(options.timeoutMs)
  try {
    const url = options.outbound.checkUrl(options.url)
    const response = await request(url, {
      method: 'POST',
      dispatcher: options.outbound.dispatcher({ keepAliveTimeout: 10_000, connections: 64 }),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'openinsights-webhooks/1',
        ...signatureHeaders(options.secret, options.id, options.body),
      },
      body: options.body,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      signal: timeout.signal,
    })
    await response.body.dump({ limit: 64 * 1024 }).catch(() => {})
    const retryAfter = response.headers['retry-after']
    return {
      status: response.statusCode,
      latencyMs: elapsed(),
      retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
      error: null,
    }
  } catch (thrown) {
    const error = thrown as Error & { code?: string }
    const refused = [error, error.cause].find((e) => e instanceof OutboundRefused) as
      | OutboundRefused
      | undefined
    const reason = refused
      ? `${refused.code}: ${refused.message}`
      : error.name === 'TimeoutError' ||
          error.code === 'UND_ERR_HEADERS_TIMEOUT' ||
          error.code === 'UND_ERR_BODY_TIMEOUT'
        ? `no answer within ${options.timeoutMs} ms`
        : `${error.code ?? error.name}: ${error.message}`
    return { status: null, latencyMs: elapsed(), retryAfter: undefined, error: shortError(reason) }
  } finally {
    timeout.clear()
  }
}

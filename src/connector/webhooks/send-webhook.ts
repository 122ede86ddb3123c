import { Agent, request } from 'undici'
import { signatureHeaders } from './standard-webhooks.js'

export interface WebhookResponse {
  /** HTTP status, or null when no answer came (refused, reset, timed out). */
  status: number | null
  latencyMs: number
  retryAfter: string | undefined
  /** The first 500 characters of the answer, for the attempt log. */
  excerpt: string | null
  error: string | null
}

const EXCERPT = 500
/** One connection pool for every delivery a process sends. */
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 })

/** POSTs one signed delivery. Never throws: every outcome is a WebhookResponse to log. */
export async function sendWebhook(options: {
  url: string
  id: string
  secret: string
  body: string
  timeoutMs: number
}): Promise<WebhookResponse> {
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  try {
    const response = await request(options.url, {
      method: 'POST',
      dispatcher: agent,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'openinsights-webhooks/1',
        ...signatureHeaders(options.secret, options.id, options.body),
      },
      body: options.body,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      signal: AbortSignal.timeout(options.timeoutMs),
    })
    let excerpt = ''
    for await (const chunk of response.body) {
      if (excerpt.length < EXCERPT) excerpt += String(chunk)
    }
    const retryAfter = response.headers['retry-after']
    return {
      status: response.statusCode,
      latencyMs: elapsed(),
      retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
      excerpt: excerpt.slice(0, EXCERPT),
      error: null,
    }
  } catch (thrown) {
    const error = thrown as Error & { code?: string }
    const reason =
      error.name === 'TimeoutError' ||
      error.code === 'UND_ERR_HEADERS_TIMEOUT' ||
      error.code === 'UND_ERR_BODY_TIMEOUT'
        ? `no answer within ${options.timeoutMs} ms`
        : `${error.code ?? error.name}: ${error.message}`
    return { status: null, latencyMs: elapsed(), retryAfter: undefined, excerpt: null, error: reason }
  }
}

import { STATUS_CODES } from 'node:http'
import { ActionFailure } from '../engine/action-failure.js'
import type { ActionContext } from './action-context.js'
import { checkOutboundUrl, type OutboundResponse, outboundRequest } from './outbound-url.js'

export interface HttpInputs {
  method?: string
  uri: string
  headers?: Record<string, unknown>
  queries?: Record<string, unknown>
  body?: unknown
  authentication?: { type: 'Basic'; username: string; password: string } | { type: 'Bearer'; token: string }
}

/** Retry-After as seconds or an HTTP date, in ms. */
export function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const at = Date.parse(header)
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now())
}

/** A response body as JSON when it says so (or looks like it), else as text. */
export function readBody(response: OutboundResponse): unknown {
  const text = response.text
  if (!text) return null
  if (/json/i.test(response.headers['content-type'] ?? '') || /^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return text
}

/**
 * Sends one HTTP request and returns `{ statusCode, headers, body }`. A non-2xx answer fails the
 * action with those outputs; 408, 429 and 5xx (and network errors) are retried by the policy.
 */
export async function sendHttp(inputs: HttpInputs, context: ActionContext): Promise<unknown> {
  const url = checkOutboundUrl(String(inputs.uri), context.outbound)
  for (const [k, v] of Object.entries(inputs.queries ?? {})) url.searchParams.set(k, String(v))
  const headers: Record<string, string> = Object.fromEntries(
    Object.entries(inputs.headers ?? {}).map(([k, v]) => [k, String(v)]),
  )
  const auth = inputs.authentication
  if (auth?.type === 'Basic')
    headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
  if (auth?.type === 'Bearer') headers.authorization = `Bearer ${auth.token}`
  let body: string | undefined
  if (inputs.body !== undefined && inputs.body !== null) {
    if (typeof inputs.body === 'string') body = inputs.body
    else {
      body = JSON.stringify(inputs.body)
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
        headers['content-type'] = 'application/json'
    }
  }
  const response = await outboundRequest(
    url,
    { method: (inputs.method ?? 'GET').toUpperCase(), headers, body, signal: context.signal },
    context.outbound,
  )
  const outputs = { statusCode: response.status, headers: response.headers, body: readBody(response) }
  if (response.status >= 200 && response.status < 300) return outputs
  throw new ActionFailure(
    `Http${response.status}`,
    `${url.host} answered ${response.status} ${STATUS_CODES[response.status] ?? ''}`.trim(),
    {
      retryable: response.status === 408 || response.status === 429 || response.status >= 500,
      retryAfterMs: retryAfterMs(response.headers['retry-after'] ?? null),
      outputs,
    },
  )
}

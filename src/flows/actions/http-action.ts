import { ActionFailure } from '../engine/action-failure.js'
import type { ActionContext } from './action-context.js'
import { checkOutboundUrl } from './outbound-url.js'

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

/** Reads a response body as JSON when it says so (or looks like it), else as text. */
export async function readBody(response: Response): Promise<unknown> {
  const text = await response.text()
  if (!text) return null
  if (/json/i.test(response.headers.get('content-type') ?? '') || /^\s*[[{]/.test(text)) {
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
  const url = await checkOutboundUrl(String(inputs.uri), context.allowPrivateNetworks)
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
  let response: Response
  try {
    response = await fetch(url, {
      method: (inputs.method ?? 'GET').toUpperCase(),
      headers,
      ...(body === undefined ? {} : { body }),
      signal: context.signal,
      redirect: 'manual',
    })
  } catch (error) {
    if (context.signal.aborted)
      throw new ActionFailure('Timeout', `no answer from ${url.host} in time`, {
        timedOut: true,
        retryable: true,
      })
    throw new ActionFailure(
      'ConnectionFailed',
      `${url.host}: ${(error as Error).cause ?? (error as Error).message}`,
      { retryable: true },
    )
  }
  const outputs = {
    statusCode: response.status,
    headers: Object.fromEntries(response.headers.entries()),
    body: await readBody(response),
  }
  if (response.status >= 200 && response.status < 300) return outputs
  throw new ActionFailure(
    `Http${response.status}`,
    `${url.host} answered ${response.status} ${response.statusText}`,
    {
      retryable: response.status === 408 || response.status === 429 || response.status >= 500,
      retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
      outputs,
    },
  )
}

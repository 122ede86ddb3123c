import { type LookupAddress, lookup } from 'node:dns'
import { isIP } from 'node:net'
import { Agent, type Dispatcher, request } from 'undici'
import { ActionFailure } from '../engine/action-failure.js'

/** Link-local (cloud metadata lives at 169.254.169.254), unspecified and multicast addresses: never. */
const FORBIDDEN = [/^169\.254\./, /^0\./, /^2(2[4-9]|3\d)\./, /^fe80:/i, /^::$/, /^ff/i, /^fd00:ec2:/i]
/** Loopback and private ranges: only when the instance allows them. */
const PRIVATE = [
  /^127\./,
  /^10\./,
  /^192\.168\./,
  /^172\.(1[6-9]|2\d|3[01])\./,
  /^::1$/,
  /^f[cd]/i,
  /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./,
]

/** Why a flow may not call this address, or undefined when it may. */
function refusal(host: string, address: string, allowPrivate: boolean): ActionFailure | undefined {
  const plain = address.replace(/^::ffff:/, '')
  if (FORBIDDEN.some((r) => r.test(plain)))
    return new ActionFailure(
      'ForbiddenAddress',
      `${host} resolves to ${address}, a link-local or reserved address flows may not call`,
    )
  if (!allowPrivate && PRIVATE.some((r) => r.test(plain)))
    return new ActionFailure(
      'PrivateAddress',
      `${host} resolves to ${address}, a private address; allow it with OPENINSIGHTS_FLOWS_ALLOW_PRIVATE=true`,
    )
  return undefined
}

/**
 * Checks a URL a flow is about to call: http(s) only, and (for an address written in the URL)
 * neither link-local/metadata nor (unless `allowPrivate`) loopback or private. A host name's
 * addresses are checked when the connection is made (see outboundRequest), so a name that
 * resolves differently between a check and the call cannot slip through.
 */
export function checkOutboundUrl(text: string, allowPrivate: boolean): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ActionFailure('InvalidUrl', `'${text}' is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ActionFailure('InvalidUrl', `only http and https URLs can be called, not ${url.protocol}`)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (isIP(host)) {
    const refused = refusal(host, host, allowPrivate)
    if (refused) throw refused
  }
  return url
}

/** A DNS lookup for net.connect that refuses addresses flows may not call. */
function checkedLookup(allowPrivate: boolean) {
  return (
    hostname: string,
    options: { all?: boolean; family?: number },
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error || addresses.length === 0) {
        callback(
          new ActionFailure('HostNotFound', `cannot resolve ${hostname}`, { retryable: true }),
          options.all ? [] : '',
        )
        return
      }
      for (const { address } of addresses) {
        const refused = refusal(hostname, address, allowPrivate)
        if (refused) return callback(refused, options.all ? [] : '')
      }
      const [first] = addresses as [LookupAddress]
      if (options.all) callback(null, addresses)
      else callback(null, first.address, first.family)
    })
  }
}

const agents = new Map<boolean, Agent>()
/** One connection pool per setting, kept alive across runs (as a browser or Node-RED would). */
function agentFor(allowPrivate: boolean): Agent {
  let agent = agents.get(allowPrivate)
  if (!agent) {
    agent = new Agent({ connect: { lookup: checkedLookup(allowPrivate) as never } })
    agents.set(allowPrivate, agent)
  }
  return agent
}

export interface OutboundResponse {
  status: number
  headers: Record<string, string>
  /** The body as text. */
  text: string
}

/**
 * Sends a request a flow makes: through a connection whose addresses were checked as it was
 * made, without following redirects. Network failures come back as retryable ActionFailures;
 * a refused address as a non-retryable one.
 */
export async function outboundRequest(
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string | undefined; signal: AbortSignal },
  allowPrivate: boolean,
): Promise<OutboundResponse> {
  try {
    const response = await request(url, {
      method: init.method as Dispatcher.HttpMethod,
      headers: init.headers,
      body: init.body ?? null,
      signal: init.signal,
      dispatcher: agentFor(allowPrivate),
    })
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(response.headers))
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
    return { status: response.statusCode, headers, text: await response.body.text() }
  } catch (error) {
    const failure = [error, (error as Error)?.cause].find((e) => e instanceof ActionFailure)
    if (failure) throw failure
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

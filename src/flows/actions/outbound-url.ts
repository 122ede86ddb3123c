import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
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

/**
 * Checks a URL a flow is about to call: http(s) only, and its host's addresses neither
 * link-local/metadata nor (unless `allowPrivate`) loopback or private.
 */
export async function checkOutboundUrl(text: string, allowPrivate: boolean): Promise<URL> {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ActionFailure('InvalidUrl', `'${text}' is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ActionFailure('InvalidUrl', `only http and https URLs can be called, not ${url.protocol}`)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const addresses = isIP(host)
    ? [host]
    : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address)
  if (addresses.length === 0)
    throw new ActionFailure('HostNotFound', `cannot resolve ${host}`, { retryable: true })
  for (const address of addresses) {
    const plain = address.replace(/^::ffff:/, '')
    if (FORBIDDEN.some((r) => r.test(plain)))
      throw new ActionFailure(
        'ForbiddenAddress',
        `${host} resolves to ${address}, a link-local or reserved address flows may not call`,
      )
    if (!allowPrivate && PRIVATE.some((r) => r.test(plain)))
      throw new ActionFailure(
        'PrivateAddress',
        `${host} resolves to ${address}, a private address; allow it with OPENINSIGHTS_FLOWS_ALLOW_PRIVATE=true`,
      )
  }
  return url
}

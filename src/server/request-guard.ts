import { isIP } from 'node:net'
import { hostname } from 'node:os'
import { AppError } from '../errors.js'

/**
 * Checks made on every request before anything else, on what the client sent rather than on
 * what routing made of it.
 */

/**
 * The request target must be a path (origin form): `GET http://host/api/…` (absolute form, for
 * proxies) and `*` (OPTIONS) are not served — a path and a Host header say it all, once.
 */
export function assertOriginForm(rawUrl: string | undefined): void {
  if (rawUrl?.startsWith('/')) return
  throw new AppError(
    'BadRequestTarget',
    'the request target must be a path such as /api/v1/health; this server is not a proxy',
    { target: 'url' },
  )
}

/** Host names a browser may call this server by (OPENINSIGHTS_ALLOWED_HOSTS). */
export type AllowedHosts = readonly string[] | '*'

/**
 * Whether a Host header names this server. A page on another site that rebinds its own name
 * to 127.0.0.1 (DNS rebinding) sends its own name as Host: that is refused. Always allowed: IP
 * addresses, localhost and *.localhost, this machine's name; beyond those, the setting's names
 * (`*.example.com` covers subdomains), or `*` for any.
 */
export function hostAllowed(hostHeader: string | undefined, allowed: AllowedHosts): boolean {
  if (allowed === '*' || hostHeader === undefined) return true // no Host: HTTP/1.0, not a browser
  const name = hostName(hostHeader)
  if (name === undefined) return false
  if (isIP(name) || name === 'localhost' || name.endsWith('.localhost')) return true
  const machine = hostname().toLowerCase()
  if (name === machine || name === `${machine}.local`) return true
  return allowed.some((pattern) =>
    pattern.startsWith('*.')
      ? name.endsWith(pattern.slice(1)) || name === pattern.slice(2)
      : name === pattern,
  )
}

export function assertHostAllowed(hostHeader: string | undefined, allowed: AllowedHosts): void {
  if (hostAllowed(hostHeader, allowed)) return
  throw new AppError(
    'HostNotAllowed',
    `this server does not answer to the name '${hostHeader}'; if that is its name, add it to OPENINSIGHTS_ALLOWED_HOSTS (comma-separated; guards against DNS rebinding)`,
    { target: 'host' },
  )
}

/** The name in a Host header, lower case, without port or IPv6 brackets; undefined if malformed. */
function hostName(header: string): string | undefined {
  const text = header.trim().toLowerCase()
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(text)
  if (bracketed) return bracketed[1]
  const plain = /^([a-z0-9._-]+?)\.?(?::\d{1,5})?$/.exec(text)
  return plain?.[1]
}

import ipaddr from 'ipaddr.js'

type Address = ipaddr.IPv4 | ipaddr.IPv6

/**
 * Which outbound addresses an instance may call beyond the public internet. Set by an admin
 * (OPENINSIGHTS_OUTBOUND_ALLOW): `private` opens loopback, private and other special-purpose
 * ranges; CIDR ranges open exactly themselves (even link-local, when written out).
 */
export interface OutboundPolicy {
  allowPrivate: boolean
  allowRanges: readonly (readonly [Address, number])[]
}

export const PUBLIC_ONLY: OutboundPolicy = { allowPrivate: false, allowRanges: [] }

/** Parses `private, 10.1.0.0/16, 192.168.4.7, fd00::/8` (empty: public addresses only). */
export function parseOutboundAllow(
  text: string | undefined,
  setting = 'OPENINSIGHTS_OUTBOUND_ALLOW',
): OutboundPolicy {
  const policy = { allowPrivate: false, allowRanges: [] as [Address, number][] }
  for (const part of (text ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    if (part === 'private') {
      policy.allowPrivate = true
      continue
    }
    try {
      policy.allowRanges.push(
        part.includes('/')
          ? ipaddr.parseCIDR(part)
          : [ipaddr.parse(part), ipaddr.parse(part).kind() === 'ipv4' ? 32 : 128],
      )
    } catch {
      throw new Error(
        `${setting}: '${part}' is neither 'private' nor an address or CIDR range (e.g. 10.0.0.0/8, fd00::/8)`,
      )
    }
  }
  return policy
}

/** The verdict on one address: allowed, or why not (the address as parsed, its range). */
export type AddressVerdict =
  | { allowed: true }
  | {
      allowed: false
      code: 'ForbiddenAddress' | 'PrivateAddress'
      /** The special-purpose range (ipaddr.js's name, or ours: metadata, unassigned, …). */
      range: string
      address: string
      /** The IPv4 address an IPv6 form carries, when that is what was judged. */
      carries?: string
    }

/** Never reachable, whatever the policy: these are not hosts (or not ones to call). */
const NEVER = new Set(['unspecified', 'broadcast', 'multicast'])
/** Special ranges only a CIDR range written by an admin opens: cloud metadata lives here. */
const FORBIDDEN = new Set(['linkLocal'])
/** Metadata services outside link-local (Alibaba Cloud, AWS over IPv6). */
const METADATA = [ipaddr.parseCIDR('100.100.100.200/32'), ipaddr.parseCIDR('fd00:ec2::254/128')]
const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3')
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96')

/**
 * Judges an address by its parsed bytes (never its text): an IPv6 form that carries an IPv4
 * address (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, IPv4-compatible `::a.b.c.d`, 6to4)
 * is judged as that IPv4 address too; anything that is not plain public unicast needs the policy.
 */
export function judgeAddress(text: string, policy: OutboundPolicy): AddressVerdict {
  let address: Address
  try {
    address = ipaddr.parse(text.replace(/^\[|\]$/g, '').replace(/%.*$/, ''))
  } catch {
    return { allowed: false, code: 'ForbiddenAddress', range: 'unparsable', address: text }
  }
  const shown = address.toString()
  const range = rangeOf(address)
  if (NEVER.has(range)) return { allowed: false, code: 'ForbiddenAddress', range, address: shown }
  const inAllowed = policy.allowRanges.some(
    ([base, bits]) => sameKind(address, base) && address.match(base, bits),
  )
  const embedded = embeddedIPv4(address)
  if (embedded) {
    const inner = judgeAddress(embedded.toString(), policy)
    if (!inner.allowed && !inAllowed) return { ...inner, address: shown, carries: embedded.toString() }
    return { allowed: true }
  }
  if (inAllowed || range === 'unicast') return { allowed: true }
  if (FORBIDDEN.has(range) || range === 'metadata')
    return { allowed: false, code: 'ForbiddenAddress', range, address: shown }
  if (policy.allowPrivate) return { allowed: true }
  return { allowed: false, code: 'PrivateAddress', range, address: shown }
}

function rangeOf(address: Address): string {
  if (METADATA.some(([base, bits]) => sameKind(address, base) && address.match(base, bits))) return 'metadata'
  const range = address.range()
  if (address.kind() === 'ipv6' && range === 'unicast') {
    // Only 2000::/3 is handed out as global unicast; the rest is unassigned or special.
    const v6 = address as ipaddr.IPv6
    if (v6.match(IPV4_COMPATIBLE)) return 'ipv4Compatible'
    if (!v6.match(GLOBAL_UNICAST)) return 'unassigned'
  }
  return range
}

/** The IPv4 address an IPv6 form carries, when it is one of the forms that do. */
function embeddedIPv4(address: Address): ipaddr.IPv4 | undefined {
  if (address.kind() !== 'ipv6') return undefined
  const v6 = address as ipaddr.IPv6
  const range = rangeOf(v6)
  const bytes = v6.toByteArray()
  if (['ipv4Mapped', 'rfc6145', 'rfc6052', 'ipv4Compatible'].includes(range))
    return new ipaddr.IPv4(bytes.slice(12, 16))
  if (range === '6to4') return new ipaddr.IPv4(bytes.slice(2, 6))
  return undefined
}

function sameKind(a: Address, b: Address): boolean {
  return a.kind() === b.kind()
}

const RANGE_TEXT: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private-network address',
  uniqueLocal: 'a private-network (unique local) address',
  carrierGradeNat: 'a carrier-grade NAT address',
  linkLocal: 'a link-local address (cloud metadata services live there)',
  metadata: 'a cloud metadata service',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
  unassigned: 'an unassigned IPv6 address',
  teredo: 'a Teredo tunnel address',
}

/**
 * The verdict in words: "::ffff:7f00:1 (which carries 127.0.0.1) is a loopback address", or with
 * the host name that resolved to it: "intranet resolves to 10.0.0.5, a private-network address".
 */
export function describeVerdict(verdict: Exclude<AddressVerdict, { allowed: true }>, host?: string): string {
  const carries = verdict.carries ? ` (which carries ${verdict.carries})` : ''
  const kind = RANGE_TEXT[verdict.range] ?? `a special-purpose (${verdict.range}) address`
  return host
    ? `${host} resolves to ${verdict.address}${carries}, ${kind}`
    : `${verdict.address}${carries} is ${kind}`
}

import { type LookupAddress, lookup } from 'node:dns'
import { isIP } from 'node:net'
import { Agent } from 'undici'
import { AppError } from '../errors.js'
import { type AddressVerdict, describeVerdict, judgeAddress, type OutboundPolicy } from './address-policy.js'

/** Verdicts a guard remembers (by address) before it starts again. */
const VERDICTS_KEPT = 1024

/** Resolves a host name to all its addresses (dns.lookup by default; tests give their own). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    lookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  )

/** An outbound call the guard refused, or a URL it cannot call. Not retryable. */
export class OutboundRefused extends AppError {
  constructor(
    code: 'ForbiddenAddress' | 'PrivateAddress' | 'InvalidUrl' | 'HostNotFound',
    message: string,
    target = 'url',
  ) {
    super(code, message, { target, retryable: code === 'HostNotFound' })
    this.name = 'OutboundRefused'
  }
}

/**
 * The one gate every outbound call passes (webhook deliveries, flow HTTP/Teams/e-mail actions):
 * http(s) only, and every address judged by its parsed bytes — an address written in the URL
 * before the call, a host name's addresses as the connection is made, so a name that resolves
 * differently between a check and the call (DNS rebinding) cannot slip through.
 */
export class OutboundGuard {
  private readonly agents = new Map<string, Agent>()
  private readonly verdicts = new Map<string, AddressVerdict>()

  constructor(
    readonly policy: OutboundPolicy,
    private readonly resolver: Resolver = systemResolver,
  ) {}

  /** Parses and checks a URL about to be called or saved; throws OutboundRefused. */
  checkUrl(text: string, target = 'url'): URL {
    let url: URL
    try {
      url = new URL(text)
    } catch {
      throw new OutboundRefused('InvalidUrl', `'${text}' is not an absolute URL`, target)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new OutboundRefused(
        'InvalidUrl',
        `only http and https URLs can be called, not ${url.protocol}`,
        target,
      )
    // WHATWG URL parsing has already turned 2130706433, 0x7f.1 and 0177.0.0.1 into 127.0.0.1.
    const host = url.hostname.replace(/^\[|\]$/g, '')
    if (isIP(host)) this.checkAddress(host, host, target)
    return url
  }

  /**
   * checkUrl, and for a host name also its current addresses: for saving a URL (a subscription's
   * callback), so a refused receiver is told at once rather than at each delivery.
   */
  async checkUrlNow(text: string, target = 'url'): Promise<URL> {
    const url = this.checkUrl(text, target)
    const host = url.hostname.replace(/^\[|\]$/g, '')
    if (!isIP(host))
      for (const { address } of await this.resolve(host, target)) this.checkAddress(host, address, target)
    return url
  }

  /** The addresses of a host that may be called (for clients that connect by address, e.g. SMTP). */
  async allowedAddresses(host: string, target = 'host'): Promise<string[]> {
    const bare = host.replace(/^\[|\]$/g, '')
    const addresses = isIP(bare) ? [bare] : (await this.resolve(bare, target)).map((a) => a.address)
    for (const address of addresses) this.checkAddress(host, address, target)
    return addresses
  }

  /** Throws OutboundRefused unless the policy allows calling `address` (which `host` named). */
  checkAddress(host: string, address: string, target = 'url'): void {
    const verdict = this.verdict(address)
    if (verdict.allowed) return
    const named = host.replace(/^\[|\]$/g, '') !== address
    const what = describeVerdict(verdict, named ? host : undefined)
    throw verdict.code === 'ForbiddenAddress'
      ? new OutboundRefused(
          'ForbiddenAddress',
          `${what}: never called, unless an admin names its range in OPENINSIGHTS_OUTBOUND_ALLOW`,
          target,
        )
      : new OutboundRefused(
          'PrivateAddress',
          `${what}: outbound calls reach public addresses only, unless an admin allows more with OPENINSIGHTS_OUTBOUND_ALLOW=private (or CIDR ranges)`,
          target,
        )
  }

  /**
   * The policy's verdict on an address (as the caller wrote or DNS gave it), remembered: a flow
   * calls the same few addresses over and over, and the policy does not change in a process.
   */
  private verdict(address: string): AddressVerdict {
    let verdict = this.verdicts.get(address)
    if (verdict === undefined) {
      verdict = judgeAddress(address, this.policy)
      if (this.verdicts.size >= VERDICTS_KEPT) this.verdicts.clear()
      this.verdicts.set(address, verdict)
    }
    return verdict
  }

  /**
   * A connection pool whose every connection is made to checked addresses: its DNS lookup
   * refuses what the policy refuses. Kept per option set, alive across calls.
   */
  dispatcher(options: { connections?: number; keepAliveTimeout?: number } = {}): Agent {
    const key = JSON.stringify(options)
    let agent = this.agents.get(key)
    if (!agent) {
      agent = new Agent({ ...options, connect: { lookup: this.connectLookup() as never } })
      this.agents.set(key, agent)
    }
    return agent
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((agent) => agent.close()))
    this.agents.clear()
  }

  private async resolve(host: string, target: string): Promise<LookupAddress[]> {
    let addresses: LookupAddress[]
    try {
      addresses = await this.resolver(host)
    } catch {
      addresses = []
    }
    if (addresses.length === 0) throw new OutboundRefused('HostNotFound', `cannot resolve ${host}`, target)
    return addresses
  }

  private connectLookup() {
    return (
      hostname: string,
      options: { all?: boolean },
      callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
    ): void => {
      this.resolve(hostname, 'url')
        .then((addresses) => {
          for (const { address } of addresses) this.checkAddress(hostname, address)
          const [first] = addresses as [LookupAddress]
          if (options.all) callback(null, addresses)
          else callback(null, first.address, first.family)
        })
        .catch((error: Error) => callback(error, options.all ? [] : ''))
    }
  }
}

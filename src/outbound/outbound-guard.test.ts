import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OUTBOUND_TABLE, testResolver } from '../../test/helpers/outbound-table.js'
import { judgeAddress, PUBLIC_ONLY, parseOutboundAllow } from './address-policy.js'
import { OutboundGuard } from './outbound-guard.js'

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'allowed',
    (error: { code?: string }) => error.code ?? String(error),
  )

describe('the outbound guard', () => {
  it.each(OUTBOUND_TABLE)('%s → %s', async (url, expected) => {
    const guard = new OutboundGuard(PUBLIC_ONLY, testResolver)
    expect(await outcome(guard.checkUrlNow(url))).toBe(expected)
  })

  it("opens private ranges with 'private' but never link-local, metadata or unspecified", async () => {
    const guard = new OutboundGuard(parseOutboundAllow('private'), testResolver)
    expect(await outcome(guard.checkUrlNow('http://127.0.0.1/'))).toBe('allowed')
    expect(await outcome(guard.checkUrlNow('http://[::ffff:10.0.0.1]/'))).toBe('allowed')
    expect(await outcome(guard.checkUrlNow('http://internal.test/'))).toBe('allowed')
    for (const url of ['http://169.254.169.254/', 'http://[::ffff:169.254.169.254]/', 'http://0.0.0.0/'])
      expect(await outcome(guard.checkUrlNow(url))).toBe('ForbiddenAddress')
  })

  it('opens exactly the CIDR ranges an admin writes', async () => {
    const guard = new OutboundGuard(
      parseOutboundAllow('10.1.0.0/16, 169.254.10.0/24, fd00::/8'),
      testResolver,
    )
    expect(await outcome(guard.checkUrlNow('http://internal.test/'))).toBe('allowed')
    expect(await outcome(guard.checkUrlNow('http://10.2.0.1/'))).toBe('PrivateAddress')
    expect(await outcome(guard.checkUrlNow('http://169.254.10.5/'))).toBe('allowed')
    expect(await outcome(guard.checkUrlNow('http://169.254.169.254/'))).toBe('ForbiddenAddress')
    expect(await outcome(guard.checkUrlNow('http://[fd12::1]/'))).toBe('allowed')
    expect(await outcome(guard.checkUrlNow('http://[::ffff:10.1.9.9]/'))).toBe('allowed')
    expect(() => parseOutboundAllow('10.0.0.0/33')).toThrow(/OPENINSIGHTS_OUTBOUND_ALLOW: '10.0.0.0\/33'/)
    expect(() => parseOutboundAllow('everything')).toThrow(/neither 'private' nor/)
  })

  it('answers each address as the policy does, remembered or not, past the number it remembers', () => {
    const policy = parseOutboundAllow('10.1.0.0/16, fd00::/8')
    const guard = new OutboundGuard(policy, testResolver)
    const verdictOf = (address: string) => {
      try {
        guard.checkAddress(address, address)
        return 'allowed'
      } catch (error) {
        return (error as { code: string }).code
      }
    }
    const expected = (address: string) => {
      const verdict = judgeAddress(address, policy)
      return verdict.allowed ? 'allowed' : verdict.code
    }
    const address = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.constantFrom('10.1.2.3', '10.2.0.1', '127.0.0.1', '::ffff:10.1.0.9', '169.254.169.254', 'fd00::1'),
    )
    // Each address asked several times, 3,000 in all: more than the guard keeps (1,024).
    fc.assert(
      fc.property(fc.array(address, { minLength: 1, maxLength: 30 }), (addresses) => {
        for (const a of [...addresses, ...addresses]) expect(verdictOf(a), a).toBe(expected(a))
      }),
      { numRuns: 100 },
    )
  })

  it('judges addresses by their bytes, whatever their spelling', () => {
    for (const spelling of [
      '127.0.0.1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::127.0.0.1',
      '64:ff9b::7f00:1',
    ])
      expect(judgeAddress(spelling, PUBLIC_ONLY)).toMatchObject({ allowed: false, code: 'PrivateAddress' })
    expect(judgeAddress('not an address', PUBLIC_ONLY)).toMatchObject({ allowed: false })
  })

  describe('at connect time', () => {
    let server: Server
    let port: number
    beforeAll(async () => {
      server = createServer((_req, res) => res.end('reached'))
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      port = (server.address() as AddressInfo).port
    })
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

    it('refuses a name that resolved to a public address when saved and to loopback when called', async () => {
      let lookups = 0
      // DNS rebinding: the first answer is public, every later one loopback.
      const rebinding = async (host: string) =>
        host === 'rebind.test' && lookups++ === 0
          ? [{ address: '93.184.216.34', family: 4 }]
          : [{ address: '127.0.0.1', family: 4 }]
      const guard = new OutboundGuard(PUBLIC_ONLY, rebinding)
      const url = await guard.checkUrlNow(`http://rebind.test:${port}/`)
      await expect(request(url, { dispatcher: guard.dispatcher() })).rejects.toMatchObject({
        code: 'PrivateAddress',
      })
      await guard.close()
    })

    it('reaches an address the policy allows, through its checked pool', async () => {
      const guard = new OutboundGuard(parseOutboundAllow('127.0.0.0/8'), async () => [
        { address: '127.0.0.1', family: 4 },
      ])
      const response = await request(guard.checkUrl(`http://sink.test:${port}/`), {
        dispatcher: guard.dispatcher(),
      })
      expect(await response.body.text()).toBe('reached')
      await guard.close()
    })
  })
})

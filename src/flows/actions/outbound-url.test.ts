import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkOutboundUrl, outboundRequest } from './outbound-url.js'

describe('outbound requests of flows', () => {
  let server: Server
  let port: number
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const call = (url: string, allowPrivate: boolean) =>
    outboundRequest(
      checkOutboundUrl(url, allowPrivate),
      { method: 'GET', headers: {}, signal: AbortSignal.timeout(5000) },
      allowPrivate,
    )

  it('refuses metadata and (unless allowed) private addresses written in the URL', () => {
    expect(() => checkOutboundUrl('http://169.254.169.254/latest/', true)).toThrow(/link-local/)
    expect(() => checkOutboundUrl(`http://127.0.0.1:${port}/`, false)).toThrow(/private address/)
    expect(() => checkOutboundUrl('ftp://example.com/', true)).toThrow(/only http and https/)
  })

  it('checks the addresses a host name resolves to when it connects', async () => {
    await expect(call(`http://localhost:${port}/`, false)).rejects.toMatchObject({ code: 'PrivateAddress' })
    await expect(call(`http://localhost:${port}/`, true)).resolves.toMatchObject({ status: 200, text: 'ok' })
    await expect(call(`http://no-such-host.invalid:${port}/`, true)).rejects.toMatchObject({
      code: 'HostNotFound',
    })
  })
})

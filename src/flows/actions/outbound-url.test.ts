import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OutboundGuard, PUBLIC_ONLY, parseOutboundAllow } from '../../outbound/index.js'
import { ActionFailure } from '../engine/action-failure.js'
import { outboundRequest } from './outbound-url.js'

/** A local server: /echo answers what it got, /big `size` bytes, /slow nothing until closed, /headers a repeated header. */
let server: Server
let base: string
const guard = new OutboundGuard(parseOutboundAllow('127.0.0.0/8'))

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      if (url.pathname === '/echo') {
        res.setHeader('content-type', 'application/json')
        res.end(
          JSON.stringify({ method: req.method, query: url.search, type: req.headers['content-type'], body }),
        )
      } else if (url.pathname === '/big') {
        const size = Number(url.searchParams.get('size'))
        // In pieces, as a large answer comes.
        const piece = Buffer.alloc(16 * 1024, 'x')
        let sent = 0
        const more = () => {
          while (sent < size) {
            const part = piece.subarray(0, Math.min(piece.length, size - sent))
            sent += part.length
            if (!res.write(part)) return void res.once('drain', more)
          }
          res.end()
        }
        more()
      } else if (url.pathname === '/headers') {
        res.setHeader('x-many', ['a', 'b'])
        res.statusCode = 503
        res.end('busy')
      }
      // /slow: never answered.
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

const send = (path: string, options: { signal?: AbortSignal; maxBytes?: number; method?: string } = {}) =>
  outboundRequest(
    new URL(`${base}${path}`),
    {
      method: options.method ?? 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
      signal: options.signal ?? AbortSignal.timeout(10_000),
    },
    guard,
    options.maxBytes,
  )

describe('outboundRequest', () => {
  it('sends method, path with query, headers and body, and answers status, headers and text', async () => {
    const response = await send('/echo?x=1&y=%20')
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('application/json')
    expect(JSON.parse(response.text)).toEqual({
      method: 'POST',
      query: '?x=1&y=%20',
      type: 'application/json',
      body: '{"a":1}',
    })
  })

  it('joins a repeated header and answers a non-2xx status as it came', async () => {
    const response = await send('/headers')
    expect(response.status).toBe(503)
    expect(response.headers['x-many']).toBe('a, b')
    expect(response.text).toBe('busy')
  })

  it('takes a body up to the limit, in many pieces', async () => {
    const response = await send('/big?size=300000', { maxBytes: 300_000 })
    expect(response.text.length).toBe(300_000)
  })

  it('fails a body over the limit without retrying, and keeps nothing of it', async () => {
    const failure = await send('/big?size=300001', { maxBytes: 300_000 }).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(ActionFailure)
    expect((failure as ActionFailure).code).toBe('ResponseTooLarge')
    expect((failure as ActionFailure).options.retryable).toBe(false)
  })

  it('ends a request with no answer when its signal aborts, as a retryable timeout', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 200)
    const started = Date.now()
    const failure = await send('/slow', { signal: controller.signal }).catch((e: unknown) => e)
    expect(Date.now() - started).toBeLessThan(5_000)
    expect((failure as ActionFailure).code).toBe('Timeout')
    expect((failure as ActionFailure).options).toMatchObject({ timedOut: true, retryable: true })
  })

  it('does not send at all with a signal already aborted', async () => {
    const failure = await send('/echo', { signal: AbortSignal.abort() }).catch((e: unknown) => e)
    expect((failure as ActionFailure).code).toBe('Timeout')
  })

  it('answers a refused connection as a retryable ConnectionFailed', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const failure = await outboundRequest(
      new URL(`http://127.0.0.1:${port}/`),
      { method: 'GET', headers: {}, signal: AbortSignal.timeout(10_000) },
      guard,
    ).catch((e: unknown) => e)
    expect((failure as ActionFailure).code).toBe('ConnectionFailed')
    expect((failure as ActionFailure).options.retryable).toBe(true)
  })

  it("refuses an address the guard's policy does not allow, as the connection is made", async () => {
    const strict = new OutboundGuard(PUBLIC_ONLY, async () => [{ address: '127.0.0.1', family: 4 }])
    const port = new URL(base).port
    const failure = await outboundRequest(
      new URL(`http://loopback.test:${port}/echo`),
      { method: 'GET', headers: {}, signal: AbortSignal.timeout(10_000) },
      strict,
    ).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(ActionFailure)
    expect((failure as ActionFailure).options.retryable).toBe(false)
    expect((failure as ActionFailure).code).not.toBe('ConnectionFailed')
  })
})

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedRequest {
  path: string
  headers: IncomingHttpHeaders
  body: string
  at: number
}

/** How a receiver path answers its n-th request (1-based). */
export type Behaviour = (n: number) => {
  status: number
  headers?: Record<string, string>
  body?: string
  delayMs?: number
}

/** A real HTTP server on 127.0.0.1 that records every request and answers per path. */
export interface WebhookReceiver {
  url: string
  received: ReceivedRequest[]
  on(path: string, behaviour: Behaviour): void
  requestsTo(path: string): ReceivedRequest[]
  close(): Promise<void>
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = []
  const behaviours = new Map<string, Behaviour>()
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (c: Buffer) => chunks.push(c))
    request.on('end', () => {
      const path = (request.url ?? '/').split('?')[0] as string
      received.push({
        path,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      })
      const n = received.filter((r) => r.path === path).length
      const behaviour: Behaviour = behaviours.get(path) ?? (() => ({ status: 200, body: 'ok' }))
      const answer = behaviour(n)
      const reply = () => {
        if (response.destroyed) return
        response.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers })
        response.end(answer.body ?? '')
      }
      if (answer.delayMs) setTimeout(reply, answer.delayMs).unref()
      else reply()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    on: (path, behaviour) => behaviours.set(path, behaviour),
    requestsTo: (path) => received.filter((r) => r.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

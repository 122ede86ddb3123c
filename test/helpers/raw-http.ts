import { connect } from 'node:net'

export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/**
 * Sends one HTTP/1.1 request exactly as written (request line, headers, body) over a fresh
 * connection: for targets a client library would normalise (`/%61pi`, `//api`, absolute form).
 */
export function rawRequest(
  port: number,
  method: string,
  target: string,
  options: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  const body = options.body === undefined ? undefined : Buffer.from(options.body)
  const headers: Record<string, string> = {
    host: `127.0.0.1:${port}`,
    connection: 'close',
    ...(body ? { 'content-length': String(body.length) } : {}),
    ...options.headers,
  }
  const head = `${method} ${target} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.setTimeout(30_000, () => socket.destroy(new Error(`no answer to ${method} ${target}`)))
    socket.on('data', (chunk) => chunks.push(chunk))
    // A server may answer (413) and close before the whole body is written: keep its answer.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!['EPIPE', 'ECONNRESET'].includes(error.code ?? '')) reject(error)
    })
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const [headText = '', ...rest] = text.split('\r\n\r\n')
      const [statusLine = '', ...headerLines] = headText.split('\r\n')
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0)
      const parsed: Record<string, string> = {}
      for (const line of headerLines) {
        const at = line.indexOf(':')
        if (at > 0) parsed[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim()
      }
      resolve({ status, headers: parsed, body: rest.join('\r\n\r\n') })
    })
    socket.write(head)
    if (body) socket.write(body)
  })
}

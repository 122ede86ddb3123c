import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../src/server/auth/api-key-service.js'
import { type DocumentedOperation, startApiServer } from './helpers/api-server.js'
import { rawRequest } from './helpers/raw-http.js'

const deep = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`

/** Bodies nobody here wrote: JSON of any shape, deep, large, broken, or not JSON at all. */
const body = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }).map((v) => ({ type: 'application/json', text: JSON.stringify(v) })),
  fc.integer({ min: 60, max: 20_000 }).map((d) => ({ type: 'application/json', text: deep(d) })),
  fc.integer({ min: 60, max: 20_000 }).map((d) => ({ type: 'application/json', text: deepObject(d) })),
  fc.integer({ min: 1, max: 3 }).map((mb) => ({
    type: 'application/json',
    text: JSON.stringify({
      details: 'x'.repeat(mb * 1024 * 1024),
      definition: {},
      runId: 'r',
      status: 'Failed',
    }),
  })),
  fc.string({ maxLength: 200 }).map((text) => ({ type: 'application/json', text })),
  fc.constant({ type: 'application/json', text: '{"__proto__":{"admin":true}}' }),
  fc.constant({ type: 'application/json', text: '{"constructor":{"prototype":{"x":1}}}' }),
  fc.string({ maxLength: 200 }).map((text) => ({ type: 'text/plain', text })),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => ({
    type: 'application/octet-stream',
    text: Buffer.from(bytes).toString('latin1'),
  })),
  fc
    .constantFrom('application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml')
    .map((type) => ({ type, text: 'a=1&b=2' })),
)

/** Path parameters and query strings of any kind, encoded as a client would send them. */
const param = fc.oneof(
  fc.constantFrom(
    'acme',
    'x',
    'UnifiedCustomer',
    '0',
    '-1',
    '..',
    '%2e%2e',
    'a%00b',
    "O'Brien",
    '(1)',
    'a b',
  ),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.string({ minLength: 300, maxLength: 2000 }).map(encodeURIComponent),
)
const query = fc.oneof(
  fc.constant(''),
  fc
    .array(
      fc.tuple(
        fc.constantFrom(
          '$filter',
          '$top',
          '$skip',
          '$select',
          '$orderby',
          '$count',
          'before',
          'order',
          'runId',
          'x',
        ),
        fc.string({ maxLength: 80 }),
      ),
      { maxLength: 4 },
    )
    .map(
      (pairs) => `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`,
    ),
)
const headers = fc.dictionary(
  fc.constantFrom(
    'x-api-key',
    'authorization',
    'accept',
    'x-ms-notification-url',
    'cookie',
    'x-openinsights-ui',
    'x-forwarded-for',
  ),
  fc.string({ maxLength: 100 }).map((v) => v.replace(/[\r\n\0]/g, '')),
  { maxKeys: 3 },
)

/**
 * Random bodies, depths, sizes, parameters and headers against every route of the OpenAPI
 * document, with an admin key (so requests get past authentication to the routes themselves):
 * never a 5xx, and the server still answers afterwards.
 */
describe('HTTP fuzzing of every route', () => {
  let server: Awaited<ReturnType<typeof startApiServer>>
  let port: number
  let admin: string
  let operations: DocumentedOperation[]

  beforeAll(async () => {
    server = await startApiServer()
    ;({ port, operations } = server)
    admin = (await createApiKey(server.runtime.db, { name: 'admin', scopes: ['admin'], rateLimit: 0 })).key
  }, 60_000)
  afterAll(() => server?.close())

  it('answers every request with a status below 500 and an error body in the one shape', async () => {
    const failures: string[] = []
    for (const op of operations) {
      await fc.assert(
        fc.asyncProperty(body, param, query, headers, fc.boolean(), async (b, p, q, h, keyFirst) => {
          const path = op.template.replace(/\{(\w+)\}/g, (_, name: string) =>
            name === 'instanceId' ? 'acme' : p,
          )
          const sendsBody = ['POST', 'PUT', 'PATCH'].includes(op.method)
          const response = await rawRequest(port, op.method, `${path}${q}`, {
            headers: {
              ...h,
              ...(keyFirst ? { 'x-api-key': admin } : { 'x-api-key': admin, ...h }),
              ...(sendsBody ? { 'content-type': b.type } : {}),
            },
            ...(sendsBody ? { body: Buffer.from(b.text, 'latin1') } : {}),
          })
          if (response.status >= 500 || response.status === 0)
            failures.push(
              `${op.method} ${path}${q.slice(0, 80)} (${b.type}, ${b.text.length} bytes): ${response.status} ${response.body.slice(0, 200)}`,
            )
          if (response.status >= 400 && response.headers['content-type']?.includes('json')) {
            const parsed = JSON.parse(response.body)
            if (!/^\w+$/.test(String(parsed.error?.code)))
              failures.push(`${op.method} ${path}: error body ${response.body.slice(0, 200)}`)
          }
        }),
        {
          numRuns: Number(process.env.FUZZ_RUNS ?? 10),
          seed: Number(process.env.FUZZ_SEED ?? Date.now() % 100000),
        },
      )
    }
    expect(failures).toEqual([])
    expect((await rawRequest(port, 'GET', '/api/v1/health')).status).toBe(200)
  })

  it('refuses too deep JSON with 400 and too large bodies with 413, on the routes that took them', async () => {
    const send = (url: string, text: string, method = 'POST') =>
      rawRequest(port, method, url, {
        headers: { 'x-api-key': admin, 'content-type': 'application/json' },
        body: text,
      })
    for (const [method, url] of [
      ['PUT', '/api/v1/instances/acme/flows/Deep'],
      ['POST', '/api/v1/instances/acme/statusreports'],
      ['PUT', '/api/v1/instances/acme/config'],
    ] as const) {
      const response = await send(url, `{"definition":${deep(10_000)},"details":${deep(10_000)}}`, method)
      expect(response.status, url).toBe(400)
      expect(JSON.parse(response.body).error.code).toBe('JsonTooDeep')
    }
    const big = JSON.stringify({ runId: 'r', status: 'Failed', details: 'x'.repeat(9 * 1024 * 1024) })
    const tooLarge = await send('/api/v1/instances/acme/statusreports', big)
    expect(tooLarge.status).toBe(413)
    expect(JSON.parse(tooLarge.body).error.code).toBe('PayloadTooLarge')
    const report = JSON.stringify({ runId: 'r', status: 'Failed', details: 'x'.repeat(70 * 1024) })
    expect((await send('/api/v1/instances/acme/statusreports', report)).status).toBe(413)
    const fine = JSON.stringify({ runId: 'r', status: 'Failed', details: { nested: deep(30) } })
    expect((await send('/api/v1/instances/acme/statusreports', fine)).status).toBe(201)
  })
})

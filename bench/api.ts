/**
 * npm run bench:api [-- --rows 1000000 --requests 200 --deliveries 2000]
 *
 * (a) "Get items from an entity": a filtered page of 1,000 rows of a 1M-row entity over HTTP with
 *     a key (authentication and the rate-limit counter included), against the same DuckDB query
 *     run directly plus a bare Fastify route serving the same 1,000 rows — the floor.
 * (b) Webhook deliveries per second to a local receiver (events → dispatcher → signed, logged
 *     deliveries), against bare undici POSTs of the same bodies to the same receiver at the
 *     same concurrency.
 * Everything runs on 127.0.0.1, embedded store, in one run.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Fastify from 'fastify'
import { ulid } from 'ulid'
import { Agent, request } from 'undici'
import { createSubscription, signatureHeaders } from '../src/connector/webhooks/index.js'
import { versionFiles } from '../src/pipeline/index.js'
import { selectFromParquet } from '../src/pipeline/sql/duckdb-sql.js'
import { parseEntityQuery, SqlSession, sql } from '../src/query/index.js'
import { createLogger, openRuntime, readSettings } from '../src/runtime/index.js'
import { createApiKey } from '../src/server/auth/api-key-service.js'
import { buildApp } from '../src/server/index.js'
import { getEntity } from '../src/store/entities.js'
import { insertEvents } from '../src/store/events.js'
import { upsertInstance } from '../src/store/instances.js'
import { publishGeneratedEntity } from './bench-entities.js'
import { argument, killOnExit, median, printResult, timeLimit } from './bench-utils.js'

timeLimit('api', 20)

const rows = argument('rows', 1_000_000)
const requests = argument('requests', 200)
const deliveries = argument('deliveries', 2000)
const concurrency = argument('concurrency', 64)
const work = resolve(import.meta.dirname, '.work', 'api')
const home = join(work, 'home')
rmSync(home, { recursive: true, force: true })
mkdirSync(home, { recursive: true })

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6

const runtime = await openRuntime({
  settings: readSettings({
    OPENINSIGHTS_HOME: home,
    OPENINSIGHTS_OUTBOUND_ALLOW: '127.0.0.0/8',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  }),
  role: 'all',
  logger: createLogger('warn'),
  deliveryConcurrency: concurrency,
})
await upsertInstance(runtime.db, { id: 'bench', name: 'Bench' })

// A 1M-row entity in 4 partitions.
await publishGeneratedEntity(runtime, {
  instanceId: 'bench',
  name: 'customers',
  rows,
  partitions: 4,
  columns: sql`(range + 1)::BIGINT as customer_id,
      ['Anne','Bo','Carl','Dorte','Erik','Frida','Gustav','Hanne'][range % 8 + 1] as first_name,
      'Surname' || (range % 5000) as last_name,
      'user' || range || '@example.com' as email,
      ['Aarhus','Odense','Aalborg','København','Esbjerg'][range % 5 + 1] as city,
      (18 + range % 70)::INTEGER as age,
      round((range % 100000) / 7.0, 2)::DOUBLE as lifetime_value,
      date '1950-01-01' + (range % 20000)::int as birth_date`,
  schema: [
    { name: 'customer_id', type: 'BIGINT' },
    { name: 'first_name', type: 'VARCHAR' },
    { name: 'last_name', type: 'VARCHAR' },
    { name: 'email', type: 'VARCHAR' },
    { name: 'city', type: 'VARCHAR' },
    { name: 'age', type: 'INTEGER' },
    { name: 'lifetime_value', type: 'DOUBLE' },
    { name: 'birth_date', type: 'DATE' },
  ],
  keyColumn: 'customer_id',
})

const app = await buildApp(runtime)
const base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '')
// A connection with a limit high enough not to refuse, so its counter is part of every call.
const { key } = await createApiKey(runtime.db, { name: 'bench', scopes: ['read'], rateLimit: 100_000_000 })
const filter = "city eq 'Aarhus' and age ge 30 and contains(email, '7')"
const query = { $filter: filter, $top: '1000', $skip: '20000' }
const url = `${base}/api/v1/instances/bench/data/customers?${new URLSearchParams(query)}`
const agent = new Agent({ connections: 4 })

async function get(target: string, headers: Record<string, string> = {}) {
  const start = process.hrtime.bigint()
  const response = await request(target, { dispatcher: agent, headers })
  const body = await response.body.text()
  if (response.statusCode !== 200) throw new Error(`${response.statusCode}: ${body.slice(0, 300)}`)
  return { ms: ms(start), body }
}

// The same query run directly on DuckDB (built by the same code, so the same SQL).
const entity = (await getEntity(runtime.db, 'bench', 'customers'))!
const parsed = parseEntityQuery(query, entity.current.schema, entity.current.keyColumn)
const directSql = selectFromParquet(versionFiles(entity.current), {
  columns: parsed.select,
  where: parsed.where,
  orderBy: parsed.orderBy,
  limit: parsed.pageSize + 1,
  offset: parsed.skip,
})
async function direct() {
  const start = process.hrtime.bigint()
  const session = await SqlSession.open(runtime.duck)
  const rowsOut = await session.rows(directSql)
  session.close()
  return { ms: ms(start), rows: rowsOut.length }
}

// The floor: a bare Fastify route answering the same 1,000 rows.
const page = JSON.parse((await get(url, { 'x-api-key': key })).body)
const bare = Fastify()
bare.get('/rows', async () => page)
const bareBase = (await bare.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '')

console.log(`(a) ${rows.toLocaleString()} rows; $filter=${filter}; page of ${page.value.length}`)
for (let i = 0; i < 20; i++) {
  await get(url, { 'x-api-key': key })
  await direct()
  await get(`${bareBase}/rows`)
}
const apiMs: number[] = []
const directMs: number[] = []
const bareMs: number[] = []
for (let i = 0; i < requests; i++) {
  apiMs.push((await get(url, { 'x-api-key': key })).ms)
  directMs.push((await direct()).ms)
  bareMs.push((await get(`${bareBase}/rows`)).ms)
}
const apiP50 = median(apiMs)
const floor = median(directMs) + median(bareMs)
const apiRatio = apiP50 / floor
console.log(
  `    API p50 ${apiP50.toFixed(1)} ms, p99 ${percentile(apiMs, 99).toFixed(1)} ms; DuckDB direct p50 ${median(directMs).toFixed(1)} ms + bare Fastify p50 ${median(bareMs).toFixed(1)} ms = ${floor.toFixed(1)} ms; ratio ${apiRatio.toFixed(2)} (goal ≤ 1.5)`,
)
await bare.close()

// (b) Webhook deliveries. The receiver runs in its own process so it does not share our event loop.
const receiver = spawn(
  process.execPath,
  [
    '-e',
    `
  const http = require('node:http'); let n = 0
  const server = http.createServer((req, res) => { req.resume(); req.on('end', () => { n++; res.writeHead(204); res.end() }) })
  server.keepAliveTimeout = 30000
  server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port))
`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
)
killOnExit(receiver)
const receiverPort = await new Promise<number>((resolvePort) => {
  receiver.stdout!.on('data', (d: Buffer) => {
    const match = /port (\d+)/.exec(String(d))
    if (match) resolvePort(Number(match[1]))
  })
})
const callbackUrl = `http://127.0.0.1:${receiverPort}/hook`
const subscription = await createSubscription(runtime.db, runtime.outbound, {
  instanceId: 'bench',
  eventType: 'datasource.refresh.succeeded',
  callbackUrl,
  parameters: {},
})
const sampleData = {
  instanceId: 'bench',
  dataSourceName: 'crm_contacts',
  refreshId: ulid(),
  startedAt: new Date().toISOString(),
  completedAt: new Date().toISOString(),
  rowCount: 4420,
  rejectedRowCount: 0,
  error: null,
}

// Bare undici: the same signed bodies, same concurrency, same receiver.
const bareAgent = new Agent({ keepAliveTimeout: 10_000, connections: 64 })
const body = JSON.stringify({
  type: 'datasource.refresh.succeeded',
  timestamp: new Date().toISOString(),
  id: ulid(),
  instanceId: 'bench',
  subscriptionId: subscription.id,
  data: sampleData,
})
async function bareRun(count: number) {
  let next = 0
  const start = process.hrtime.bigint()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++
        const response = await request(callbackUrl, {
          method: 'POST',
          dispatcher: bareAgent,
          headers: {
            'content-type': 'application/json',
            ...signatureHeaders(subscription.secret, `${ulid()}:x`, body),
          },
          body,
        })
        await response.body.text()
      }
    }),
  )
  return count / (ms(start) / 1000)
}
await bareRun(200)
const barePerSecond = await bareRun(deliveries)

async function pipelineRun(count: number) {
  // The events are committed in one statement; what is timed is dispatch and delivery.
  // The events and their outbox entries, as appendEvent writes them.
  const events = Array.from({ length: count }, () => ({
    id: ulid(),
    instanceId: 'bench',
    type: 'datasource.refresh.succeeded',
    occurredAt: new Date().toISOString(),
    data: { ...sampleData, refreshId: ulid() },
  }))
  await insertEvents(runtime.db, events)
  const start = process.hrtime.bigint()
  runtime.nudgeEvents()
  let seen = -1
  let progressAt = Date.now()
  for (;;) {
    const done = await runtime.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('state', '=', 'succeeded')
      .executeTakeFirstOrThrow()
    const n = Number(done.n)
    if (n >= count) break
    if (n > seen) [seen, progressAt] = [n, Date.now()]
    // A benchmark ends too: no delivery for 30 s is a failure, not a long wait.
    else if (Date.now() - progressAt > 30_000)
      throw new Error(`deliveries stalled at ${n} of ${count} succeeded`)
    await new Promise((r) => setTimeout(r, 20))
  }
  return count / (ms(start) / 1000)
}
await pipelineRun(200)
await runtime.db.deleteFrom('deliveries').execute()
const oursPerSecond = await pipelineRun(deliveries)
const deliveryRatio = oursPerSecond / barePerSecond
console.log(
  `(b) ${deliveries} deliveries at concurrency ${concurrency}: ${oursPerSecond.toFixed(0)}/s (event → dispatcher → signed POST → attempt logged) vs bare undici ${barePerSecond.toFixed(0)}/s; ratio ${deliveryRatio.toFixed(2)} (goal ≥ 0.5)`,
)

receiver.kill()
await app.close()
await runtime.close()
printResult({
  rows,
  api_p50_ms: apiP50,
  api_p99_ms: percentile(apiMs, 99),
  duckdb_p50_ms: median(directMs),
  bare_fastify_p50_ms: median(bareMs),
  api_ratio: apiRatio,
  deliveries_per_s: oursPerSecond,
  bare_undici_per_s: barePerSecond,
  delivery_ratio: deliveryRatio,
})
process.exit(0)

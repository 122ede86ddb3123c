/**
 * npm run bench:flows [-- --events 1000]
 *
 * Events → a flow with one HTTP action → a local sink in its own process: executions per second
 * (first event appended → last request at the sink) and p99 latency (event appended → its request
 * at the sink). Ours runs the real path: outbox → dispatcher → flow trigger → durable run (each
 * action recorded) → HTTP. In the same run, the same flow on Node-RED 4.1 (installed from the npm
 * registry into bench/.work on first use; http in → http request → http response), fed the same
 * events over HTTP at the same concurrency; then bursts of 3,000 events to each (capacity: two
 * warm-up bursts, then five, medians compared; Node-RED at 64 and at 256 clients, its better
 * median kept). RESULT's `ratio` is the capacity ratio (goal ≥ 2); `steady_ratio` compares the
 * steady load, which both run at the rate it is offered. PostgreSQL: set DATABASE_URL.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { appendEvent, appendEvents } from '../src/events/index.js'
import { saveFlow } from '../src/flows/index.js'
import { createLogger, openRuntime, readSettings } from '../src/runtime/index.js'
import { upsertInstance } from '../src/store/instances.js'
import { argument, printResult } from './bench-utils.js'
import { refreshFailedEvent } from './refresh-failed-event.js'

const events = argument('events', 1000)
const concurrency = argument('concurrency', 32)
const work = resolve(import.meta.dirname, '.work', 'flows')
mkdirSync(work, { recursive: true })

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

// The sink: its own process, recording when each event's request arrived.
const sinkScript = join(work, 'sink.mjs')
writeFileSync(
  sinkScript,
  `import { createServer } from 'node:http'
const arrivals = {}
createServer((req, res) => {
  if (req.method === 'GET') { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(arrivals)); return }
  let body = ''
  req.on('data', (c) => (body += c))
  req.on('end', () => {
    const at = Date.now()
    try { const id = JSON.parse(body).id; if (id) arrivals[id] = at } catch {}
    if (req.url === '/reset') for (const k of Object.keys(arrivals)) delete arrivals[k]
    res.end('ok')
  })
}).listen(0, '127.0.0.1', function () { console.log(this.address().port) })
`,
)
function startProcess(
  command: string,
  args: string[],
  ready: RegExp,
  env: NodeJS.ProcessEnv = {},
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  return new Promise((resolvePromise, reject) => {
    let output = ''
    const onData = (d: Buffer) => {
      output += d
      const match = ready.exec(output)
      if (match) resolvePromise({ child, match })
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.on('exit', (code) => reject(new Error(`${command} exited with ${code}: ${output.slice(-2000)}`)))
  })
}
const sink = await startProcess(process.execPath, [sinkScript], /^(\d+)/m)
const sinkUrl = `http://127.0.0.1:${sink.match[1]}`
const arrivals = async () => (await (await fetch(sinkUrl)).json()) as Record<string, number>
const reset = () => fetch(`${sinkUrl}/reset`, { method: 'POST', body: '{}' })
const waitForArrivals = async (ids: string[], timeoutMs = 600_000) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const got = await arrivals()
    if (ids.every((id) => got[id] !== undefined)) return got
    if (Date.now() > deadline)
      throw new Error(`only ${ids.filter((id) => got[id]).length}/${ids.length} arrived`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

// Ours.
const home = join(work, 'home')
rmSync(home, { recursive: true, force: true })
const runtime = await openRuntime({
  settings: readSettings({
    OPENINSIGHTS_HOME: home,
    OPENINSIGHTS_OUTBOUND_ALLOW: '127.0.0.0/8',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  }),
  role: 'all',
  logger: createLogger('warn'),
  flowConcurrency: argument('run-concurrency', 100),
})
await upsertInstance(runtime.db, { id: 'bench', name: 'Bench' })
await saveFlow(
  runtime.db,
  'bench',
  'Forward',
  {
    trigger: { type: 'datasource.refresh.failed' },
    concurrency: 100,
    actions: {
      Post: {
        type: 'http',
        inputs: {
          method: 'POST',
          uri: `${sinkUrl}/hook`,
          body: { id: "@triggerBody()?['refreshId']", source: "@triggerBody()?['dataSourceName']" },
        },
      },
    },
  },
  'api',
)
// Server mode (DATABASE_URL): events come from a process of their own, as they do from API and
// pipeline processes, and reach this one by LISTEN/NOTIFY. Embedded: PGlite admits one process,
// so they are appended here, competing with the engine for this process's CPU.
const feeder = process.env.DATABASE_URL
  ? await startProcess(
      process.execPath,
      ['--import', 'tsx', resolve(import.meta.dirname, 'flows-feeder.ts'), String(concurrency)],
      /^ready$/m,
    )
  : undefined
const feederLines: string[] = []
let feederBuffer = ''
feeder?.child.stdout?.on('data', (d: Buffer) => {
  feederBuffer += d
  const lines = feederBuffer.split('\n')
  feederBuffer = lines.pop() as string
  feederLines.push(...lines.filter((l) => l.startsWith('{')))
})
const feed = async (prefix: string, count: number, burst: boolean): Promise<Record<string, number>> => {
  feederLines.length = 0
  feeder?.child.stdin?.write(`${burst ? 'burst' : 'run'} ${prefix} ${count}\n`)
  while (feederLines.length === 0) await new Promise((r) => setTimeout(r, 10))
  return JSON.parse(feederLines[0] as string)
}

/** Steady: `concurrency` producers, one event per transaction. Burst: 100 events per statement, at once. */
const runOurs = async (count: number, burst = false) => {
  await reset()
  const prefix = `ours-${Date.now()}`
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`)
  let sent: Record<string, number> = {}
  let started = Date.now()
  if (feeder) {
    sent = await feed(prefix, count, burst)
    started = burst ? started : Math.min(...Object.values(sent))
  } else if (burst) {
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100)
      await appendEvents(
        runtime.db,
        'bench',
        chunk.map((id) => ({ type: 'datasource.refresh.failed', data: refreshFailedEvent(id) })),
      )
      const at = Date.now()
      for (const id of chunk) sent[id] = at
      runtime.nudgeEvents()
    }
  } else {
    // `concurrency` producers at once, each event committed in its own transaction (as a
    // refresh's end is) — the concurrency Node-RED is fed at below.
    let next = 0
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < ids.length) {
          const id = ids[next++] as string
          sent[id] = Date.now()
          await appendEvent(runtime.db, 'datasource.refresh.failed', 'bench', refreshFailedEvent(id))
          runtime.nudgeEvents()
        }
      }),
    )
  }
  const fedIn = Math.max(...Object.values(sent)) - started
  const got = await waitForArrivals(ids)
  const last = Math.max(...ids.map((id) => got[id] as number))
  return {
    fedPerSecond: count / (Math.max(fedIn, 1) / 1000),
    perSecond: count / ((last - started) / 1000),
    p99: percentile(
      ids.map((id) => (got[id] as number) - (sent[id] as number)),
      99,
    ),
    p50: percentile(
      ids.map((id) => (got[id] as number) - (sent[id] as number)),
      50,
    ),
  }
}

// Node-RED 4.1 (5.x needs Node 22).
const redDir = join(work, 'node-red')
if (!existsSync(join(redDir, 'node_modules', 'node-red', 'red.js'))) {
  console.log('installing node-red@4.1 into bench/.work/flows/node-red …')
  mkdirSync(redDir, { recursive: true })
  writeFileSync(join(redDir, 'package.json'), '{"name":"bench-node-red","private":true}')
  execFileSync('npm', ['install', '--no-audit', '--no-fund', 'node-red@4.1'], {
    cwd: redDir,
    stdio: 'inherit',
  })
}
const userDir = join(work, 'node-red-user')
rmSync(userDir, { recursive: true, force: true })
mkdirSync(userDir, { recursive: true })
// Node-RED writes a CommonJS settings.js here; this repository's package.json says "module".
writeFileSync(join(userDir, 'package.json'), '{"type":"commonjs"}')
writeFileSync(
  join(userDir, 'flows.json'),
  JSON.stringify([
    { id: 'tab', type: 'tab', label: 'bench' },
    { id: 'in', type: 'http in', z: 'tab', url: '/event', method: 'post', wires: [['req']] },
    {
      id: 'req',
      type: 'http request',
      z: 'tab',
      method: 'POST',
      ret: 'txt',
      url: `${sinkUrl}/hook`,
      wires: [['res']],
    },
    { id: 'res', type: 'http response', z: 'tab', statusCode: '200', wires: [] },
  ]),
)
const red = await startProcess(
  process.execPath,
  [join(redDir, 'node_modules', 'node-red', 'red.js'), '-u', userDir, '-p', '0', 'flows.json'],
  /Server now running at http:\/\/127\.0\.0\.1:(\d+)\/|Started flows/,
  { NODE_RED_ENABLE_PROJECTS: 'false' },
).catch(async (error) => {
  throw error
})
// Port 0 is not supported by every Node-RED version: read it from the log if present.
const redPort = await (async () => {
  for (let i = 0; i < 100; i++) {
    const port = /Server now running at http:\/\/[^:]+:(\d+)\//.exec(String(red.match.input))?.[1]
    if (port) return port
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('Node-RED did not say its port')
})()
const runRed = async (count: number, clients = concurrency) => {
  await reset()
  const ids = Array.from({ length: count }, (_, i) => `red-${Date.now()}-${i}`)
  const sent: Record<string, number> = {}
  const started = Date.now()
  let next = 0
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < ids.length) {
        const id = ids[next++] as string
        sent[id] = Date.now()
        await fetch(`http://127.0.0.1:${redPort}/event`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id, source: 'crm' }),
        })
      }
    }),
  )
  const fedIn = Math.max(...Object.values(sent)) - started
  const got = await waitForArrivals(ids)
  const last = Math.max(...ids.map((id) => got[id] as number))
  return {
    fedPerSecond: count / (Math.max(fedIn, 1) / 1000),
    perSecond: count / ((last - started) / 1000),
    p99: percentile(
      ids.map((id) => (got[id] as number) - (sent[id] as number)),
      99,
    ),
    p50: percentile(
      ids.map((id) => (got[id] as number) - (sent[id] as number)),
      50,
    ),
  }
}

// Warm both, then measure.
await runOurs(50)
await runRed(50)
const cpuBefore = process.cpuUsage()
const ours = await runOurs(events)
const cpu = process.cpuUsage(cpuBefore)
const cpuMsPerRun = (cpu.user + cpu.system) / 1000 / events
const peer = await runRed(events)
console.log(
  `ours: ${ours.perSecond.toFixed(1)} executions/s, p50 ${ours.p50} ms, p99 ${ours.p99} ms (durable: every run and action recorded)`,
)
console.log(
  `ours: ${cpuMsPerRun.toFixed(2)} ms of the engine process's CPU per execution (${feeder ? 'events appended by another process' : 'events appended in the same process'})`,
)
console.log(
  `Node-RED 4.1: ${peer.perSecond.toFixed(1)} executions/s, p50 ${peer.p50} ms, p99 ${peer.p99} ms (in memory)`,
)
console.log(
  `events were offered at ${ours.fedPerSecond.toFixed(0)}/s to ours and ${peer.fedPerSecond.toFixed(0)}/s to Node-RED`,
)
console.log(
  `steady ratio ${(ours.perSecond / peer.perSecond).toFixed(2)} (both run at about the rate offered)`,
)
// Capacity: a burst of events at once, several times each (after two warm-up bursts), medians
// compared. Ours: committed 100 per statement and drained from the outbox. Node-RED has no queue:
// it gets the same number of requests from N clients at once; it is measured at 64 and at 256
// clients and keeps its better median (it is CPU-bound on its one thread either way).
const burstCount = argument('burst', 3000)
const burstRounds = argument('burst-rounds', 5)
function medianRun<T extends { perSecond: number }>(runs: T[]): T {
  return [...runs].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(runs.length / 2)] as T
}
for (let i = 0; i < 2; i++) await runOurs(burstCount, true)
const oursBursts: Awaited<ReturnType<typeof runOurs>>[] = []
const burstCpuBefore = process.cpuUsage()
for (let i = 0; i < burstRounds; i++) oursBursts.push(await runOurs(burstCount, true))
const burstCpu = process.cpuUsage(burstCpuBefore)
const burstCpuMsPerRun = (burstCpu.user + burstCpu.system) / 1000 / (burstCount * burstRounds)
for (const clients of [64, 256]) await runRed(burstCount, clients)
const peerBurstsByClients = new Map<number, Awaited<ReturnType<typeof runRed>>[]>()
for (const clients of [64, 256]) {
  const runs = []
  for (let i = 0; i < burstRounds; i++) runs.push(await runRed(burstCount, clients))
  peerBurstsByClients.set(clients, runs)
}
const [peerClients, peerBursts] = [...peerBurstsByClients.entries()].sort(
  ([, a], [, b]) => medianRun(b).perSecond - medianRun(a).perSecond,
)[0] as [number, Awaited<ReturnType<typeof runRed>>[]]
const oursBurst = medianRun(oursBursts)
const peerBurst = medianRun(peerBursts)
const rates = (runs: { perSecond: number }[]) => runs.map((r) => r.perSecond.toFixed(0)).join(', ')
console.log(
  `burst of ${burstCount} (${burstRounds} rounds, medians): ours ${oursBurst.perSecond.toFixed(1)} executions/s (p99 ${oursBurst.p99} ms; rounds ${rates(oursBursts)}); Node-RED ${peerBurst.perSecond.toFixed(1)}/s with ${peerClients} clients (p99 ${peerBurst.p99} ms; rounds ${rates(peerBursts)}; ${[
    ...peerBurstsByClients.entries(),
  ]
    .map(([clients, runs]) => `${clients} clients: ${medianRun(runs).perSecond.toFixed(0)}/s`)
    .join(', ')})`,
)
console.log(`ours in the bursts: ${burstCpuMsPerRun.toFixed(2)} ms of the engine process's CPU per execution`)
console.log(`burst ratio ${(oursBurst.perSecond / peerBurst.perSecond).toFixed(2)} (goal ≥ 2)`)
red.child.kill()
feeder?.child.kill()
sink.child.kill()
await runtime.close()
printResult({
  events,
  executions_per_s: ours.perSecond,
  p99_ms: ours.p99,
  cpu_ms_per_execution: cpuMsPerRun,
  node_red_executions_per_s: peer.perSecond,
  node_red_p99_ms: peer.p99,
  steady_ratio: ours.perSecond / peer.perSecond,
  burst_executions_per_s: oursBurst.perSecond,
  burst_p99_ms: oursBurst.p99,
  burst_cpu_ms_per_execution: burstCpuMsPerRun,
  node_red_burst_executions_per_s: peerBurst.perSecond,
  node_red_burst_p99_ms: peerBurst.p99,
  node_red_burst_clients: peerClients,
  // The goal's ratio: capacity (the steady load runs both at the rate it offers).
  ratio: oursBurst.perSecond / peerBurst.perSecond,
})
process.exit(0)

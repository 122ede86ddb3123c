/**
 * npm run bench:flows [-- --events 1000] [--no-n8n]
 *
 * Events → a flow with one HTTP action → a local sink in its own process: executions per second
 * (first event appended → last request at the sink) and p99 latency (event appended → its request
 * at the sink). Ours runs the real path: outbox → dispatcher → flow trigger → durable run (each
 * action recorded) → HTTP. In the same run, the same flow on Node-RED 5 (http in → http request →
 * http response, in memory) and n8n 2 (Webhook → HTTP Request, each execution saved: SQLite
 * embedded, PostgreSQL in server mode), each installed from the npm registry into bench/.work on
 * first use and fed the same events over HTTP at the same concurrency; then bursts of 3,000
 * events to each (capacity: two warm-up rounds, then nine, medians compared; Node-RED at 64 and
 * 256 clients, n8n at 64, the better median kept). Ours and Node-RED's rounds are interleaved, so
 * that the shared machine's changes of speed fall on both; the median of the round-by-round
 * ratios and each process's CPU time per execution are printed beside. RESULT's `ratio` is the capacity ratio to
 * Node-RED (goals: ≥ 2 on PostgreSQL, ≥ 1.5 embedded), `n8n_ratio` to n8n (goal ≥ 5 on
 * PostgreSQL). PostgreSQL: set DATABASE_URL.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import pg from 'pg'
import { appendEvent, appendEvents } from '../src/events/index.js'
import { saveFlow } from '../src/flows/index.js'
import { createLogger, openRuntime, readSettings } from '../src/runtime/index.js'
import { upsertInstance } from '../src/store/instances.js'
import { argument, killGroup, killOnExit, printResult, timeLimit } from './bench-utils.js'

timeLimit('flows', 45)

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
let count = 0
// GET /wait?count=N&ms=T answers once N events have arrived (or after T ms) with when each came:
// one request per round, so that measuring costs the measured processes nothing while it runs.
let waiters = []
const answer = (res) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(arrivals)) }
const wake = () => { waiters = waiters.filter((w) => { if (count < w.count) return true; clearTimeout(w.timer); answer(w.res); return false }) }
createServer((req, res) => {
  if (req.method === 'GET') {
    const url = new URL(req.url, 'http://sink')
    const w = { count: Number(url.searchParams.get('count') ?? 0), res }
    w.timer = setTimeout(() => { waiters = waiters.filter((x) => x !== w); answer(res) }, Number(url.searchParams.get('ms') ?? 0))
    waiters.push(w)
    wake()
    return
  }
  let body = ''
  req.on('data', (c) => (body += c))
  req.on('end', () => {
    const at = Date.now()
    try { const id = JSON.parse(body).id; if (id && arrivals[id] === undefined) { arrivals[id] = at; count++ } } catch {}
    if (req.url === '/reset') { for (const k of Object.keys(arrivals)) delete arrivals[k]; count = 0 }
    res.end('ok')
    if (waiters.length > 0) wake()
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
  // A group of its own, so that stopping it stops what it started too (n8n's task runner).
  const child = spawn(command, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    detached: true,
  })
  killOnExit(child)
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
/** When each event's request reached the sink, once `count` have (or after `ms`). */
const arrivals = async (count: number, ms: number) =>
  (await (await fetch(`${sinkUrl}/?count=${count}&ms=${ms}`)).json()) as Record<string, number>
const reset = () => fetch(`${sinkUrl}/reset`, { method: 'POST', body: '{}' })
const waitForArrivals = async (ids: string[], timeoutMs = 600_000) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const got = await arrivals(ids.length, Math.max(0, Math.min(10_000, deadline - Date.now())))
    if (ids.every((id) => got[id] !== undefined)) return got
    if (Date.now() >= deadline)
      throw new Error(`only ${ids.filter((id) => got[id]).length}/${ids.length} arrived`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/**
 * Once every event has reached the sink: the rate it was offered at, executions per second (first
 * sent → last arrived) and the latency percentiles (each event sent → it arrived).
 */
async function measured(ids: string[], sent: Record<string, number>, started: number) {
  const fedIn = Math.max(...Object.values(sent)) - started
  const got = await waitForArrivals(ids)
  const last = Math.max(...ids.map((id) => got[id] as number))
  const latencies = ids.map((id) => (got[id] as number) - (sent[id] as number))
  return {
    fedPerSecond: ids.length / (Math.max(fedIn, 1) / 1000),
    perSecond: ids.length / ((last - started) / 1000),
    p99: percentile(latencies, 99),
    p50: percentile(latencies, 50),
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
/** The JSON lines a helper process prints, as they come. */
function jsonLines(child: ChildProcess): string[] {
  const lines: string[] = []
  let buffer = ''
  child.stdout?.on('data', (d: Buffer) => {
    buffer += d
    const parts = buffer.split('\n')
    buffer = parts.pop() as string
    lines.push(...parts.filter((l) => l.startsWith('{')))
  })
  return lines
}
const feederLines = feeder ? jsonLines(feeder.child) : []
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
  return measured(ids, sent, started)
}

/**
 * Installs `spec` into bench/.work/flows/<dir> from the npm registry, once. With `buildFromSource`,
 * install scripts are skipped (some download from the internet, which this machine cannot reach:
 * n8n's Kafka client fetches zlib's sources) and only the named native modules are built, from
 * their own sources, against the headers of the Node running this.
 */
function installPeer(dir: string, spec: string, entry: string, buildFromSource: string[] = []): string {
  const folder = join(work, dir)
  const main = join(folder, 'node_modules', ...entry.split('/'))
  if (!existsSync(main)) {
    console.log(`installing ${spec} into bench/.work/flows/${dir} …`)
    mkdirSync(folder, { recursive: true })
    writeFileSync(join(folder, 'package.json'), `{"name":"bench-${dir}","private":true}`)
    const skip = buildFromSource.length > 0 ? ['--ignore-scripts'] : []
    execFileSync('npm', ['install', '--no-audit', '--no-fund', ...skip, spec], {
      cwd: folder,
      stdio: 'inherit',
    })
    if (buildFromSource.length > 0) {
      const nodeDir = dirname(dirname(process.execPath))
      const headers = existsSync(join(nodeDir, 'include', 'node', 'node.h')) ? [`--nodedir=${nodeDir}`] : []
      execFileSync('npm', ['rebuild', ...buildFromSource, '--build-from-source', ...headers], {
        cwd: folder,
        stdio: 'inherit',
      })
    }
  }
  return main
}

interface Peer {
  name: string
  /** Where the flow takes an event: POST {id, source}. */
  url: string
  /** Client counts its bursts are fed at; its best median is kept. */
  burstClients: number[]
  /** Events per burst and rounds, where not the common ones (a slow peer gets shorter bursts). */
  burst?: { count: number; rounds: number }
  /** Its process (for its CPU time). */
  pid?: number | undefined
  stop(): void
}

/** A process's CPU time so far in ms (user + system, from /proc), or undefined where unreadable. */
function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    const ticks = Number(fields[11]) + Number(fields[12])
    return Number.isFinite(ticks) ? ticks * 10 : undefined
  } catch {
    return undefined
  }
}

/** Node-RED 5: http in → http request → http response, in memory (no run is recorded). */
async function startNodeRed(): Promise<Peer> {
  const red = installPeer('node-red-5', 'node-red@5.0.7', 'node-red/red.js')
  const userDir = join(work, 'node-red-5-user')
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
  const started = await startProcess(
    process.execPath,
    [red, '-u', userDir, '-p', '0', 'flows.json'],
    /Server now running at http:\/\/127\.0\.0\.1:(\d+)\//,
    { NODE_RED_ENABLE_PROJECTS: 'false' },
  )
  const version = /Node-RED version: (\S+)/.exec(String(started.match.input))?.[1] ?? '5'
  return {
    name: `Node-RED ${version}`,
    url: `http://127.0.0.1:${started.match[1]}/event`,
    burstClients: [64, 256],
    pid: started.child.pid,
    stop: () => killGroup(started.child),
  }
}

/**
 * n8n 2: Webhook → HTTP Request, answering when the request is done (as Node-RED does), each
 * execution saved as n8n saves it by default: to SQLite embedded, to PostgreSQL in server mode.
 */
async function startN8n(): Promise<Peer> {
  // 2.41.0: the latest, 2.41.3, needs @n8n/agents@0.26.2, which the registry here does not have.
  const n8n = installPeer('n8n', 'n8n@2.41.0', 'n8n/bin/n8n', ['sqlite3'])
  const userDir = join(work, 'n8n-user')
  rmSync(userDir, { recursive: true, force: true })
  mkdirSync(userDir, { recursive: true })
  const env: NodeJS.ProcessEnv = {
    N8N_USER_FOLDER: userDir,
    N8N_PORT: String(argument('n8n-port', 5680)),
    // Its task broker listens too (5679 by default); next to the main port, out of its way.
    N8N_RUNNERS_BROKER_PORT: String(argument('n8n-port', 5680) + 1),
    N8N_LISTEN_ADDRESS: '127.0.0.1',
    N8N_HOST: '127.0.0.1',
    N8N_DIAGNOSTICS_ENABLED: 'false',
    N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
    N8N_TEMPLATES_ENABLED: 'false',
    N8N_PERSONALIZATION_ENABLED: 'false',
    N8N_COMMUNITY_PACKAGES_ENABLED: 'false',
    N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
    N8N_RUNNERS_ENABLED: 'false',
    EXECUTIONS_MODE: 'regular',
    N8N_LOG_LEVEL: 'info',
    // n8n's advice for SQLite: a pool of connections in WAL mode (its default is one, no WAL).
    DB_SQLITE_POOL_SIZE: '4',
  }
  if (process.env.DATABASE_URL) {
    const url = new URL(process.env.DATABASE_URL)
    const database = 'bench_n8n'
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL })
    await admin.connect()
    await admin.query(`drop database if exists ${database} with (force)`)
    await admin.query(`create database ${database}`)
    await admin.end()
    Object.assign(env, {
      DB_TYPE: 'postgresdb',
      DB_POSTGRESDB_HOST: url.hostname,
      DB_POSTGRESDB_PORT: url.port || '5432',
      DB_POSTGRESDB_DATABASE: database,
      DB_POSTGRESDB_USER: decodeURIComponent(url.username || 'postgres'),
      DB_POSTGRESDB_PASSWORD: decodeURIComponent(url.password),
    })
  }
  const workflow = join(userDir, 'bench-workflow.json')
  writeFileSync(
    workflow,
    JSON.stringify({
      id: 'benchForward0001',
      name: 'Forward',
      active: true,
      nodes: [
        {
          id: '9f1c0b9e-0000-4000-8000-000000000001',
          name: 'Webhook',
          type: 'n8n-nodes-base.webhook',
          typeVersion: 2,
          position: [0, 0],
          webhookId: '9f1c0b9e-0000-4000-8000-0000000000aa',
          parameters: { httpMethod: 'POST', path: 'event', responseMode: 'lastNode', options: {} },
        },
        {
          id: '9f1c0b9e-0000-4000-8000-000000000002',
          name: 'Post',
          type: 'n8n-nodes-base.httpRequest',
          typeVersion: 4.2,
          position: [220, 0],
          parameters: {
            method: 'POST',
            url: `${sinkUrl}/hook`,
            sendBody: true,
            specifyBody: 'json',
            jsonBody: '={{ JSON.stringify({ id: $json.body.id, source: $json.body.source }) }}',
            options: {},
          },
        },
      ],
      connections: { Webhook: { main: [[{ node: 'Post', type: 'main', index: 0 }]] } },
      settings: { executionOrder: 'v1' },
    }),
  )
  const cli = (args: string[]) =>
    execFileSync(process.execPath, [n8n, ...args], {
      env: { ...process.env, ...env },
      stdio: 'pipe',
    }).toString()
  cli(['import:workflow', `--input=${workflow}`])
  cli(['publish:workflow', '--id=benchForward0001'])
  const started = await startProcess(process.execPath, [n8n, 'start'], /Editor is now accessible via/, env)
  const version = cli(['--version']).trim()
  const url = `http://127.0.0.1:${env.N8N_PORT}/webhook/event`
  // It says the editor is up before its webhooks are registered (on PostgreSQL, a while before).
  for (let attempt = 0; ; attempt++) {
    const probe = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"id":"probe"}',
    })
    await probe.arrayBuffer()
    if (probe.ok) break
    if (attempt >= 120) throw new Error(`n8n's webhook still answers ${probe.status} after 60 s`)
    await new Promise((r) => setTimeout(r, 500))
  }
  return {
    name: `n8n ${version}`,
    url,
    burstClients: [64],
    // At tens of executions a second, 3,000-event bursts would take minutes each.
    burst: { count: argument('n8n-burst', 500), rounds: argument('n8n-burst-rounds', 3) },
    pid: started.child.pid,
    stop: () => killGroup(started.child),
  }
}

// The peers' client: a process of its own (see flows-peer-client.ts).
const peerClient = await startProcess(
  process.execPath,
  ['--import', 'tsx', resolve(import.meta.dirname, 'flows-peer-client.ts')],
  /^ready$/m,
)
const peerClientLines = jsonLines(peerClient.child)
const runPeer = async (peer: Peer, count: number, clients = concurrency) => {
  await reset()
  const prefix = `peer-${Date.now()}`
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`)
  const started = Date.now()
  peerClientLines.length = 0
  peerClient.child.stdin?.write(`post ${peer.url} ${prefix} ${count} ${clients}\n`)
  while (peerClientLines.length === 0) await new Promise((r) => setTimeout(r, 10))
  const { sent, failures, firstFailure } = JSON.parse(peerClientLines[0] as string) as {
    sent: Record<string, number>
    failures: number
    firstFailure?: string
  }
  if (failures > 0)
    throw new Error(
      `${peer.name} answered ${failures} of ${count} events with an error, first: ${firstFailure}`,
    )
  return measured(ids, sent, started)
}

const peers: Peer[] = [await startNodeRed()]
let n8nMissing: string | undefined
if (process.argv.includes('--no-n8n')) n8nMissing = 'left out (--no-n8n)'
else {
  try {
    peers.push(await startN8n())
  } catch (error) {
    n8nMissing = (error as Error).message.split('\n').slice(0, 6).join(' ')
    console.log(`n8n could not run here: ${n8nMissing}`)
  }
}

// Warm all, then measure the steady load: each at `concurrency` clients.
await runOurs(50)
for (const peer of peers) await runPeer(peer, 50)
const cpuBefore = process.cpuUsage()
const ours = await runOurs(events)
const cpu = process.cpuUsage(cpuBefore)
const cpuMsPerRun = (cpu.user + cpu.system) / 1000 / events
console.log(
  `ours: ${ours.perSecond.toFixed(1)} executions/s, p50 ${ours.p50} ms, p99 ${ours.p99} ms (durable: every run and action recorded); offered at ${ours.fedPerSecond.toFixed(0)}/s`,
)
console.log(
  `ours: ${cpuMsPerRun.toFixed(2)} ms of the engine process's CPU per execution (${feeder ? 'events appended by another process' : 'events appended in the same process'})`,
)
const steady = new Map<Peer, Awaited<ReturnType<typeof runPeer>>>()
for (const peer of peers) {
  const result = await runPeer(peer, events)
  steady.set(peer, result)
  console.log(
    `${peer.name}: ${result.perSecond.toFixed(1)} executions/s, p50 ${result.p50} ms, p99 ${result.p99} ms; offered at ${result.fedPerSecond.toFixed(0)}/s`,
  )
}

// Capacity: a burst of events at once, several times each (after two warm-up rounds), medians
// compared. Ours: committed 100 per statement and drained from the outbox. The peers have no
// queue: each gets the same number of requests from N clients at once, at each of its client
// counts, and keeps its better median. Nine rounds, not five: on two-core machines the bursts of
// one system within one run range widely (ours 1,863–4,190/s, 2026-12-01), and the
// median of five moved the ratio between runs of the same build by a third.
const burstCount = argument('burst', 3000)
const burstRounds = argument('burst-rounds', 9)
function medianRun<T extends { perSecond: number }>(runs: T[]): T {
  return [...runs].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(runs.length / 2)] as T
}
const rates = (runs: { perSecond: number }[]) => runs.map((r) => r.perSecond.toFixed(0)).join(', ')
// Rounds are interleaved (ours, then each peer at each of its client counts, round after round)
// so that a change in the machine's speed during the run (it is shared) falls on all alike.
// A peer with bursts of its own size (n8n: slow) runs its rounds after.
type BurstRun = Awaited<ReturnType<typeof runOurs>>
const interleaved = peers.filter((peer) => !peer.burst)
const peerRuns = new Map<Peer, Map<number, BurstRun[]>>(
  peers.map((peer) => [peer, new Map(peer.burstClients.map((clients) => [clients, []]))]),
)
const peerCpuMs = new Map<Peer, number>()
const peerBurstRound = async (peer: Peer, clients: number, count: number, record: boolean) => {
  const cpuBefore = processCpuMs(peer.pid)
  const run = await runPeer(peer, count, clients)
  const cpuAfter = processCpuMs(peer.pid)
  if (!record) return
  peerRuns.get(peer)?.get(clients)?.push(run)
  if (cpuBefore !== undefined && cpuAfter !== undefined)
    peerCpuMs.set(peer, (peerCpuMs.get(peer) ?? 0) + cpuAfter - cpuBefore)
}
const oursBursts: BurstRun[] = []
let burstCpuMs = 0
// Two warm-up rounds first, in which each system executes as many bursts as the interleaved peer
// with the most client counts does (Node-RED: one at each of its two), so that each has run as
// many executions before its first measured round: its JIT (V8 compiles hot code on background
// threads, which on two cores slows whatever runs then) has had the same work to warm up on.
const warmUpBursts = Math.max(1, ...interleaved.map((peer) => peer.burstClients.length))
for (let round = -2; round < burstRounds; round++) {
  if (round < 0) for (let i = 1; i < warmUpBursts; i++) await runOurs(burstCount, true)
  const cpuBefore = process.cpuUsage()
  const run = await runOurs(burstCount, true)
  const cpuUsed = process.cpuUsage(cpuBefore)
  if (round >= 0) {
    oursBursts.push(run)
    burstCpuMs += (cpuUsed.user + cpuUsed.system) / 1000
  }
  for (const peer of interleaved)
    for (const clients of peer.burstClients) await peerBurstRound(peer, clients, burstCount, round >= 0)
}
for (const peer of peers.filter((p) => p.burst)) {
  const { count, rounds } = peer.burst as { count: number; rounds: number }
  for (const clients of peer.burstClients)
    for (let round = -1; round < rounds; round++) await peerBurstRound(peer, clients, count, round >= 0)
}
const burstCpuMsPerRun = burstCpuMs / (burstCount * burstRounds)
const oursBurst = medianRun(oursBursts)
console.log(
  `burst of ${burstCount} (${burstRounds} rounds, medians): ours ${oursBurst.perSecond.toFixed(1)} executions/s (p99 ${oursBurst.p99} ms; rounds ${rates(oursBursts)}; ${burstCpuMsPerRun.toFixed(2)} ms CPU per execution)`,
)
const peerBurst = new Map<Peer, { clients: number; run: BurstRun; pairedRatio?: number }>()
for (const peer of peers) {
  const byClients: string[] = []
  const { count, rounds } = peer.burst ?? { count: burstCount, rounds: burstRounds }
  for (const [clients, runs] of peerRuns.get(peer) ?? []) {
    const median = medianRun(runs)
    byClients.push(`${clients} clients: ${median.perSecond.toFixed(0)}/s (rounds ${rates(runs)})`)
    const best = peerBurst.get(peer)
    if (!best || median.perSecond > best.run.perSecond) {
      // Round by round against ours (same moment of the run), where the rounds were interleaved.
      const ratios = peer.burst ? [] : runs.map((r, i) => (oursBursts[i] as BurstRun).perSecond / r.perSecond)
      peerBurst.set(peer, {
        clients,
        run: median,
        ...(ratios.length > 0
          ? { pairedRatio: [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)] }
          : {}),
      })
    }
  }
  const best = peerBurst.get(peer) as { clients: number; run: BurstRun; pairedRatio?: number }
  const cpu = peerCpuMs.get(peer)
  const executions = count * rounds * peer.burstClients.length
  console.log(
    `burst of ${count} (${rounds} rounds): ${peer.name} ${best.run.perSecond.toFixed(1)} executions/s (p99 ${best.run.p99} ms) at ${best.clients} clients; ${byClients.join('; ')}${cpu === undefined ? '' : `; ${(cpu / executions).toFixed(2)} ms of its process's CPU per execution`}`,
  )
  console.log(
    `burst ratio against ${peer.name}: ${(oursBurst.perSecond / best.run.perSecond).toFixed(2)}${best.pairedRatio === undefined ? '' : ` (median of round-by-round ratios ${best.pairedRatio.toFixed(2)})`}`,
  )
}
for (const peer of peers) peer.stop()
feeder?.child.kill()
killGroup(peerClient.child)
sink.child.kill()
await runtime.close()

const [red, n8n] = peers
const key = (peer: Peer | undefined) => (peer === red ? 'node_red' : 'n8n')
const fields: Record<string, number | string> = {
  mode: process.env.DATABASE_URL ? 'postgres' : 'embedded',
  events,
  executions_per_s: ours.perSecond,
  p99_ms: ours.p99,
  cpu_ms_per_execution: cpuMsPerRun,
  burst_executions_per_s: oursBurst.perSecond,
  burst_p99_ms: oursBurst.p99,
  burst_cpu_ms_per_execution: burstCpuMsPerRun,
}
for (const peer of peers) {
  const k = key(peer)
  fields[`${k}_executions_per_s`] = (steady.get(peer) as { perSecond: number }).perSecond
  fields[`${k}_p99_ms`] = (steady.get(peer) as { p99: number }).p99
  fields[`${k}_burst_executions_per_s`] = (
    peerBurst.get(peer) as { run: { perSecond: number } }
  ).run.perSecond
  fields[`${k}_burst_p99_ms`] = (peerBurst.get(peer) as { run: { p99: number } }).run.p99
  const paired = peerBurst.get(peer)?.pairedRatio
  if (paired !== undefined) fields[`${k}_paired_ratio`] = paired
  const cpu = peerCpuMs.get(peer)
  if (cpu !== undefined)
    fields[`${k}_burst_cpu_ms_per_execution`] =
      cpu /
      ((peer.burst?.count ?? burstCount) * (peer.burst?.rounds ?? burstRounds) * peer.burstClients.length)
}
// The goals' ratios: capacity (the steady load runs each at about the rate it is offered).
fields.ratio =
  oursBurst.perSecond / (peerBurst.get(red as Peer) as { run: { perSecond: number } }).run.perSecond
if (n8n)
  fields.n8n_ratio =
    oursBurst.perSecond / (peerBurst.get(n8n) as { run: { perSecond: number } }).run.perSecond
else fields.n8n = 'not_run'
printResult(fields)
process.exit(0)

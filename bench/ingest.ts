/**
 * npm run bench:ingest [-- --rows 1000000 --runs 7]
 *
 * Ingests a generated CSV of customer-like rows through a full data source refresh (request →
 * job → DuckDB read with rejects → Parquet partitions → key check → publish + event) and compares
 * it with a bare DuckDB `read_csv` → Parquet COPY of the same file in the same run.
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { applyConfig, configSchema } from '../src/config/index.js'
import { openDuckDb, requestRefreshes } from '../src/pipeline/index.js'
import { literal, SqlSession, sql } from '../src/query/index.js'
import { createLogger, openRuntime, readSettings } from '../src/runtime/index.js'
import { getRefresh, type Refresh } from '../src/store/refreshes.js'
import { argument, median, printResult, timed, timeLimit, trackPeakMemory } from './bench-utils.js'

timeLimit('ingest', 30)

const rows = argument('rows', 1_000_000)
const runs = argument('runs', 7)
const work = resolve(import.meta.dirname, '.work', 'ingest')
mkdirSync(work, { recursive: true })
const csv = join(work, `customers-${rows}.csv`)

const duck = await openDuckDb({ tempDir: join(work, 'duck-tmp') })
const connection = await SqlSession.open(duck)
if (!existsSync(csv)) {
  console.log(`generating ${rows.toLocaleString()} rows…`)
  await connection.run(sql`copy (
    select range + 1 as customer_id,
      ['Anne','Bo','Carl','Dorte','Erik','Frida','Gustav','Hanne'][range % 8 + 1] as first_name,
      'Surname' || (range % 5000) as last_name,
      'user' || range || '@example.com' as email,
      '+45 ' || lpad(((range * 7919) % 100000000)::varchar, 8, '0') as phone,
      ['Aarhus','Odense','Aalborg','København','Esbjerg'][range % 5 + 1] as city,
      lpad((1000 + range % 8999)::varchar, 4, '0') as postal_code,
      date '1950-01-01' + (range % 20000)::int as birth_date,
      timestamp '2020-01-01' + to_seconds(range * 97) as created_at,
      round((range % 100000) / 7.0, 2) as lifetime_value
    from range(${rows})) to ${literal(csv)} (header)`)
}
console.log(
  `input: ${csv} (${(statSync(csv).size / 1024 / 1024).toFixed(0)} MB, ${rows.toLocaleString()} rows)`,
)

// The pipeline, as a user runs it: embedded store, one data source, a refresh request.
const home = join(work, 'home')
rmSync(home, { recursive: true, force: true })
const runtime = await openRuntime({
  settings: readSettings({ OPENINSIGHTS_HOME: home }),
  role: 'all',
  logger: createLogger('warn'),
})
await applyConfig(
  runtime,
  configSchema.parse({
    instance: { id: 'bench' },
    dataSources: { customers: { kind: 'csv', primaryKey: 'customer_id', options: { path: csv } } },
  }),
)

async function refreshOnce(): Promise<Refresh> {
  const [queued] = await requestRefreshes(runtime.db, runtime.jobs, 'bench', ['customers'])
  for (;;) {
    const refresh = await getRefresh(runtime.db, 'bench', queued!.refresh.id)
    if (refresh && !['queued', 'running'].includes(refresh.state)) {
      if (refresh.state !== 'succeeded')
        throw new Error(`refresh ${refresh.state}: ${refresh.error?.message}`)
      return refresh
    }
    // Poll gently: PGlite runs in this process and would compete with DuckDB for the CPU.
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Request to publish, as the database recorded it: exact, whatever the polling interval. */
const endToEndSeconds = (r: Refresh) => (Date.parse(r.completedAt!) - Date.parse(r.requestedAt)) / 1000

async function bareCopy(i: number): Promise<void> {
  const out = join(work, `bare-${i}.parquet`)
  await connection.run(
    sql`copy (select * from read_csv(${literal(csv)})) to ${literal(out)} (format parquet)`,
  )
  rmSync(out, { force: true })
}

const bare: number[] = []
const ours: number[] = []
const peak = trackPeakMemory()
await refreshOnce() // warm-up: caches, first job pickup
await bareCopy(-1)
for (let i = 0; i < runs; i++) {
  bare.push((await timed(() => bareCopy(i))).seconds)
  const value = await refreshOnce()
  const seconds = endToEndSeconds(value)
  ours.push(seconds)
  console.log(
    `run ${i + 1}: bare DuckDB ${bare[i]!.toFixed(2)} s · openinsights refresh ${seconds.toFixed(2)} s (ingest ${(value.durationMs! / 1000).toFixed(2)} s, ${value.rowCount!.toLocaleString()} rows)`,
  )
}
const peakMb = peak()
const oursSeconds = median(ours)
const bareSeconds = median(bare)
console.log(`\nmedian of ${runs}: bare ${bareSeconds.toFixed(2)} s, openinsights ${oursSeconds.toFixed(2)} s`)
console.log(
  `throughput: openinsights ${Math.round(rows / oursSeconds).toLocaleString()} rows/s, bare ${Math.round(rows / bareSeconds).toLocaleString()} rows/s`,
)
console.log(`ratio (openinsights / bare): ${(oursSeconds / bareSeconds).toFixed(2)}  (goal ≤ 1.3)`)
connection.close()
duck.closeSync()
await runtime.close()
printResult({
  rows,
  seconds: oursSeconds,
  rows_per_s: Math.round(rows / oursSeconds),
  bare_seconds: bareSeconds,
  ratio: oursSeconds / bareSeconds,
  peak_mb: peakMb,
})

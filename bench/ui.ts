/**
 * npm run bench:ui [-- --rows 1000000 --pages 20]
 *
 * The web UI on a large entity, in Debian's chromium: a 1M-row entity opened in Entities, paged
 * with Next, sorted by a column and filtered — each timed from the click to the new rows on
 * screen — against the same API calls made bare from Node (what the server alone takes).
 * Prints both, their ratio and the first-load JavaScript size.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { sql } from '../src/query/index.js'
import { createLogger, openRuntime, readSettings } from '../src/runtime/index.js'
import { buildApp } from '../src/server/index.js'
import { createSetupToken } from '../src/server/web-admin/index.js'
import { upsertInstance } from '../src/store/instances.js'
import { launchBrowser } from '../test/helpers/browser.js'
import { publishGeneratedEntity } from './bench-entities.js'
import { argument, median, printResult, timeLimit } from './bench-utils.js'

timeLimit('ui', 15)

const rows = argument('rows', 1_000_000)
const pages = argument('pages', 20)
const work = resolve(import.meta.dirname, '.work', 'ui')
const home = join(work, 'home')
rmSync(home, { recursive: true, force: true })
mkdirSync(home, { recursive: true })
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[
    Math.min(values.length - 1, Math.floor((p / 100) * values.length))
  ] as number

const dist = resolve(import.meta.dirname, '..', 'web', 'dist')
const html = readFileSync(join(dist, 'index.html'), 'utf8')
const firstLoadKb =
  [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].reduce(
    (sum, m) => sum + gzipSync(readFileSync(join(dist, m[1] as string))).length,
    0,
  ) / 1024

const runtime = await openRuntime({
  settings: readSettings({ OPENINSIGHTS_HOME: home }),
  role: 'all',
  logger: createLogger('warn'),
})
await upsertInstance(runtime.db, { id: 'bench', name: 'Bench' })
await publishGeneratedEntity(runtime, {
  instanceId: 'bench',
  name: 'customers',
  rows,
  partitions: 1,
  columns: sql`(range + 1)::BIGINT as customer_id, 'Name' || range as name,
    ['DK','DE','SE','GB'][range % 4 + 1] as country, round((range * 7919 % 100000) / 100.0, 2)::DOUBLE as amount`,
  schema: [
    { name: 'customer_id', type: 'BIGINT' },
    { name: 'name', type: 'VARCHAR' },
    { name: 'country', type: 'VARCHAR' },
    { name: 'amount', type: 'DOUBLE' },
  ],
  keyColumn: 'customer_id',
})
const app = await buildApp(runtime)
const base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '')
const token = await createSetupToken(runtime.db)

const browser = await launchBrowser()
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
await page.goto(`${base}/setup#token=${token}`)
await page.getByLabel('User name').fill('admin')
await page.getByLabel('Password', { exact: true }).fill('correct horse battery')
await page.getByLabel('Repeat password').fill('correct horse battery')
await page.getByRole('button', { name: 'Create account' }).click()
await page.getByRole('heading', { name: 'Home' }).waitFor()
const total = rows.toLocaleString('en')
const clock = async (work: () => Promise<unknown>) => {
  const started = performance.now()
  await work()
  return performance.now() - started
}

const openMs = await clock(async () => {
  await page.goto(`${base}/entities/customers`)
  await page.getByText(`Rows 1–50 of ${total}`).waitFor({ timeout: 60_000 })
})
const pageMs: number[] = []
for (let i = 1; i <= pages; i++)
  pageMs.push(
    await clock(async () => {
      await page.getByRole('button', { name: 'Next' }).click()
      await page.getByText(`Rows ${(50 * i + 1).toLocaleString('en')}–`).waitFor()
    }),
  )
const sortMs = await clock(async () => {
  await page.getByRole('button', { name: 'amount' }).click()
  await page.getByText(`Rows 1–50 of ${total}`).waitFor()
  await page.getByRole('columnheader', { name: 'amount ▲' }).waitFor()
})
const filterMs = await clock(async () => {
  await page.getByLabel('Filter (OData)').fill("country eq 'DK' and amount gt 500")
  await page.getByRole('button', { name: 'Apply' }).click()
  await page.getByText(new RegExp(`Rows 1–50 of (?!${total})[\\d,]+`)).waitFor()
})
// The same calls from Node, with the session cookie: what the server takes on its own.
const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ')
const bare: number[] = []
for (let i = 1; i <= pages; i++)
  bare.push(
    await clock(async () => {
      const r = await fetch(
        `${base}/api/v1/instances/bench/data/customers?$top=50&$skip=${50 * i}&$count=true`,
        {
          headers: { cookie },
        },
      )
      if (!r.ok) throw new Error(`API answered ${r.status}`)
      await r.json()
    }),
  )
await browser.close()
await app.close()
await runtime.close()

console.log(`first-load JavaScript: ${firstLoadKb.toFixed(1)} KB gzip`)
console.log(`open a ${total}-row entity (full page load): ${openMs.toFixed(0)} ms`)
console.log(
  `next page in the browser: median ${median(pageMs).toFixed(0)} ms, p95 ${percentile(pageMs, 95).toFixed(0)} ms; the API call alone: median ${median(bare).toFixed(0)} ms`,
)
console.log(`sort by a column: ${sortMs.toFixed(0)} ms; filter: ${filterMs.toFixed(0)} ms`)
printResult({
  rows,
  first_load_kb_gzip: firstLoadKb,
  open_ms: openMs,
  page_median_ms: median(pageMs),
  page_p95_ms: percentile(pageMs, 95),
  api_page_median_ms: median(bare),
  ratio: median(pageMs) / median(bare),
  sort_ms: sortMs,
  filter_ms: filterMs,
})
process.exit(0)

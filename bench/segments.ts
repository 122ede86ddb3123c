/**
 * npm run bench:segments [-- --customers 1000000]
 *
 * 1M generated customers (profiles, source keys and ~3 orders each), 10 measures (5 business, one
 * with a dimension and one with a time window; 5 customer-level) and 10 segments (filters over
 * attributes and customer measures, AND/OR groups, activity windows, include/exclude), recomputed
 * by computeInsights — the code a refresh runs, writing every output entity — against the same
 * generated SQL statements replayed bare on one DuckDB connection, in the same run. Rounds
 * alternate; medians reported.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { openDuckDb } from '../src/pipeline/index.js'
import { computeInsights } from '../src/pipeline/insights/index.js'
import { measureSchema } from '../src/pipeline/measures/measure-config.js'
import { segmentSchema } from '../src/pipeline/segments/segment-config.js'
import type { EntityRef } from '../src/pipeline/sql/insights-sql.js'
import { literal, type Sql, SqlSession, sql } from '../src/query/index.js'
import { argument, median, printResult, timed, timeLimit, trackPeakMemory } from './bench-utils.js'

timeLimit('segments', 20)

const customers = argument('customers', 1_000_000)
const work = resolve(import.meta.dirname, '.work', 'segments')
mkdirSync(work, { recursive: true })
const duck = await openDuckDb({ tempDir: join(work, 'duck-tmp') })
const connection = await SqlSession.open(duck)

const files = {
  profiles: join(work, `profiles-${customers}.parquet`),
  keys: join(work, `keys-${customers}.parquet`),
  orders: join(work, `orders-${customers}.parquet`),
}
if (!Object.values(files).every(existsSync)) {
  console.log(`generating ${customers.toLocaleString()} customers and their orders…`)
  await connection.run(sql`copy (
    select 'C' || lpad(range::varchar, 15, '0') as CustomerId,
      ['Anne','Bo','Carl','Dorte','Erik','Frida','Gustav','Hanne'][1 + (hash(range, 1) % 8)::int] as FirstName,
      ['Jensen','Nielsen','Hansen','Pedersen','Smith','Berg'][1 + (hash(range, 2) % 6)::int] as LastName,
      ['Aarhus','København','Odense','Aalborg','Malmö','London','Berlin'][1 + (hash(range, 3) % 7)::int] as City,
      ['DK','DK','DK','SE','GB','DE'][1 + (hash(range, 4) % 6)::int] as Country,
      'user' || range || '@example.com' as Email,
      (date '1950-01-01' + (hash(range, 5) % 20000)::int)::varchar as DateOfBirth,
      1 + (hash(range, 6) % 3)::integer as RecordCount,
      1 as SourceCount
    from range(${customers})) to ${literal(files.profiles)} (format parquet)`)
  await connection.run(sql`copy (
    select 'C' || lpad(range::varchar, 15, '0') as CustomerId, 'crm' as SourceName, range::varchar as SourceKey
    from range(${customers})) to ${literal(files.keys)} (format parquet)`)
  await connection.run(sql`copy (
    select range as order_id, (hash(range, 7) % ${customers})::bigint as customer_key,
      round((hash(range, 8) % 50000) / 100.0, 2)::decimal(10, 2) as amount,
      timestamp '2026-11-24' - to_days((hash(range, 9) % 1500)::int) as order_date,
      ['web','web','app','store'][1 + (hash(range, 10) % 4)::int] as channel,
      ['apparel','shoes','home','beauty','toys'][1 + (hash(range, 11) % 5)::int] as category
    from range(${customers * 3})) to ${literal(files.orders)} (format parquet)`)
}

const describe = async (file: string) =>
  (await connection.rows(sql`describe select * from read_parquet(${literal(file)})`)).map((d) => ({
    name: String(d.column_name),
    type: String(d.column_type),
  }))
const entities = new Map<string, EntityRef>([
  [
    'UnifiedCustomer',
    {
      name: 'UnifiedCustomer',
      files: [files.profiles],
      schema: await describe(files.profiles),
      keyColumn: 'CustomerId',
    },
  ],
  [
    'CustomerSourceKeys',
    { name: 'CustomerSourceKeys', files: [files.keys], schema: await describe(files.keys), keyColumn: null },
  ],
  [
    'orders',
    { name: 'orders', files: [files.orders], schema: await describe(files.orders), keyColumn: 'order_id' },
  ],
])
const link = { source: 'crm', column: 'customer_key' }
const measures = Object.fromEntries(
  Object.entries({
    Revenue: { entity: 'orders', aggregation: 'sum', column: 'amount' },
    RevenueByChannel: { entity: 'orders', aggregation: 'sum', column: 'amount', groupBy: 'channel' },
    OrdersLast30Days: {
      entity: 'orders',
      aggregation: 'count',
      window: { column: 'order_date', last: '30d' },
    },
    AverageAppOrder: { entity: 'orders', aggregation: 'avg', column: 'amount', filter: "channel eq 'app'" },
    Buyers: { entity: 'orders', aggregation: 'countDistinct', column: 'customer_key' },
    LifetimeValue: {
      kind: 'customer',
      entity: 'orders',
      aggregation: 'sum',
      column: 'amount',
      customer: link,
    },
    OrderCount: { kind: 'customer', entity: 'orders', aggregation: 'count', customer: link },
    LargestOrder: {
      kind: 'customer',
      entity: 'orders',
      aggregation: 'max',
      column: 'amount',
      customer: link,
    },
    SpendLastYear: {
      kind: 'customer',
      entity: 'orders',
      aggregation: 'sum',
      column: 'amount',
      window: { column: 'order_date', last: '1y' },
      customer: link,
    },
    ShoeOrders: {
      kind: 'customer',
      entity: 'orders',
      aggregation: 'count',
      filter: "category eq 'shoes'",
      customer: link,
    },
  }).map(([name, m]) => [name, measureSchema.parse(m)]),
)
const recent = (within: string, filter?: string) => ({
  entity: 'orders',
  dateColumn: 'order_date',
  within,
  customer: link,
  ...(filter ? { filter } : {}),
})
const segments = Object.fromEntries(
  Object.entries({
    HighValue: { filter: 'LifetimeValue ge 1000' },
    DanishRegulars: { filter: "Country eq 'DK' and OrderCount ge 3" },
    BigSpendersLastYear: { filter: 'SpendLastYear ge 500 or LargestOrder ge 450' },
    ShoeLovers: { filter: 'ShoeOrders ge 2' },
    CityFolk: { filter: "City eq 'Aarhus' or City eq 'København' or startswith(City, 'Mal')" },
    RecentApp: { filter: 'AppOrders ge 1', activities: { AppOrders: recent('90d', "channel eq 'app'") } },
    Lapsed: { filter: 'Recent eq 0 and OrderCount ge 1', activities: { Recent: recent('1y') } },
    Nordic: { filter: "(Country eq 'DK' or Country eq 'SE') and not (LifetimeValue lt 100)" },
    Pick: {
      filter: "FirstName eq 'Anne' and LastName eq 'Smith'",
      include: ['C000000000000001'],
      exclude: ['C000000000000002'],
    },
    Everyone: {},
  }).map(([name, s]) => [name, segmentSchema.parse(s)]),
)

const outRoot = join(work, 'out')
const ours = async (round: number) => {
  rmSync(outRoot, { recursive: true, force: true })
  return computeInsights(duck, {
    measures,
    segments,
    entities,
    unifiedSources: new Set(['crm']),
    asOf: new Date('2026-11-24T00:00:00Z'),
    outDir: (entity) => join(outRoot, `r${round}`, entity),
  })
}
// The same statements — text and bound values — run one after another on a session of their own,
// with none of computeInsights' planning, checks or bookkeeping: the COPYs write the same files again.
const bare = async (statements: Sql[]) => {
  const session = await SqlSession.open(duck)
  for (const statement of statements) await session.run(statement)
  session.close()
}

console.log(
  `${customers.toLocaleString()} customers, ${(customers * 3).toLocaleString()} orders; 10 measures, 10 segments`,
)
const warm = await ours(0)
const stopMemory = trackPeakMemory()
const oursSeconds: number[] = []
const bareSeconds: number[] = []
for (let round = 1; round <= 3; round++) {
  const a = await timed(() => ours(round))
  oursSeconds.push(a.seconds)
  const b = await timed(() => bare(a.value.statements))
  bareSeconds.push(b.seconds)
  console.log(`round ${round}: computeInsights ${a.seconds.toFixed(2)} s, bare SQL ${b.seconds.toFixed(2)} s`)
}
const peak = stopMemory()
const seconds = median(oursSeconds)
const bareMedian = median(bareSeconds)
console.log(
  `segments: ${warm.segmentCounts.map((c) => `${c.segment} ${c.members.toLocaleString()}`).join(', ')}`,
)
console.log(
  `median: ${seconds.toFixed(2)} s vs bare ${bareMedian.toFixed(2)} s; ratio ${(seconds / bareMedian).toFixed(2)} (goals ≤ 20 s, ≤ 1.5); peak RSS ${peak} MB; ${warm.statements.length} statements`,
)
connection.close()
printResult({
  customers,
  seconds,
  bare_seconds: bareMedian,
  ratio: seconds / bareMedian,
  peak_mb: peak,
  statements: warm.statements.length,
})
process.exit(0)

import { describe, expect, it } from 'vitest'
import { formatProblem, parseConfig } from '../../config/load-config.js'
import { createDuckDb, SqlSession } from '../../query/index.js'
import { validateMeasureSql } from './validate-measure-sql.js'

const base = `version: 1
instance: { id: acme }
dataSources:
  orders: { kind: csv, primaryKey: id, options: { path: orders.csv } }
unify:
  sources:
    orders: { attributes: { email: Email } }
  rules:
    - name: email
      conditions: [{ attribute: Email }]
`

const problems = (yaml: string) => {
  const result = parseConfig(base + yaml, '/cfg/openinsights.yaml')
  if (result.ok) throw new Error('expected problems')
  return result.problems.map((p) => formatProblem('/cfg/openinsights.yaml', p))
}

describe('measures and segments in openinsights.yaml', () => {
  it('accepts measures and segments, filling defaults', () => {
    const result = parseConfig(
      `${base}measures:
  Revenue: { entity: orders, aggregation: sum, column: amount, window: { column: at, last: 30d } }
segments:
  Big: { filter: "Revenue ge 10 and (City eq 'Aarhus' or Recent ge 1)", activities: { Recent: { entity: orders, dateColumn: at, within: 8w } } }
`,
      '/cfg/openinsights.yaml',
    )
    if (!result.ok) throw new Error(JSON.stringify(result.problems))
    expect(result.config.measures.Revenue).toMatchObject({ kind: 'business', thresholds: [] })
    expect(result.config.segments.Big).toMatchObject({ include: [], exclude: [], thresholds: [] })
  })

  it('names the path and the fix for each mistake', () => {
    const found = problems(`measures:
  Revenue: { entity: orders, aggregation: sum }
  Spend: { kind: customer, entity: orders, aggregation: count, groupBy: country }
  Raw: { sql: "select 1 as value", entity: orders }
  lower: { entity: orders, aggregation: count }
  Late: { entity: orders, aggregation: count, window: { column: at, last: 30 days } }
segments:
  Big: { filter: "Revenue ge" }
  Revenue: { filter: "true" }
`)
    const text = found.join('\n')
    expect(text).toMatch(/measures\.Revenue\.column: .*name the column to sum/)
    expect(text).toMatch(/measures\.Spend\.groupBy: .*remove groupBy/)
    expect(text).toMatch(/measures\.Raw\.entity: .*remove entity/)
    expect(text).toMatch(/measures\.lower.*CamelCase/)
    expect(text).toMatch(/measures\.Late\.window\.last: .*12h, 30d/)
  })

  it('checks references once the sections are well formed: OData filters, unified sources, unique names', () => {
    const text = problems(`measures:
  Revenue: { entity: orders, aggregation: count }
  Spend: { kind: customer, entity: orders, aggregation: count, customer: { source: crm, column: id } }
segments:
  Big: { filter: "Revenue ge" }
  Revenue: { filter: "true" }
`).join('\n')
    expect(text).toMatch(
      /measures\.Spend\.customer\.source: 'crm' is not a source unify maps; fix: use one of: orders/,
    )
    expect(text).toMatch(/segments\.Big\.filter: .*position 11; fix: write an OData filter/)
    expect(text).toMatch(/segments\.Revenue: 'Revenue' is also a measure's name/)
  })
})

describe('the SQL escape hatch', () => {
  it('accepts one SELECT over entities and its own CTEs, and rejects anything else with the reason', async () => {
    const duck = await createDuckDb()
    const session = await SqlSession.open(duck)
    const entities = new Set(['orders', 'UnifiedCustomer'])
    const check = (sql: string) => validateMeasureSql(session, 'measures.X', sql, entities)
    await expect(
      check('with big as (select * from orders where amount > 10) select count(*) as value from big'),
    ).resolves.toBeUndefined()
    await expect(check('delete from orders')).rejects.toThrow(/only a SELECT is allowed/)
    await expect(check("copy orders to '/tmp/x.csv'")).rejects.toThrow(/only a SELECT/)
    await expect(check('select 1 as value; select 2 as value')).rejects.toThrow(/exactly one SELECT/)
    await expect(check("select count(*) as value from read_csv('/etc/passwd')")).rejects.toThrow(
      /table functions are not allowed \(read_csv\)/,
    )
    await expect(check('select count(*) as value from secrets')).rejects.toThrow(
      /secrets is not an entity; entities are UnifiedCustomer, orders/,
    )
    await expect(check('select count(* as value from orders')).rejects.toThrow(/measures\.X\.sql: .*syntax/i)
    // A CTE's name counts only where it is defined: one named after a file in one subquery does
    // not make a read of that file in another one pass (it did: names were pooled across scopes).
    await expect(
      check(
        `select (select count(*) from (with "/srv/server.json" as (select 1) select * from "/srv/server.json"))
          + (select count(*) from '/srv/server.json') as value`,
      ),
    ).rejects.toThrow(/\/srv\/server\.json is not an entity/)
    await expect(check('select count(*) as value from other.main.orders')).rejects.toThrow(
      /other\.main\.orders is not an entity/,
    )
    session.close()
    duck.closeSync()
  })
})

describe('flows in openinsights.yaml', () => {
  it('accepts a flow and names a wrong runAfter, trigger parameter or expression with its path', () => {
    const ok = parseConfig(
      `${base}flows:
  Tell the team:
    trigger: { type: datasource.refresh.failed, parameters: { dataSourceName: orders } }
    actions:
      Post: { type: http, inputs: { method: POST, uri: "https://example.com/hook", body: "@triggerBody()?['error']" } }
`,
      '/cfg/openinsights.yaml',
    )
    if (!ok.ok) throw new Error(JSON.stringify(ok.problems))
    expect(ok.config.flows['Tell the team']).toMatchObject({ enabled: true, concurrency: 10 })
    const text = problems(`flows:
  Broken:
    trigger: { type: segment.threshold.crossed, parameters: { segmentName: Big, threshold: many } }
    actions:
      A: { type: compose, inputs: "@concat('x'", runAfter: { Nope: [Succeeded] } }
`).join('\n')
    expect(text).toMatch(/flows\.Broken\.trigger\.parameters\.threshold/)
    expect(text).toMatch(
      /flows\.Broken\.actions\.A\.runAfter\.Nope: 'Nope' is not an action in the same scope/,
    )
    expect(text).toMatch(/flows\.Broken\.actions\.A\.inputs: .*position/)
  })
})

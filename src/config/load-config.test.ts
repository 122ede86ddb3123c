import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { demoConfigYaml } from '../demo/index.js'
import { formatProblem, parseConfig } from './load-config.js'

const valid = `version: 1
instance:
  id: acme
  name: Acme
dataSources:
  contacts:
    kind: csv
    primaryKey: id
    options:
      path: data/contacts.csv
      delimiter: ";"
    columnTypes:
      born: DATE
  shop:
    kind: postgres
    primaryKey: order_id
    options:
      connectionString: postgres://u:p@db:5432/shop
      table: public.orders
`

function problems(text: string) {
  const result = parseConfig(text, '/cfg/openinsights.yaml')
  if (result.ok) throw new Error('expected problems')
  return result.problems
}

describe('parseConfig', () => {
  it('accepts a valid file, fills defaults and resolves file paths against its folder', () => {
    const result = parseConfig(valid, '/cfg/openinsights.yaml')
    if (!result.ok) throw new Error(JSON.stringify(result.problems))
    expect(result.config.dataSources.contacts).toEqual({
      kind: 'csv',
      rejectRatio: 0.05,
      maxShrink: 0.5,
      // Quote, encoding and decimal mark are not set: they are detected from the data.
      options: { path: '/cfg/data/contacts.csv', delimiter: ';', header: true },
      primaryKey: expect.any(String),
      columnTypes: { born: 'DATE' },
    })
    expect(result.config.dataSources.shop?.options).toMatchObject({
      table: 'public.orders',
      batchSize: 10000,
    })
  })

  it('accepts the demo configuration', () => {
    expect(parseConfig(demoConfigYaml(), '/home/demo-data/openinsights.yaml').ok).toBe(true)
  })

  it('names the line, the path and the fix of an unknown kind', () => {
    const [problem, ...rest] = problems(valid.replace('kind: csv', 'kind: xlsx'))
    expect(rest).toEqual([])
    expect(problem).toMatchObject({ path: 'dataSources.contacts.kind', line: 7 })
    expect(formatProblem('openinsights.yaml', problem!)).toBe(
      'openinsights.yaml:7:11 dataSources.contacts.kind: got "xlsx"; fix: set kind to one of "csv", "json", "ndjson", "parquet", "postgres"',
    )
  })

  it('names a misspelt key and where it is', () => {
    const [problem] = problems(valid.replace('delimiter: ";"', 'delimeter: ";"'))
    expect(problem).toMatchObject({
      path: 'dataSources.contacts.options.delimeter',
      message: "unknown key 'delimeter'",
      line: 11,
    })
  })

  it('points at the parent of a missing required key', () => {
    const [problem] = problems(valid.replace('    primaryKey: id\n', ''))
    expect(problem).toMatchObject({
      path: 'dataSources.contacts.primaryKey',
      message: 'is required (string)',
      line: 7,
    })
    expect(problem?.fix).toBe('add dataSources.contacts.primaryKey')
  })

  it('refuses a column type that is not a DuckDB type we allow, before it reaches SQL', () => {
    const [problem] = problems(valid.replace('born: DATE', 'born: "DATE); drop table x; --"'))
    expect(problem).toMatchObject({ path: 'dataSources.contacts.columnTypes.born', line: 13 })
    expect(problem?.message).toContain('a column type is one of VARCHAR')
  })

  it('refuses a data source name that is not a safe identifier', () => {
    const [problem] = problems(valid.replace('  shop:', '  "shop orders":'))
    expect(problem?.path).toBe('dataSources.shop orders')
    expect(problem?.message).toContain('not a valid name')
  })

  it('requires exactly one of table or query for a PostgreSQL source', () => {
    const [problem] = problems(valid.replace('      table: public.orders\n', ''))
    expect(problem).toMatchObject({
      path: 'dataSources.shop.options.table',
      message: 'give exactly one of table or query',
    })
  })

  it('reports YAML syntax errors with their position', () => {
    const [problem] = problems('instance:\n  id: [unclosed\n')
    expect(problem?.line).toBeGreaterThan(0)
    expect(problem?.fix).toBe('fix the YAML syntax at that position')
  })

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const result = parseConfig(text, 'x.yaml')
        if (!result.ok) expect(result.problems.length).toBeGreaterThan(0)
      }),
      { numRuns: 500 },
    )
  })

  it('never throws on YAML-shaped garbage either', () => {
    const yamlish = fc.array(
      fc.tuple(
        fc.constantFrom('', '  ', '    '),
        fc.constantFrom('instance', 'id', 'dataSources', 'kind', 'options', 'path', '- ', 'x'),
        fc.constantFrom(':', ': 1', ': [', ': "a', ': csv', ': {}', ': null'),
      ),
      { maxLength: 20 },
    )
    fc.assert(
      fc.property(yamlish, (lines) => {
        const result = parseConfig(lines.map(([i, k, v]) => `${i}${k}${v}`).join('\n'), 'x.yaml')
        if (!result.ok) for (const p of result.problems) expect(p.fix.length).toBeGreaterThan(0)
      }),
      { numRuns: 500 },
    )
  })
})

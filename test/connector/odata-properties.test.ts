import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { literal, sql } from '../../src/query/index.js'
import type { Runtime } from '../../src/runtime/index.js'
import { createApiKey } from '../../src/server/auth/api-key-service.js'
import { type ApiApp, buildApp } from '../../src/server/index.js'
import { getEntity, publishEntityVersion } from '../../src/store/entities.js'
import { upsertInstance } from '../../src/store/instances.js'
import { duckRun } from '../helpers/duck.js'
import { createTestStore, type TestStore } from '../helpers/test-store.js'

/** The generated entity, and an OData evaluator over it written independently of the SQL path. */
interface Row {
  id: number
  name: string | null
  city: string | null
  age: number | null
  score: number | null
  active: boolean | null
  born: string | null
}

const NAMES = ['Ann', 'ann', 'Anne', 'Bo', 'Åse', "O'Neil", 'Zoë', 'bob', '', 'Ève']
const CITIES = ['Aarhus', 'aarhus', 'Oslo', 'Malmö', 'Køge']

function generateRows(n: number): Row[] {
  const rng = fc.sample(
    fc.record({
      name: fc.option(fc.constantFrom(...NAMES), { freq: 5 }),
      city: fc.option(fc.constantFrom(...CITIES), { freq: 5 }),
      age: fc.option(fc.integer({ min: 0, max: 99 }), { freq: 5 }),
      score: fc.option(fc.double({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true }), { freq: 5 }),
      active: fc.option(fc.boolean(), { freq: 4 }),
      born: fc.option(
        fc
          .date({ min: new Date('1940-01-01'), max: new Date('2010-12-31'), noInvalidDate: true })
          .map((d) => d.toISOString().slice(0, 10)),
        { freq: 5 },
      ),
    }),
    { numRuns: n, seed: 42 },
  )
  return rng.map((r, i) => ({ id: i + 1, ...r }))
}

type Value = string | number | boolean | null
/** A generated filter: its OData text and what it means for one row. */
interface Filter {
  text: string
  test: (row: Row) => boolean
}

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`
const cmp = (op: string, a: Value, b: Value): boolean => {
  if (op === 'eq') return a === b
  if (op === 'ne') return a !== b
  if (a === null || b === null) return false
  switch (op) {
    case 'gt':
      return a > b
    case 'ge':
      return a >= b
    case 'lt':
      return a < b
    default:
      return a <= b
  }
}
const op = fc.constantFrom('eq', 'ne', 'gt', 'ge', 'lt', 'le')

const stringOperand = fc.oneof(
  fc
    .constantFrom('name', 'city')
    .map((p) => ({ text: p, get: (r: Row) => r[p as 'name' | 'city'] as string | null })),
  fc.constantFrom('name', 'city').map((p) => ({
    text: `tolower(${p})`,
    get: (r: Row) =>
      r[p as 'name' | 'city'] === null ? null : (r[p as 'name' | 'city'] as string).toLowerCase(),
  })),
)
const stringLiteral = fc.oneof(
  fc.constantFrom(...NAMES, ...CITIES, 'a', 'An', 'ö', 'e'),
  fc.string({ maxLength: 3 }),
)

const leaf: fc.Arbitrary<Filter> = fc.oneof(
  fc.tuple(stringOperand, op, stringLiteral).map(([s, o, v]) => ({
    text: `${s.text} ${o} ${quote(v)}`,
    test: (r: Row) => cmp(o, s.get(r), v),
  })),
  fc
    .tuple(
      fc.constantFrom('age', 'score'),
      op,
      fc.oneof(
        fc.integer({ min: -5, max: 105 }),
        fc
          .double({ min: -120, max: 120, noNaN: true, noDefaultInfinity: true })
          .map((d) => Math.round(d * 100) / 100),
      ),
    )
    .map(([p, o, v]) => ({
      text: `${p} ${o} ${v}`,
      test: (r: Row) => cmp(o, r[p as 'age' | 'score'], v),
    })),
  fc
    .tuple(op, fc.date({ min: new Date('1930-01-01'), max: new Date('2020-12-31'), noInvalidDate: true }))
    .map(([o, d]) => {
      const v = d.toISOString().slice(0, 10)
      return { text: `born ${o} ${v}`, test: (r: Row) => cmp(o, r.born, v) }
    }),
  fc.tuple(fc.constantFrom('eq', 'ne'), fc.boolean()).map(([o, v]) => ({
    text: `active ${o} ${v}`,
    test: (r: Row) => cmp(o, r.active, v),
  })),
  fc.constant({ text: 'active', test: (r: Row) => r.active === true }),
  fc
    .tuple(fc.constantFrom('name', 'city', 'age', 'score', 'active', 'born'), fc.constantFrom('eq', 'ne'))
    .map(([p, o]) => ({
      text: `${p} ${o} null`,
      test: (r: Row) => cmp(o, r[p as keyof Row] as Value, null),
    })),
  fc
    .tuple(fc.constantFrom('contains', 'startswith', 'endswith'), stringOperand, stringLiteral)
    .map(([f, s, v]) => ({
      text: `${f}(${s.text}, ${quote(v)})`,
      test: (r: Row) => {
        const x = s.get(r)
        if (x === null) return false
        return f === 'contains' ? x.includes(v) : f === 'startswith' ? x.startsWith(v) : x.endsWith(v)
      },
    })),
  fc
    .tuple(
      fc.constantFrom('name', 'city'),
      fc.array(fc.option(stringLiteral, { freq: 6 }), { minLength: 1, maxLength: 4 }),
    )
    .map(([p, list]) => ({
      text: `${p} in (${list.map((v) => (v === null ? 'null' : quote(v))).join(', ')})`,
      test: (r: Row) => list.includes(r[p as 'name' | 'city']),
    })),
  fc
    .tuple(fc.constantFrom('age'), fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 1, maxLength: 5 }))
    .map(([p, list]) => ({
      text: `${p} in (${list.join(',')})`,
      test: (r: Row) => r.age !== null && list.includes(r.age),
    })),
  fc.tuple(op, fc.integer({ min: 1939, max: 2011 })).map(([o, y]) => ({
    text: `year(born) ${o} ${y}`,
    test: (r: Row) => cmp(o, r.born === null ? null : Number(r.born.slice(0, 4)), y),
  })),
  fc.tuple(op, fc.integer({ min: 0, max: 6 })).map(([o, n]) => ({
    text: `length(name) ${o} ${n}`,
    test: (r: Row) => cmp(o, r.name === null ? null : [...r.name].length, n),
  })),
  // Arithmetic, with OData's precedence (mul before add) and integer division of integers.
  fc
    .tuple(
      fc.constantFrom('add', 'sub', 'mul', 'div', 'mod'),
      fc.integer({ min: 1, max: 9 }),
      fc.constantFrom('add', 'mul'),
      fc.integer({ min: 0, max: 5 }),
      op,
      fc.integer({ min: -20, max: 300 }),
    )
    .map(([a, n, b, m, o, v]) => {
      const apply = (x: number, operator: string, y: number) =>
        ({
          add: x + y,
          sub: x - y,
          mul: x * y,
          div: Math.trunc(x / y),
          mod: x % y,
        })[operator] as number
      return {
        text: `age ${a} ${n} ${b} ${m} ${o} ${v}`,
        // `age a n b m`: a and b are left-associative unless b binds tighter (mul after add/sub).
        test: (r: Row) => {
          if (r.age === null) return cmp(o, null, v)
          const tighter = b === 'mul' && (a === 'add' || a === 'sub')
          const value = tighter ? apply(r.age, a, n * m) : apply(apply(r.age, a, n), b, m)
          return cmp(o, value, v)
        },
      }
    }),
  fc.tuple(op, fc.integer({ min: -120, max: 0 })).map(([o, v]) => ({
    text: `-age ${o} ${v}`,
    test: (r: Row) => cmp(o, r.age === null ? null : -r.age, v),
  })),
  fc
    .tuple(fc.constantFrom('round', 'floor', 'ceiling'), op, fc.integer({ min: -100, max: 100 }))
    .map(([f, o, v]) => ({
      text: `${f}(score) ${o} ${v}`,
      test: (r: Row) => {
        if (r.score === null) return cmp(o, null, v)
        const x = r.score
        // round: half away from zero, as DuckDB and .NET's MidpointRounding.AwayFromZero.
        const value =
          f === 'round'
            ? Math.sign(x) * Math.round(Math.abs(x))
            : f === 'floor'
              ? Math.floor(x)
              : Math.ceil(x)
        return cmp(o, value === 0 ? 0 : value, v)
      },
    })),
  fc
    .tuple(stringOperand, fc.constantFrom('a', 'e', 'n', 'ö', 'x'), op, fc.integer({ min: -1, max: 4 }))
    .map(([s, needle, o, v]) => ({
      text: `indexof(${s.text}, ${quote(needle)}) ${o} ${v}`,
      test: (r: Row) => {
        const x = s.get(r)
        return cmp(
          o,
          x === null ? null : [...x].findIndex((_, i) => [...x].slice(i).join('').startsWith(needle)),
          v,
        )
      },
    })),
  fc.tuple(fc.integer({ min: 0, max: 4 }), stringLiteral).map(([i, v]) => ({
    text: `substring(name, ${i}) eq ${quote(v)}`,
    test: (r: Row) => r.name !== null && [...r.name].slice(i).join('') === v,
  })),
  fc.tuple(stringLiteral).map(([v]) => ({
    text: `contains(concat(name, city), ${quote(v)})`,
    test: (r: Row) => r.name !== null && r.city !== null && `${r.name}${r.city}`.includes(v),
  })),
  fc.tuple(fc.constantFrom('month', 'day'), op, fc.integer({ min: 0, max: 32 })).map(([f, o, v]) => ({
    text: `${f}(born) ${o} ${v}`,
    test: (r: Row) =>
      cmp(o, r.born === null ? null : Number(r.born.slice(f === 'month' ? 5 : 8, f === 'month' ? 7 : 10)), v),
  })),
  // not binds tighter than eq: (not active) eq false.
  fc.constant({ text: 'not active eq false', test: (r: Row) => r.active === true }),
)

const filterArb: fc.Arbitrary<Filter> = fc.letrec<{ f: Filter }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.tuple(tie('f'), fc.constantFrom('and', 'or'), tie('f')).map(([a, o, b]) => ({
      text: `(${a.text}) ${o} (${b.text})`,
      test: (r: Row) => (o === 'and' ? a.test(r) && b.test(r) : a.test(r) || b.test(r)),
    })),
    tie('f').map((a) => ({ text: `not (${a.text})`, test: (r: Row) => !a.test(r) })),
  ),
})).f

let store: TestStore
let runtime: Runtime
let app: ApiApp
let key: string
let rows: Row[]
let partitionDir: string

const get = async (query: Record<string, string>) => {
  const response = await app.inject({
    method: 'GET',
    url: '/api/v1/instances/acme/data/people',
    query,
    headers: { 'x-api-key': key },
  })
  return { status: response.statusCode, json: response.json() }
}

beforeAll(async () => {
  store = await createTestStore('pglite')
  runtime = await store.open({ role: 'api' })
  app = await buildApp(runtime)
  key = (await createApiKey(runtime.db, { name: 'props', scopes: ['read'], rateLimit: 0 })).key
  await upsertInstance(runtime.db, { id: 'acme', name: 'Acme' })
  rows = generateRows(300)
  const dir = join(store.settings.home, 'work')
  partitionDir = join(store.settings.dataDir, 'acme', 'entities', 'people', 'v1')
  mkdirSync(dir, { recursive: true })
  mkdirSync(partitionDir, { recursive: true })
  const ndjson = join(dir, 'people.ndjson')
  writeFileSync(ndjson, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`)
  await duckRun(
    runtime.duck,
    sql`copy (select * from read_json(${literal(ndjson)}, columns = {id: 'INTEGER', name: 'VARCHAR', city: 'VARCHAR', age: 'INTEGER', score: 'DOUBLE', active: 'BOOLEAN', born: 'DATE'}) order by id)
     to ${literal(join(partitionDir, 'part-00000.parquet'))} (format parquet)`,
  )
  await publishEntityVersion(
    runtime.db,
    {
      id: 'v1',
      instanceId: 'acme',
      entityName: 'people',
      refreshId: 'v1',
      directory: partitionDir,
      rowCount: rows.length,
      schema: [
        { name: 'id', type: 'INTEGER' },
        { name: 'name', type: 'VARCHAR' },
        { name: 'city', type: 'VARCHAR' },
        { name: 'age', type: 'INTEGER' },
        { name: 'score', type: 'DOUBLE' },
        { name: 'active', type: 'BOOLEAN' },
        { name: 'born', type: 'DATE' },
      ],
      partitions: [{ name: 'part-00000', file: 'part-00000.parquet', rowCount: rows.length, sizeBytes: 1 }],
      keyColumn: 'id',
    },
    'test',
  )
}, 60_000)
afterAll(async () => {
  await app?.close()
  await store?.dispose()
})

describe('OData $filter through the API', () => {
  it('returns exactly the rows a direct evaluation of the filter selects', async () => {
    await fc.assert(
      fc.asyncProperty(filterArb, async (filter) => {
        const response = await get({ $filter: filter.text, $select: 'id', $orderby: 'id', $top: '1000' })
        if (response.status !== 200) throw new Error(`${filter.text}: ${JSON.stringify(response.json)}`)
        const got = (response.json.value as { id: number }[]).map((r) => r.id)
        const expected = rows.filter(filter.test).map((r) => r.id)
        expect(got, filter.text).toEqual(expected)
      }),
      { numRuns: 300, seed: Number(process.env.FC_SEED ?? 20261124) },
    )
  }, 120_000)

  it('counts, pages with $skip and nextLink, orders with nulls first and selects columns', async () => {
    const expected = rows.filter((r) => r.age !== null && r.age >= 50)
    const first = await get({ $filter: 'age ge 50', $count: 'true', $top: '7', $orderby: 'age desc' })
    expect(first.status).toBe(200)
    expect(first.json['@odata.count']).toBe(expected.length)
    const sorted = [...expected].sort((a, b) => (b.age as number) - (a.age as number) || a.id - b.id)
    expect(first.json.value.map((r: Row) => r.id)).toEqual(sorted.slice(0, 7).map((r) => r.id))
    expect(first.json['@odata.nextLink']).toBeUndefined()

    const page = await get({ $filter: 'age ge 50', $orderby: 'age desc' })
    expect(page.json.value).toHaveLength(sorted.length)
    const ascending = await get({ $orderby: 'name', $select: 'id,name', $top: '5' })
    expect(Object.keys(ascending.json.value[0])).toEqual(['id', 'name'])
    expect(ascending.json.value[0].name).toBeNull()
  })

  it('serves more than 1,000 rows as pages linked by absolute @odata.nextLink', async () => {
    const dir = join(store.settings.dataDir, 'acme', 'entities', 'numbers', 'v1')
    mkdirSync(dir, { recursive: true })
    await duckRun(
      runtime.duck,
      sql`copy (select range::INTEGER as n, (range % 7)::INTEGER as r from range(2500)) to ${literal(join(dir, 'part-00000.parquet'))} (format parquet)`,
    )
    await publishEntityVersion(
      runtime.db,
      {
        id: 'n1',
        instanceId: 'acme',
        entityName: 'numbers',
        refreshId: 'n1',
        directory: dir,
        rowCount: 2500,
        schema: [
          { name: 'n', type: 'INTEGER' },
          { name: 'r', type: 'INTEGER' },
        ],
        partitions: [{ name: 'part-00000', file: 'part-00000.parquet', rowCount: 2500, sizeBytes: 1 }],
        keyColumn: 'n',
      },
      'test',
    )
    const seen: number[] = []
    let url: string | undefined =
      '/api/v1/instances/acme/data/numbers?$filter=r ne 3&$orderby=n desc&$count=true'
    let pages = 0
    while (url) {
      // biome-ignore lint/suspicious/noExplicitAny: the body is checked by the assertions below
      const response: { json(): any } = await app.inject({
        method: 'GET',
        url,
        headers: { 'x-api-key': key },
      })
      const body = response.json()
      expect(body['@odata.count']).toBe(2143)
      expect(body.value.length).toBeLessThanOrEqual(1000)
      for (const row of body.value) seen.push(row.n)
      const next: string | undefined = body['@odata.nextLink']
      if (next) expect(next).toMatch(/^http:\/\/localhost(:\d+)?\/api\/v1\/instances\/acme\/data\/numbers\?/)
      url = next?.replace(/^http:\/\/[^/]+/, '')
      pages++
    }
    expect(pages).toBe(3)
    const expected = Array.from({ length: 2500 }, (_, i) => 2499 - i).filter((n) => n % 7 !== 3)
    expect(seen).toEqual(expected)
    // $top beyond a page: 1,000 now, the rest through the link.
    const capped = await app.inject({
      method: 'GET',
      url: '/api/v1/instances/acme/data/numbers?$top=1200&$skip=5',
      headers: { 'x-api-key': key },
    })
    expect(capped.json().value).toHaveLength(1000)
    expect(capped.json()['@odata.nextLink']).toContain('$top=200&$skip=1005')
  })

  it('takes plain parameters as field filters, typed by the column', async () => {
    const response = await get({
      city: 'Aarhus',
      age: String(rows.find((r) => r.city === 'Aarhus' && r.age !== null)?.age),
    })
    expect(response.status).toBe(200)
    for (const r of response.json.value) expect(r.city).toBe('Aarhus')
    expect((await get({ age: 'old' })).json.error).toMatchObject({ code: 'InvalidQuery', target: 'age' })
    expect((await get({ nosuch: 'x' })).json.error.message).toContain("unknown property 'nosuch'")
  })

  it('answers malformed queries with 400 naming the position', async () => {
    const bad = await get({ $filter: "name eq 'Ann' and" })
    expect(bad.status).toBe(400)
    expect(bad.json.error).toMatchObject({ code: 'InvalidQuery', target: '$filter' })
    expect(bad.json.error.message).toBe(
      '$filter: expected a value, a property or ( but found the end at position 18',
    )
    const typed = await get({ $filter: "age gt 'old'" })
    expect(typed.json.error.message).toBe('$filter: gt cannot compare number with string at position 5')
    const order = await get({ $orderby: 'age sideways' })
    expect(order.json.error.message).toContain('$orderby')
  })

  it('never answers garbage in $filter, $orderby or $select with a 500', async () => {
    const noise = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.tuple(filterArb, fc.nat(), fc.string({ maxLength: 3 })).map(([f, at, s]) => {
        const i = at % (f.text.length + 1)
        return f.text.slice(0, i) + s + f.text.slice(i + 1)
      }),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('$filter', '$orderby', '$select', '$top', '$skip', 'name'),
        noise,
        async (option, text) => {
          const response = await get({ [option]: text })
          expect([200, 400], `${option}=${text}: ${JSON.stringify(response.json)}`).toContain(response.status)
          if (response.status === 400)
            expect(response.json.error.code).toMatch(/^(InvalidQuery|ValidationFailed)$/)
        },
      ),
      { numRuns: 400, seed: 7 },
    )
  }, 120_000)

  it('refuses SQL injection and changes nothing', async () => {
    const filesBefore = readdirSync(partitionDir).map((f) => [f, statSync(join(partitionDir, f)).mtimeMs])
    const attempts = [
      "name eq 'x'; drop table people; --",
      "name eq 'x' or 1=1 --",
      "name eq 'x') union select * from duckdb_settings() --",
      "id eq 1; copy (select 1) to '/tmp/oi-pwned.csv'",
      'id eq 1 or "id" = 1',
      'name eq $$x$$',
      "contains(name, 'a') = true",
      'id in (select 1)',
    ]
    for (const text of attempts) {
      const response = await get({ $filter: text })
      expect(response.status, text).toBe(400)
    }
    for (const [option, text] of [
      ['$orderby', 'id; drop table people'],
      ['$orderby', '(select 1)'],
      ['$select', 'id, (select 1)'],
      ['$select', '*; select 1'],
      ['$top', '1; drop table people'],
    ]) {
      expect((await get({ [option as string]: text as string })).status, `${option}=${text}`).toBe(400)
    }
    // A quote inside a string literal is data, not SQL: it matches nothing.
    const quoted = await get({ $filter: "name eq 'x'' or ''1''=''1'" })
    expect(quoted.status).toBe(200)
    expect(quoted.json.value).toEqual([])
    // The same holds for a field filter.
    const literal = await get({ name: "x' or '1'='1" })
    expect(literal.status).toBe(200)
    expect(literal.json.value).toEqual([])
    const after = await get({ $count: 'true', $top: '0' })
    expect(after.json['@odata.count']).toBe(rows.length)
    expect(readdirSync(partitionDir).map((f) => [f, statSync(join(partitionDir, f)).mtimeMs])).toEqual(
      filesBefore,
    )
    expect((await getEntity(runtime.db, 'acme', 'people'))?.current.id).toBe('v1')
  })
})

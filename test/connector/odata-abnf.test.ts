import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DOMParser } from '@xmldom/xmldom'
import buildQueryModule from 'odata-query'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Runtime } from '../../src/runtime/index.js'
import type { ApiApp } from '../../src/server/index.js'
import { odataServer, publishRows } from '../helpers/entity-fixture.js'
import type { TestStore } from '../helpers/test-store.js'

/**
 * The OASIS OData ABNF test cases in scope for entity queries (../shared/vendor/odata-abnf,
 * README beside it), sent as they are to the entity route: every valid one answers 200, every
 * invalid one 400 naming a position; the cases whose rows can be told from the data below are
 * checked row by row.
 */
interface Case {
  name: string
  input: string
  valid: boolean
  failAt?: number
  send: { query?: string; $filter?: string }
}
const VENDOR = join(import.meta.dirname, '..', '..', '..', 'shared', 'vendor', 'odata-abnf', 'cases.json')
const suite = JSON.parse(readFileSync(VENDOR, 'utf8')) as {
  columns: { name: string; type: string }[]
  key: string
  cases: Case[]
}

const ROWS = [
  {
    ID: '01234567-89ab-cdef-0123-456789abcdef',
    Name: 'Milk',
    CompanyName: 'Alfreds Futterkiste',
    Street: 'Hugo',
    City: 'Berlin',
    FirstName: 'Smith',
    LastName: 'Miller',
    style: 'Yellow',
    Price: 2.55,
    Rating: 10,
    Cost: 3,
    Revenue: 2,
    Size: 4,
    Completed: true,
    Date: '2012-09-03',
    ReleaseDate: '2012-09-03T12:53:00Z',
    BirthDate: '1990-05-06T07:08:09.5',
    LifeTime: '2020-01-01T00:00:00Z',
  },
  {
    ID: 'ffffffff-0000-0000-0000-000000000002',
    Name: 'Cheese',
    CompanyName: 'Futterkiste Ltd',
    Street: 'Main',
    City: 'Oslo',
    FirstName: 'Jones',
    LastName: 'Smith',
    style: 'Blue',
    Price: 4.0,
    Rating: 3,
    Cost: 1,
    Revenue: 5,
    Size: 1,
    Completed: false,
    Date: '2012-09-10',
    ReleaseDate: '2014-01-01T00:00:00Z',
    BirthDate: '1985-01-01T00:00:00',
    LifeTime: null,
  },
  { ID: 'ffffffff-0000-0000-0000-000000000003', Name: null, Price: null, Rating: null, Completed: null },
]

/** Cases whose rows the data above decides: the IDs' last digit of the rows each must return. */
const EXPECTED_ROWS: Record<string, number[]> = {
  "Name eq 'Milk'": [1],
  "Name in ('Milk', 'Cheese')": [1, 2],
  'Price add 2.45 eq 5.00': [1],
  'Price sub 0.55 eq 2.00': [1],
  'Price mul 2.0 eq 5.10': [1],
  'Price div 2.55 eq 1': [1],
  'Rating divby 2 eq 2.5': [],
  'Rating mod 5 eq 0': [1],
  "contains(CompanyName,'lfreds')": [1],
  "endswith(CompanyName,'Futterkiste')": [1],
  "startswith(CompanyName,'Futterkiste')": [2],
  'length(CompanyName) eq 19': [1],
  "not endswith(Name,'ilk')": [2, 3],
  "FirstName in ('Miller','Smith')": [1],
  'FirstName in ()': [],
  'Completed eq tRUe': [1],
  'Completed eq false': [2],
  'Date eq 2012-09-03': [1],
  'Date eq 2012-09-10': [2],
  'ReleaseDate eq 2012-09-03T14:53+02:00': [1],
  'ReleaseDate eq 2012-09-03T12:53Z': [1],
  'ID eq 01234567-89ab-cdef-0123-456789abcdef': [1],
  'Price eq 4.0': [2],
  "Street eq 'Hugo'": [1],
  // Compared with a number, true reads as 1 (the case is valid OData, so it is not refused).
  'Size eq true': [2],
  'Size eq 4.0': [1],
}
const lastDigit = (id: string) => Number(id.at(-1) === 'f' ? 1 : id.at(-1))

let store: TestStore
let runtime: Runtime
let app: ApiApp
let key: string

beforeAll(async () => {
  ;({ store, runtime, app, key } = await odataServer('abnf'))
  await publishRows(store, runtime, 'Products', suite.columns, ROWS, suite.key)
}, 60_000)
afterAll(async () => {
  await app?.close()
  await store?.dispose()
})

/** The URL of a case: its query as written (each name and value encoded), or its $filter. */
function urlOf(c: Case): string {
  const query =
    c.send.$filter !== undefined
      ? `$filter=${encodeURIComponent(c.send.$filter)}`
      : (c.send.query as string)
          .split('&')
          .map((pair) => {
            const at = pair.indexOf('=')
            return at < 0
              ? encodeURIComponent(pair)
              : `${encodeURIComponent(pair.slice(0, at))}=${encodeURIComponent(pair.slice(at + 1))}`
          })
          .join('&')
  return `/api/v1/instances/acme/data/Products?${query}`
}

describe('the OASIS OData ABNF test cases', () => {
  it('answers every valid case and refuses every invalid one with its position', async () => {
    const wrong: string[] = []
    for (const c of suite.cases) {
      const response = await app.inject({ method: 'GET', url: urlOf(c), headers: { 'x-api-key': key } })
      const body = response.json()
      if (c.valid && response.statusCode !== 200)
        wrong.push(`${c.name} «${c.input}»: ${response.statusCode} ${body.error?.message}`)
      if (
        !c.valid &&
        (response.statusCode !== 400 ||
          !/at position \d+$|unknown query option|^querystring\./.test(body.error?.message ?? ''))
      )
        wrong.push(
          `${c.name} «${c.input}» should be refused: ${response.statusCode} ${JSON.stringify(body).slice(0, 120)}`,
        )
      const expected = c.send.$filter === undefined ? undefined : EXPECTED_ROWS[c.send.$filter]
      if (expected && response.statusCode === 200) {
        const got = (body.value as { ID: string }[]).map((r) => lastDigit(r.ID)).sort()
        if (JSON.stringify(got) !== JSON.stringify(expected))
          wrong.push(
            `${c.name} «${c.input}»: rows ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`,
          )
      }
    }
    expect(wrong).toEqual([])
    expect(suite.cases.filter((c) => c.valid)).toHaveLength(134)
  })
})

// The package's types describe its ES module's default export as the module itself.
const buildQuery = buildQueryModule as unknown as (query: Record<string, unknown>) => string

describe('the OData service (Power BI / Excel "OData feed")', () => {
  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers: { 'x-api-key': key, ...headers } })

  it('has a service document and $metadata in CSDL XML and JSON, with keys and Edm types', async () => {
    const root = await get('/api/v1/instances/acme/data')
    expect(root.statusCode).toBe(200)
    expect(root.headers['odata-version']).toBe('4.0')
    expect(root.json()).toMatchObject({
      '@odata.context': expect.stringMatching(/\/api\/v1\/instances\/acme\/data\/\$metadata$/),
      value: [{ name: 'Products', kind: 'EntitySet', url: 'Products' }],
    })
    const metadata = await get('/api/v1/instances/acme/data/$metadata')
    expect(metadata.statusCode).toBe(200)
    expect(metadata.headers['content-type']).toMatch(/^application\/xml/)
    const errors: string[] = []
    const doc = new DOMParser({
      onError: (level, message) => void (level !== 'warning' && errors.push(message)),
    }).parseFromString(metadata.body, 'text/xml')
    expect(errors).toEqual([])
    const edm = 'http://docs.oasis-open.org/odata/ns/edm'
    const entityType = doc.getElementsByTagNameNS(edm, 'EntityType')[0]
    expect(entityType?.getAttribute('Name')).toBe('Products')
    expect(entityType?.getElementsByTagNameNS(edm, 'PropertyRef')[0]?.getAttribute('Name')).toBe('ID')
    const types = Object.fromEntries(
      Array.from(entityType?.getElementsByTagNameNS(edm, 'Property') ?? []).map((p) => [
        p.getAttribute('Name'),
        p.getAttribute('Type'),
      ]),
    )
    expect(types).toMatchObject({
      ID: 'Edm.String',
      Price: 'Edm.Decimal',
      Rating: 'Edm.Int32',
      Cost: 'Edm.Double',
      Completed: 'Edm.Boolean',
      Date: 'Edm.Date',
      ReleaseDate: 'Edm.DateTimeOffset',
    })
    expect(doc.getElementsByTagNameNS(edm, 'EntitySet')[0]?.getAttribute('EntityType')).toBe(
      'OpenInsights.Products',
    )
    const json = await get('/api/v1/instances/acme/data/$metadata?$format=json')
    expect(json.json()).toMatchObject({
      $Version: '4.01',
      $EntityContainer: 'OpenInsights.Container',
      OpenInsights: {
        Products: {
          $Kind: 'EntityType',
          $Key: ['ID'],
          Price: { $Type: 'Edm.Decimal', $Precision: 18, $Scale: 2 },
        },
        Container: { Products: { $Collection: true, $Type: 'OpenInsights.Products' } },
      },
    })
  })

  it('counts with /$count, pages by Prefer: odata.maxpagesize, and leaves out metadata when asked', async () => {
    const count = await get(
      `/api/v1/instances/acme/data/Products/$count?$filter=${encodeURIComponent('Price gt 3')}`,
    )
    expect(count.statusCode).toBe(200)
    expect(count.body).toBe('1')
    const paged = await get('/api/v1/instances/acme/data/Products?$orderby=ID', {
      prefer: 'odata.maxpagesize=2',
    })
    expect(paged.headers['preference-applied']).toBe('odata.maxpagesize=2')
    expect(paged.json().value).toHaveLength(2)
    const next = new URL(paged.json()['@odata.nextLink'])
    const rest = await get(`${next.pathname}${next.search}`, { prefer: 'odata.maxpagesize=2' })
    expect(rest.json().value).toHaveLength(1)
    const bare = await get(
      '/api/v1/instances/acme/data/Products?$format=application/json;odata.metadata=none',
    )
    expect(bare.statusCode).toBe(200)
    expect(bare.json()['@odata.context']).toBeUndefined()
    expect((await get('/api/v1/instances/acme/data/Products?$format=xml')).statusCode).toBe(400)
  })

  it('answers queries built with the odata-query builder with the rows they mean', async () => {
    const ask = async (query: Record<string, unknown>) => {
      const response = await get(`/api/v1/instances/acme/data/Products${buildQuery(query)}`)
      expect(response.statusCode, JSON.stringify(response.json())).toBe(200)
      return (response.json().value as { ID: string; Name: string | null }[]).map((r) => r.Name)
    }
    expect(await ask({ filter: { Name: 'Milk' }, select: ['ID', 'Name'] })).toEqual(['Milk'])
    expect(await ask({ filter: { Price: { gt: 3 } } })).toEqual(['Cheese'])
    expect(await ask({ filter: { Name: { in: ['Milk', 'Cheese'] } }, orderBy: 'Name desc' })).toEqual([
      'Milk',
      'Cheese',
    ])
    expect(await ask({ filter: { and: [{ Rating: { ge: 3 } }, { Completed: false }] } })).toEqual(['Cheese'])
    expect(
      await ask({ filter: { 'tolower(CompanyName)': { contains: 'futterkiste' } }, orderBy: 'ID' }),
    ).toEqual(['Milk', 'Cheese'])
    expect(
      await ask({ filter: { ID: { eq: { type: 'guid', value: '01234567-89ab-cdef-0123-456789abcdef' } } } }),
    ).toEqual(['Milk'])
    expect(await ask({ filter: { not: { Name: { eq: null } } }, orderBy: 'ID', top: 1, skip: 1 })).toEqual([
      'Cheese',
    ])
  })
})

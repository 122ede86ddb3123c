import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Runtime } from '../../src/runtime/index.js'
import type { ApiApp } from '../../src/server/index.js'
import { odataServer, publishRows } from '../helpers/entity-fixture.js'
import type { TestStore } from '../helpers/test-store.js'

/**
 * A real OData client proves the service: the SAP Cloud SDK's OData v4 generator (from the npm
 * registry) reads our live `$metadata` and writes a typed client, and that client's queries —
 * built with its own typed fields, not by us — run against the running server over HTTP.
 */

const ROOT = resolve(import.meta.dirname, '..', '..')

const ROWS = [
  {
    ProductId: 'p-1',
    Name: 'Milk',
    Price: '2.55',
    Rating: 4,
    InStock: true,
    ReleaseDate: '2012-09-03',
    UpdatedAt: '2026-01-02T03:04:05Z',
    Score: 0.5,
  },
  {
    ProductId: 'p-2',
    Name: 'Cheese',
    Price: '12.00',
    Rating: 5,
    InStock: false,
    ReleaseDate: '2020-02-29',
    UpdatedAt: '2026-06-01T12:00:00Z',
    Score: 1.25,
  },
  {
    ProductId: 'p-3',
    Name: "O'Brien's bread",
    Price: '4.10',
    Rating: null,
    InStock: true,
    ReleaseDate: null,
    UpdatedAt: null,
    Score: null,
  },
]

// The generated client's types are its own; the test reaches them through this much.
type Field = {
  equals(value: unknown): unknown
  greaterThan(value: unknown): unknown
  notEquals(value: unknown): unknown
}
type Product = {
  productId: string
  name: string | null
  price: { toFixed(digits: number): string } | null
  rating: number | null
  inStock: boolean | null
  releaseDate: { format(pattern: string): string } | null
  updatedAt: { toISOString(): string } | null
}
type Request<T> = {
  filter(...filters: unknown[]): Request<T>
  orderBy(...orders: unknown[]): Request<T>
  select(...fields: unknown[]): Request<T>
  top(n: number): Request<T>
  skip(n: number): Request<T>
  addCustomHeaders(headers: Record<string, string>): Request<T>
  execute(destination: { url: string }): Promise<T>
}
type ProductsApi = {
  schema: Record<string, Field>
  requestBuilder(): {
    getAll(): Request<Product[]>
    getByKey(key: string): Request<Product>
  }
}

describe('a typed client generated from our $metadata by the SAP Cloud SDK generator', () => {
  let store: TestStore
  let runtime: Runtime
  let app: ApiApp
  let key: string
  let url: string
  let work: string
  let products: ProductsApi
  let visits: { requestBuilder(): { getAll(): Request<{ page: string; seconds: { toNumber(): number } }[]> } }
  let generatedFiles: string[]
  let and: (...filters: unknown[]) => unknown
  let or: (...filters: unknown[]) => unknown
  let asc: (field: unknown) => unknown
  let desc: (field: unknown) => unknown

  beforeAll(async () => {
    ;({ store, runtime, app, key } = await odataServer('sap client'))
    await publishRows(
      store,
      runtime,
      'Products',
      [
        { name: 'ProductId', type: 'VARCHAR' },
        { name: 'Name', type: 'VARCHAR' },
        { name: 'Price', type: 'DECIMAL(10,2)' },
        { name: 'Rating', type: 'INTEGER' },
        { name: 'InStock', type: 'BOOLEAN' },
        { name: 'ReleaseDate', type: 'DATE' },
        { name: 'UpdatedAt', type: 'TIMESTAMP WITH TIME ZONE' },
        { name: 'Score', type: 'DOUBLE' },
      ],
      ROWS,
      'ProductId',
    )
    // An entity without a key (as BusinessMeasures is): no Key in $metadata.
    await publishRows(
      store,
      runtime,
      'Visits',
      [
        { name: 'Page', type: 'VARCHAR' },
        { name: 'Seconds', type: 'BIGINT' },
      ],
      [
        { Page: '/a', Seconds: 3 },
        { Page: '/b', Seconds: 9 },
      ],
      null,
    )
    await app.listen({ port: 0, host: '127.0.0.1' })
    const port = (app.server.address() as AddressInfo).port
    url = `http://127.0.0.1:${port}/api/v1/instances/acme/data`
    const metadata = await fetch(`${url}/$metadata`, { headers: { 'x-api-key': key } })
    expect(metadata.status).toBe(200)

    // Generated inside the project so the client resolves the SDK from its node_modules.
    const cache = join(ROOT, 'node_modules', '.cache')
    mkdirSync(cache, { recursive: true })
    work = mkdtempSync(join(cache, 'odata-client-'))
    mkdirSync(join(work, 'in'))
    writeFileSync(join(work, 'in', 'openinsights.edmx'), await metadata.text())
    execFileSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', '@sap-cloud-sdk', 'generator', 'dist', 'cli.js'),
        '--input',
        join(work, 'in'),
        '--outputDir',
        join(work, 'out'),
        '--generateESM',
        '--skipValidation',
      ],
      { cwd: work, stdio: 'pipe', timeout: 120_000 },
    )
    generatedFiles = readdirSync(join(work, 'out', 'openinsights'))
    const client = await import(pathToFileURL(join(work, 'out', 'openinsights', 'index.ts')).href)
    products = client.openinsights().productsApi as ProductsApi
    visits = client.openinsights().visitsApi
    const sdk = await import('@sap-cloud-sdk/odata-v4')
    and = sdk.and as never
    or = sdk.or as never
    asc = sdk.asc as never
    desc = sdk.desc as never
  }, 180_000)

  afterAll(async () => {
    await app?.close()
    await store?.dispose()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  const run = <T>(request: Request<T>) => request.addCustomHeaders({ 'x-api-key': key }).execute({ url })

  it('generates a typed entity and its API for each entity set', () => {
    expect(generatedFiles).toEqual(expect.arrayContaining(['Products.ts', 'ProductsApi.ts', 'service.ts']))
    expect(Object.keys(products.schema)).toEqual(
      expect.arrayContaining([
        'PRODUCT_ID',
        'NAME',
        'PRICE',
        'RATING',
        'IN_STOCK',
        'RELEASE_DATE',
        'UPDATED_AT',
      ]),
    )
  })

  it('reads every item with its values typed by the Edm types of $metadata', async () => {
    const all = await run(products.requestBuilder().getAll().orderBy(asc(products.schema.PRODUCT_ID)))
    expect(all.map((p) => p.productId)).toEqual(['p-1', 'p-2', 'p-3'])
    const [milk, cheese, bread] = all as [Product, Product, Product]
    expect(milk.name).toBe('Milk')
    // Edm.Decimal as a big number with its digits, Edm.Date and Edm.DateTimeOffset as moments.
    expect(cheese.price?.toFixed(2)).toBe('12.00')
    expect(milk.rating).toBe(4)
    expect(cheese.inStock).toBe(false)
    expect(cheese.releaseDate?.format('YYYY-MM-DD')).toBe('2020-02-29')
    expect(milk.updatedAt?.toISOString()).toBe('2026-01-02T03:04:05.000Z')
    expect(bread.rating).toBeNull()
    expect(bread.releaseDate).toBeNull()
  })

  it('filters, orders, selects and pages with the typed fields', async () => {
    const { schema } = products
    const names = async (request: Request<Product[]>) => (await run(request)).map((p) => p.name)
    const getAll = () => products.requestBuilder().getAll()
    expect(await names(getAll().filter(schema.PRICE!.greaterThan(3)).orderBy(desc(schema.PRICE!)))).toEqual([
      'Cheese',
      "O'Brien's bread",
    ])
    expect(await names(getAll().filter(schema.NAME!.equals("O'Brien's bread")))).toEqual(["O'Brien's bread"])
    expect(
      await names(getAll().filter(and(schema.IN_STOCK!.equals(true), schema.RATING!.greaterThan(3)))),
    ).toEqual(['Milk'])
    expect(
      await names(
        getAll()
          .filter(or(schema.RATING!.equals(5), schema.RATING!.equals(null)))
          .orderBy(asc(schema.NAME!)),
      ),
    ).toEqual(['Cheese', "O'Brien's bread"])
    // Dates are the client's moments (the SDK's own dependency).
    const moment = ((await import('moment')) as unknown as { default: (text: string) => unknown }).default
    expect(await names(getAll().filter(schema.RELEASE_DATE!.greaterThan(moment('2015-01-01'))))).toEqual([
      'Cheese',
    ])
    expect(await names(getAll().orderBy(asc(schema.PRODUCT_ID!)).skip(1).top(1))).toEqual(['Cheese'])
    const selected = await run(getAll().select(schema.NAME!).orderBy(asc(schema.NAME!)).top(1))
    expect(selected[0]?.name).toBe('Cheese')
    expect(selected[0]?.price).toBeUndefined()
  })

  it('reads an entity without a key too', async () => {
    const rows = await run(visits.requestBuilder().getAll())
    expect(rows.map((r) => [r.page, r.seconds.toNumber()]).sort()).toEqual([
      ['/a', 3],
      ['/b', 9],
    ])
  })

  it('gets one item by its key, and answers an unknown key with an error the client raises', async () => {
    const cheese = await run(products.requestBuilder().getByKey('p-2'))
    expect(cheese.name).toBe('Cheese')
    const missing = (await run(products.requestBuilder().getByKey('p-9')).catch((e: unknown) => e)) as {
      rootCause?: { status?: number; response?: { data?: { error?: { code?: string } } } }
    }
    expect(missing.rootCause?.status).toBe(404)
    expect(missing.rootCause?.response?.data?.error?.code).toBe('NotFound')
  })
})

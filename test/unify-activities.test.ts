import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyConfig, configSchema } from '../src/config/index.js'
import { requestRefreshes, requestRun } from '../src/pipeline/index.js'
import type { UnifyProposal } from '../src/pipeline/unify/index.js'
import type { Runtime } from '../src/runtime/index.js'
import { createApiKey } from '../src/server/auth/api-key-service.js'
import { type ApiApp, buildApp } from '../src/server/index.js'
import { getRun, listRuns } from '../src/store/runs.js'
import { entityRows } from './helpers/entity-rows.js'
import { createTestStore, type TestStore } from './helpers/test-store.js'
import { waitFor, waitForRefreshEnd } from './helpers/wait.js'

/**
 * Profiles and activities are different things: 150 customers, 600 orders naming them by
 * customer_id, 300 web orders naming them by email only. `unify suggest --apply` makes 150
 * profiles (not 750 or 1,050), links both order files as activities, and measures and segments
 * over the orders reach customers through those links without being told how.
 */
describe('activities are linked to profiles, never unified as people', () => {
  let store: TestStore
  let runtime: Runtime
  let app: ApiApp
  let key: string
  const spend = new Map<string, number>()
  const webSpend = new Map<string, number>()

  beforeAll(async () => {
    store = await createTestStore('pglite')
    runtime = await store.open()
    app = await buildApp(runtime)
    key = (await createApiKey(runtime.db, { name: 'admin', scopes: ['admin'], rateLimit: 0 })).key
    const dir = join(store.settings.home, 'files')
    mkdirSync(dir, { recursive: true })
    const firsts = ['Anna', 'Bo', 'Carla', 'David', 'Eva', 'Frank', 'Greta', 'Hugo', 'Ines', 'Jonas']
    const lasts = [
      'Berg',
      'Holm',
      'Lund',
      'Dahl',
      'Skov',
      'Vang',
      'Borg',
      'Toft',
      'Bach',
      'Krog',
      'Mose',
      'Ryd',
      'Sand',
      'Wulf',
      'Yde',
    ]
    const customers = ['customer_id,first_name,last_name,email,phone,city']
    for (let i = 0; i < 150; i++)
      customers.push(
        `C${1000 + i},${firsts[i % 10]},${lasts[Math.floor(i / 10)]},person${i}@example.com,+45 ${String(20000000 + i * 7919)},Aarhus`,
      )
    const orders = ['order_id,customer_id,order_date,amount,channel']
    for (let i = 0; i < 600; i++) {
      const customer = `C${1000 + ((i * 37) % 150)}`
      const amount = 10 + ((i * 13) % 90)
      spend.set(customer, (spend.get(customer) ?? 0) + amount)
      orders.push(`O${i},${customer},2026-0${1 + (i % 9)}-1${i % 10},${amount}.50,web`)
      spend.set(customer, (spend.get(customer) ?? 0) + 0.5)
    }
    const web = ['ref,email,ordered_at,total']
    for (let i = 0; i < 300; i++) {
      const person = (i * 11) % 150
      const email = i % 4 === 0 ? ` PERSON${person}@EXAMPLE.COM` : `person${person}@example.com`
      webSpend.set(`C${1000 + person}`, (webSpend.get(`C${1000 + person}`) ?? 0) + 5)
      web.push(`W${i},${email},2026-05-0${1 + (i % 9)},5`)
    }
    writeFileSync(join(dir, 'customers.csv'), `${customers.join('\n')}\n`)
    writeFileSync(join(dir, 'orders.csv'), `${orders.join('\n')}\n`)
    writeFileSync(join(dir, 'web.csv'), `${web.join('\n')}\n`)
    const source = (file: string, primaryKey: string) => ({
      kind: 'csv',
      primaryKey,
      options: { path: join(dir, file) },
    })
    await applyConfig(
      runtime,
      configSchema.parse({
        instance: { id: 'shop', name: 'Shop' },
        dataSources: {
          customers: source('customers.csv', 'customer_id'),
          orders: source('orders.csv', 'order_id'),
          web_orders: source('web.csv', 'ref'),
        },
        // Customer measures over the order files, with no customer link of their own.
        measures: {
          Spend: { kind: 'customer', entity: 'orders', aggregation: 'sum', column: 'amount' },
          WebSpend: { kind: 'customer', entity: 'web_orders', aggregation: 'sum', column: 'total' },
        },
        segments: {
          Regulars: {
            filter: 'RecentOrders ge 5',
            activities: { RecentOrders: { entity: 'orders', dateColumn: 'order_date', within: '3650d' } },
          },
        },
      }),
    )
    for (const q of await requestRefreshes(runtime.db, runtime.jobs, 'shop'))
      expect((await waitForRefreshEnd(runtime, 'shop', q.refresh.id)).state).toBe('succeeded')
  }, 60_000)
  afterAll(async () => {
    await app?.close()
    await store?.dispose()
  })

  it('proposes the order files as activities with their links, and makes one profile per customer', async () => {
    const suggested = await app.inject({
      url: '/api/v1/instances/shop/unify/suggestions',
      headers: { 'x-api-key': key },
    })
    expect(suggested.statusCode).toBe(200)
    const proposal = suggested.json() as UnifyProposal
    const bySource = new Map(proposal.activities.map((a) => [a.source, a]))
    expect(bySource.get('orders')).toMatchObject({
      customer: { source: 'customers', column: 'customer_id' },
      dateColumn: 'order_date',
    })
    expect(bySource.get('orders')?.reason).toMatch(/600 rows repeat customer_id \(150 values/)
    expect(bySource.get('web_orders')).toMatchObject({ customer: { attribute: 'Email', column: 'email' } })
    expect(Object.keys(proposal.unify.sources)).toEqual(['customers'])
    expect(Object.keys(proposal.unify.activities).sort()).toEqual(['orders', 'web_orders'])
    // The order dates and amounts are nobody's phone numbers.
    const orderColumns = proposal.sources.orders?.columns ?? []
    expect(orderColumns.find((c) => c.column === 'order_date')?.attribute).not.toBe('Phone')
    expect(orderColumns.find((c) => c.column === 'amount')?.attribute).not.toBe('Phone')

    const applied = await app.inject({
      method: 'POST',
      url: '/api/v1/instances/shop/unify/suggestions/apply',
      headers: { 'x-api-key': key },
    })
    expect(applied.statusCode).toBe(200)
    const runId = applied.json().runId as string
    const run = await waitFor(
      async () => {
        const r = await getRun(runtime.db, 'unify', 'shop', runId)
        return r && (r.state === 'succeeded' || r.state === 'failed') ? r : undefined
      },
      'the unify run',
      60_000,
    )
    expect(run.state, JSON.stringify(run.error)).toBe('succeeded')
    expect(run.stats).toMatchObject({ sourceRecords: 150, unifiedProfiles: 150 })
  }, 60_000)

  it('lets measures and segments over the activities reach customers through the links', async () => {
    const requested = await runtime.db
      .transaction()
      .execute((tx) => requestRun(tx, runtime.jobs, 'insights', 'shop', 'test'))
    runtime.jobs.nudge('insights')
    const run = await waitFor(
      async () => {
        const current = await getRun(runtime.db, 'insights', 'shop', requested.id)
        return current && ['succeeded', 'failed'].includes(current.state) ? current : undefined
      },
      'the insights run',
      60_000,
    )
    expect(run.state, JSON.stringify(run.error)).toBe('succeeded')
    const keys = await entityRows(runtime, 'shop', 'CustomerSourceKeys')
    const customerOf = new Map(keys.map((k) => [String(k.SourceKey), String(k.CustomerId)]))
    const measures = new Map(
      (await entityRows(runtime, 'shop', 'CustomerMeasures')).map((m) => [String(m.CustomerId), m]),
    )
    for (const [customer, total] of spend)
      expect(Number(measures.get(customerOf.get(customer) as string)?.Spend)).toBeCloseTo(total, 6)
    // Web orders reach customers by email, whatever its case and spacing.
    for (const [customer, total] of webSpend)
      expect(Number(measures.get(customerOf.get(customer) as string)?.WebSpend)).toBeCloseTo(total, 6)
    const ordersOf = new Map<string, number>()
    for (const [customer] of spend) ordersOf.set(customer, 0)
    for (let i = 0; i < 600; i++) {
      const customer = `C${1000 + ((i * 37) % 150)}`
      ordersOf.set(customer, (ordersOf.get(customer) ?? 0) + 1)
    }
    const regulars = await entityRows(runtime, 'shop', 'SegmentRegulars')
    expect(regulars.length).toBe([...ordersOf.values()].filter((n) => n >= 5).length)
    expect((await listRuns(runtime.db, 'unify', 'shop', 5)).length).toBe(1)
  }, 60_000)
})

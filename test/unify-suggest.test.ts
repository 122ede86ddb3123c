import { appendFileSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { applyConfig, configSchema } from '../src/config/index.js'
import { demoConfigYaml, generateDemoData } from '../src/demo/index.js'
import { queryEntityRows, requestRefreshes } from '../src/pipeline/index.js'
import { type ReviewPair, suggestMapping } from '../src/pipeline/unify/index.js'
import { ident, join as joinSql, literal, sql } from '../src/query/index.js'
import type { Runtime } from '../src/runtime/index.js'
import { createApiKey } from '../src/server/auth/api-key-service.js'
import { type ApiApp, buildApp } from '../src/server/index.js'
import { getEntity, publishEntityVersion } from '../src/store/entities.js'
import { getRun, listRuns } from '../src/store/runs.js'
import { getUnifyConfig, putUnifyConfig } from '../src/store/unify.js'
import { duckRows, duckRun } from './helpers/duck.js'
import { entityRows } from './helpers/entity-rows.js'
import { createTestStore, type TestStore } from './helpers/test-store.js'
import { waitFor, waitForRefreshEnd } from './helpers/wait.js'

describe('intelligent mapping and suggested rules', () => {
  let store: TestStore
  let runtime: Runtime
  let app: ApiApp
  let key: string
  let dir: string

  beforeAll(async () => {
    store = await createTestStore('pglite')
    runtime = await store.open()
    app = await buildApp(runtime)
    key = (await createApiKey(runtime.db, { name: 'admin', scopes: ['admin'], rateLimit: 0 })).key
    dir = join(store.settings.home, 'demo-data')
    mkdirSync(dir, { recursive: true })
    await generateDemoData(dir)
    // The demo's three messy sources, without any unify section.
    const doc = parseYaml(demoConfigYaml()) as {
      unify?: unknown
      dataSources: Record<string, { options: { path: string } }>
    }
    delete doc.unify
    for (const source of Object.values(doc.dataSources)) source.options.path = join(dir, source.options.path)
    await applyConfig(runtime, configSchema.parse(doc))
  }, 60_000)
  afterAll(async () => {
    await app?.close()
    await store?.dispose()
  })

  it('maps columns from names in several spellings and languages, and from their values', async () => {
    const versionDir = join(store.settings.dataDir, 'demo', 'entities', 'people', 'v1')
    mkdirSync(versionDir, { recursive: true })
    await duckRun(
      runtime.duck,
      sql`copy (select * from (values
        ('1', 'Anne', 'Hansen', 'anne@example.com', '+45 20 30 40 50', '8000', 'Aarhus', '1980-01-02', 'x1'),
        ('2', 'Bo', 'Berg', 'bo@example.org', '20304051', '2100', 'København', '1975-05-06', 'x2'))
      t(id, Vorname, efternavn, e_mail, kontakt, plz, stadt, fødselsdato, contact)) to ${literal(join(versionDir, 'part-00000.parquet'))} (format parquet)`,
    )
    await publishEntityVersion(
      runtime.db,
      {
        id: 'people-v1',
        instanceId: 'demo',
        entityName: 'people',
        refreshId: 'v1',
        directory: versionDir,
        rowCount: 2,
        schema: [
          'id',
          'Vorname',
          'efternavn',
          'e_mail',
          'kontakt',
          'plz',
          'stadt',
          'fødselsdato',
          'contact',
        ].map((name) => ({ name, type: 'VARCHAR' })),
        partitions: [{ name: 'part-00000', file: 'part-00000.parquet', rowCount: 2, sizeBytes: 1 }],
        keyColumn: 'id',
      },
      'test',
    )
    const { columns } = await suggestMapping(runtime.duck, (await getEntity(runtime.db, 'demo', 'people'))!)
    const mapped = Object.fromEntries(columns.map((c) => [c.column, c.attribute]))
    expect(mapped).toEqual({
      Vorname: 'FirstName',
      efternavn: 'LastName',
      e_mail: 'Email',
      kontakt: 'Phone',
      plz: 'PostalCode',
      stadt: 'City',
      fødselsdato: 'DateOfBirth',
    })
    expect(columns.find((c) => c.column === 'kontakt')?.confidence).toBeLessThan(0.9)
    expect(columns.find((c) => c.column === 'e_mail')?.confidence).toBeGreaterThanOrEqual(0.95)
    await runtime.db.deleteFrom('entities').where('name', '=', 'people').execute()
  })

  it('tells names from their values when headers say nothing, and never reads dates or amounts as phones', async () => {
    const versionDir = join(store.settings.dataDir, 'demo', 'entities', 'export', 'v1')
    mkdirSync(versionDir, { recursive: true })
    const rows = [
      [
        '1',
        'Margaret',
        'Lindqvist',
        'Lindqvist, Margaret',
        '12',
        'Storgatan 12',
        '+46 70 123 45 67',
        'Göteborg',
        '2024-05-01',
        '129.95',
        '19800102-1234',
      ],
      [
        '2',
        'José',
        'García López',
        'José García López',
        '7',
        'Calle Mayor 7',
        '0034 612 345 678',
        'Sevilla',
        '2024-05-03',
        '15.50',
        '19750506-2345',
      ],
      [
        '3',
        'Thomas',
        'Schneider',
        'Thomas Schneider',
        '3',
        'Hauptstraße 3',
        '0151 2345678',
        'München',
        '2024-06-11',
        '7.00',
        '19900909-3456',
      ],
      [
        '4',
        'Ingrid',
        'Johansson',
        'Johansson, Ingrid',
        '44',
        'Vestergade 44',
        '+45 20 30 40 50',
        'Aarhus',
        '2024-07-21',
        '42.10',
        '19851111-4567',
      ],
      [
        '5',
        'Oliver',
        'Brown',
        'Oliver Brown',
        '9',
        'High Street 9',
        '07700 900123',
        'Leeds',
        '2024-08-02',
        '300.00',
        '19700101-5678',
      ],
      [
        '6',
        'Frida',
        'Nilsson',
        'Frida Nilsson',
        '21',
        'Kungsgatan 21',
        '+46 8 123 456',
        'Stockholm',
        '2024-09-30',
        '18.75',
        '19991231-6789',
      ],
    ]
    const columns = [
      'ref',
      'col_a',
      'col_b',
      'customer',
      'street_number',
      'address_1',
      'mobile_no',
      'city_name',
      'order_date',
      'amount',
      'ssn',
    ]
    await duckRun(
      runtime.duck,
      sql`copy (select * from (values ${joinSql(rows.map((r) => sql`(${joinSql(r.map((v) => literal(v)))})`))}) t(${joinSql(columns.map((c) => ident(c)))})) to ${literal(join(versionDir, 'part-00000.parquet'))} (format parquet)`,
    )
    await publishEntityVersion(
      runtime.db,
      {
        id: 'export-v1',
        instanceId: 'demo',
        entityName: 'export',
        refreshId: 'v1',
        directory: versionDir,
        rowCount: rows.length,
        schema: columns.map((name) => ({ name, type: 'VARCHAR' })),
        partitions: [{ name: 'part-00000', file: 'part-00000.parquet', rowCount: rows.length, sizeBytes: 1 }],
        keyColumn: 'ref',
      },
      'test',
    )
    const { columns: suggested } = await suggestMapping(
      runtime.duck,
      (await getEntity(runtime.db, 'demo', 'export'))!,
    )
    const mapped = Object.fromEntries(suggested.map((c) => [c.column, c.attribute]))
    expect(mapped).toEqual({
      col_a: 'FirstName',
      col_b: 'LastName',
      customer: 'FullName',
      address_1: 'Address1',
      mobile_no: 'Phone',
      city_name: 'City',
      ssn: 'NationalId',
    })
    expect(suggested.find((c) => c.column === 'col_a')?.reason).toMatch(/known first names/)
    await runtime.db.deleteFrom('entities').where('name', '=', 'export').execute()
  })

  it('gives three messy files good profiles without hand-written rules (suggest --apply): a model estimated from the data, F1 ≥ 0.98', async () => {
    const queued = await requestRefreshes(runtime.db, runtime.jobs, 'demo')
    for (const q of queued)
      expect((await waitForRefreshEnd(runtime, 'demo', q.refresh.id)).state).toBe('succeeded')
    const suggested = await app.inject({
      url: '/api/v1/instances/demo/unify/suggestions',
      headers: { 'x-api-key': key },
    })
    expect(suggested.statusCode).toBe(200)
    const body = suggested.json()
    expect(body.sources.webshop_orders.columns).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ column: 'customer_email', attribute: 'Email' }),
        expect.objectContaining({ column: 'customer_name', attribute: 'FullName' }),
        expect.objectContaining({ column: 'shipping_city', attribute: 'City' }),
        expect.objectContaining({ column: 'shipping_postal_code', attribute: 'PostalCode' }),
      ]),
    )
    expect(body.sources.loyalty_members.columns).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ column: 'mobile', attribute: 'Phone' }),
        expect.objectContaining({ column: 'zip', attribute: 'PostalCode' }),
      ]),
    )
    // No hand-written rules: one probabilistic rule, its weights estimated from the data.
    expect(body.unify.rules).toEqual([
      expect.objectContaining({ name: 'probabilistic match', probabilistic: { model: 'estimate' } }),
    ])
    const applied = await app.inject({
      method: 'POST',
      url: '/api/v1/instances/demo/unify/suggestions/apply',
      headers: { 'x-api-key': key },
    })
    expect(applied.statusCode, applied.body).toBe(200)
    const runId = applied.json().runId as string
    const run = await waitFor(
      async () => {
        const r = await getRun(runtime.db, 'unify', 'demo', runId)
        return r && (r.state === 'succeeded' || r.state === 'failed') ? r : undefined
      },
      'the unify run',
      60_000,
    )
    expect(run.state, JSON.stringify(run.error)).toBe('succeeded')

    const rows = await entityRows(runtime, 'demo', 'CustomerSourceKeys')
    const customerOf = new Map(rows.map((k) => [`${k.SourceName}:${k.SourceKey}`, String(k.CustomerId)]))
    const truth = await duckRows(
      runtime.duck,
      sql`select source, key, person_id from read_csv(${literal(join(dir, 'ground-truth.csv'))}, all_varchar = true)`,
    )
    const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1)
    const byPerson = new Map<string, number>()
    const byCustomer = new Map<string, number>()
    const byBoth = new Map<string, number>()
    for (const t of truth) {
      const customer = customerOf.get(`${t.source}:${t.key}`) as string
      count(byPerson, String(t.person_id))
      count(byCustomer, customer)
      count(byBoth, `${t.person_id}|${customer}`)
    }
    const pairs = (m: Map<string, number>) => [...m.values()].reduce((n, s) => n + (s * (s - 1)) / 2, 0)
    const precision = pairs(byBoth) / pairs(byCustomer)
    const recall = pairs(byBoth) / pairs(byPerson)
    const f1 = (2 * precision * recall) / (precision + recall)
    console.log(
      `suggested unify on the demo: precision ${precision.toFixed(4)}, recall ${recall.toFixed(4)}, F1 ${f1.toFixed(4)}`,
    )
    expect(f1).toBeGreaterThanOrEqual(0.98)
  }, 120_000)

  it('explains pairs as waterfalls, queues the unsure ones for review, and follows the labels on the next run', async () => {
    const call = async (method: 'GET' | 'POST', url: string, payload?: object) => {
      const response = await app.inject({
        method,
        url: `/api/v1/instances/demo${url}`,
        headers: { 'x-api-key': key },
        ...(payload ? { payload } : {}),
      })
      return { status: response.statusCode, json: response.json() }
    }
    type Pair = ReviewPair
    const queue = await call('GET', '/unify/review?$top=30')
    expect(queue.status).toBe(200)
    const pairs = queue.json.value as Pair[]
    expect(pairs.length).toBe(30)
    for (const pair of pairs) {
      // The waterfall adds up: prior + each attribute's bits = the weight; probability from it.
      const sum = pair.priorBits + pair.comparisons.reduce((total, c) => total + c.bits, 0)
      expect(Math.abs(sum - pair.weight)).toBeLessThan(0.1)
      expect(pair.probability).toBeCloseTo(1 / (1 + 2 ** -pair.weight), 2)
      expect(pair.joined).toBe(pair.reason === 'joined')
    }
    // The nearest to the threshold come first.
    const distance = (p: Pair) =>
      Math.abs(Math.log(p.probability / (1 - p.probability)) - Math.log(p.threshold / (1 - p.threshold)))
    expect(distance(pairs[0] as Pair)).toBeLessThanOrEqual(distance(pairs[29] as Pair) + 1e-9)
    const joined = pairs.find((p) => p.joined)
    const apart = pairs.find((p) => !p.joined && p.reason === 'below the threshold')
    expect(joined && apart, JSON.stringify(pairs.map((p) => p.reason))).toBeTruthy()
    const ref = (source: string, key: string) => `${source}:${key}`
    const explained = await call(
      'GET',
      `/unify/pairs?a=${encodeURIComponent(ref(joined!.sourceB, joined!.keyB))}&b=${encodeURIComponent(ref(joined!.sourceA, joined!.keyA))}`,
    )
    expect(explained.json).toMatchObject({ joined: true, sourceA: joined!.sourceA, keyA: joined!.keyA })
    const far = await call('GET', '/unify/pairs?a=crm_contacts:nobody&b=loyalty_members:nobody')
    expect(far.status).toBe(404)
    expect(far.json.error.code).toBe('NotCompared')

    // A person rejects a joined pair and confirms one left apart; the next run follows them.
    for (const [pair, same] of [
      [joined!, false],
      [apart!, true],
    ] as const)
      expect(
        (
          await call('POST', '/unify/review', {
            a: ref(pair.sourceA, pair.keyA),
            b: ref(pair.sourceB, pair.keyB),
            sameCustomer: same,
          })
        ).status,
      ).toBe(200)
    expect(
      (await call('POST', '/unify/review', { a: 'x:1', b: 'x:1', sameCustomer: true })).json.error.code,
    ).toBe('InvalidLabel')
    const entityRows = async (name: string) => {
      const entity = await getEntity(runtime.db, 'demo', name)
      return (
        await queryEntityRows(runtime.duck, entity!.current, {
          select: entity!.current.schema.map((c) => c.name),
          where: undefined,
          orderBy: [],
          limit: 1_000_000,
          offset: 0,
          count: false,
        })
      ).rows
    }
    const keysBefore = new Map(
      (await entityRows('CustomerSourceKeys')).map((k) => [`${k.SourceName}:${k.SourceKey}`, k.CustomerId]),
    )
    const rerun = await call('POST', '/unify/runs')
    const run = await waitFor(
      async () => {
        const r = await getRun(runtime.db, 'unify', 'demo', rerun.json.id)
        return r && (r.state === 'succeeded' || r.state === 'failed') ? r : undefined
      },
      'the unify run',
      60_000,
    )
    expect(run.state, JSON.stringify(run.error)).toBe('succeeded')
    const matchPairs = await entityRows('MatchPairs')
    const linked = (p: Pair) =>
      matchPairs.find(
        (m) =>
          (m.SourceA === p.sourceA && m.KeyA === p.keyA && m.SourceB === p.sourceB && m.KeyB === p.keyB) ||
          (m.SourceA === p.sourceB && m.KeyA === p.keyB && m.SourceB === p.sourceA && m.KeyB === p.keyA),
      )
    expect(linked(joined!)).toBeUndefined()
    // Joined: by the label, or by the model that learned from it and now scores the pair higher.
    expect(['confirmed in review', 'probabilistic match']).toContain(linked(apart!)?.Rule)
    const customer = new Map(
      (await entityRows('CustomerSourceKeys')).map((k) => [`${k.SourceName}:${k.SourceKey}`, k.CustomerId]),
    )
    expect(customer.get(ref(apart!.sourceA, apart!.keyA))).toBe(
      customer.get(ref(apart!.sourceB, apart!.keyB)),
    )
    // Labelled pairs leave the queue.
    const after = await call('GET', '/unify/review?$top=500')
    expect(after.json.labelled).toBe(2)
    const listed = (after.json.value as Pair[]).map((p) => ref(p.sourceA, p.keyA) + ref(p.sourceB, p.keyB))
    expect(listed).not.toContain(ref(apart!.sourceA, apart!.keyA) + ref(apart!.sourceB, apart!.keyB))

    // What the rerun changed, counted again here from the two runs' CustomerSourceKeys.
    const [, first] = await listRuns(runtime.db, 'unify', 'demo', 2)
    const changes = await call('GET', `/unify/runs/${rerun.json.id}/changes?$top=1000`)
    expect(changes.status).toBe(200)
    expect(changes.json.previousRunId).toBe(first?.id)
    const moved = [...customer]
      .filter(([record, id]) => keysBefore.get(record) !== id)
      .map(([record]) => record)
    expect(changes.json.counts).toMatchObject({
      recordsMoved: moved.length,
      recordsAdded: 0,
      recordsRemoved: 0,
    })
    expect(run.stats?.recordsMoved).toBe(moved.length)
    expect(
      (changes.json.records as { source: string; key: string }[]).map((r) => ref(r.source, r.key)).sort(),
    ).toEqual(moved.sort().slice(0, 1000))
    expect(changes.json.models[0]).toMatchObject({ rule: 'probabilistic match', keptFrom: null })
    expect(changes.json.models[0].previousThreshold).toEqual(expect.any(Number))
    expect(run.stats?.modelKept).toBe(0)
  }, 120_000)

  it('keeps a saved model when told to: the next run on the same data changes nothing, and says the model was kept', async () => {
    const config = (await getUnifyConfig(runtime.db, 'demo')) as {
      rules: { probabilistic?: { model?: string } }[]
    }
    ;(config.rules[0]!.probabilistic as { model: string }).model = 'keep'
    await putUnifyConfig(runtime.db, 'demo', config)
    const [previous] = await listRuns(runtime.db, 'unify', 'demo', 1)
    const started = await app.inject({
      method: 'POST',
      url: '/api/v1/instances/demo/unify/runs',
      headers: { 'x-api-key': key },
    })
    const run = await waitFor(
      async () => {
        const r = await getRun(runtime.db, 'unify', 'demo', started.json().id)
        return r && (r.state === 'succeeded' || r.state === 'failed') ? r : undefined
      },
      'the unify run',
      60_000,
    )
    expect(run.state, JSON.stringify(run.error)).toBe('succeeded')
    expect(run.stats).toMatchObject({ modelKept: 1, recordsMoved: 0, recordsAdded: 0, customersAdded: 0 })
    const changes = (
      await app.inject({
        url: `/api/v1/instances/demo/unify/runs/${run.id}/changes`,
        headers: { 'x-api-key': key },
      })
    ).json()
    const model = changes.models[0]
    expect(model.keptFrom).toBe(previous?.id)
    expect(model.threshold).toBe(model.previousThreshold)
    for (const c of model.comparisons)
      for (const level of c.levels) expect(level.bits).toBeCloseTo(level.previousBits, 9)
    expect(changes.records).toEqual([])

    // A contact entered again under a new number: the refresh's run adds it to its customer,
    // with the model still kept (from the run that estimated it).
    const csv = join(dir, 'crm-contacts.csv')
    const [header, firstRow] = readFileSync(csv, 'utf8').split('\n')
    const original = firstRow!.split(',')[0]!
    appendFileSync(csv, `${firstRow!.replace(original, 'C999999')}\n`)
    expect(header).toMatch(/^contact_id,/)
    const refreshes = await requestRefreshes(runtime.db, runtime.jobs, 'demo')
    for (const q of refreshes)
      expect((await waitForRefreshEnd(runtime, 'demo', q.refresh.id)).state).toBe('succeeded')
    const afterRefresh = await waitFor(
      async () => {
        const [latest] = await listRuns(runtime.db, 'unify', 'demo', 1)
        return latest && latest.id !== run.id && (latest.state === 'succeeded' || latest.state === 'failed')
          ? latest
          : undefined
      },
      'the unify run after the refresh',
      60_000,
    )
    expect(afterRefresh.state, JSON.stringify(afterRefresh.error)).toBe('succeeded')
    expect(afterRefresh.stats).toMatchObject({
      modelKept: 1,
      recordsAdded: 1,
      customersAdded: 0,
      recordsRemoved: 0,
    })
    const added = (
      await app.inject({
        url: `/api/v1/instances/demo/unify/runs/${afterRefresh.id}/changes`,
        headers: { 'x-api-key': key },
      })
    ).json()
    expect(added.models[0].keptFrom).toBe(previous?.id)
    const addedRecord = added.records.find((r: { key: string }) => r.key === 'C999999')
    expect(addedRecord).toMatchObject({ change: 'added', source: 'crm_contacts', customerBefore: null })
    const keys = await getEntity(runtime.db, 'demo', 'CustomerSourceKeys')
    const { rows } = await queryEntityRows(runtime.duck, keys!.current, {
      select: ['CustomerId', 'SourceName', 'SourceKey'],
      where: undefined,
      orderBy: [],
      limit: 1_000_000,
      offset: 0,
      count: false,
    })
    const customerOf = (k: string) =>
      rows.find((r) => r.SourceName === 'crm_contacts' && r.SourceKey === k)?.CustomerId
    expect(addedRecord.customerAfter).toBe(customerOf(original))
    // A run that does not exist, and a read key may look.
    const missing = await app.inject({
      url: '/api/v1/instances/demo/unify/runs/nope/changes',
      headers: { 'x-api-key': key },
    })
    expect(missing.statusCode).toBe(404)
  }, 120_000)
})

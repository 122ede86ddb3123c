import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Ajv } from 'ajv'
import * as ajvDraft04 from 'ajv-draft-04'
import { Webhook } from 'standardwebhooks'
import { afterAll, describe, expect, it } from 'vitest'
import { freshHome, runCli, type ServerProcess, startServer } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js'

let server: ServerProcess | undefined
let receiver: WebhookReceiver | undefined
afterAll(async () => {
  await server?.stop()
  await receiver?.close()
})

describe('openinsights start --demo (what `npm start` runs)', () => {
  const home = freshHome({ store: 'empty' })
  const env = {
    OPENINSIGHTS_HOME: home,
    OPENINSIGHTS_REFRESH_RETRIES: '0',
    OPENINSIGHTS_OUTBOUND_ALLOW: '127.0.0.0/8',
  }

  it('starts from nothing, refreshes every demo source and lists their events within 60 s', async () => {
    const started = Date.now()
    server = await startServer(['--demo'], env)
    await server.waitForOutput(/ready in [\d.]+ s/, 60_000)
    const seconds = (Date.now() - started) / 1000
    expect(seconds).toBeLessThan(60)
    expect(server.output()).toMatch(/✓ crm_contacts: 4,420 rows/)
    expect(server.output()).toMatch(/✓ webshop_orders: 13,647 rows/)
    expect(server.output()).toMatch(/✓ loyalty_members: 2,185 rows/)
    const anonymous = await fetch(`${server.url}/api/v1/instances/demo/events`)
    expect(anonymous.status).toBe(401)
    const events = await server.fetchJson(`/api/v1/instances/demo/events`)
    expect(
      events.value
        .map((e: { type: string; data: { dataSourceName: string } }) => `${e.type} ${e.data.dataSourceName}`)
        .sort(),
    ).toEqual([
      'datasource.refresh.succeeded crm_contacts',
      'datasource.refresh.succeeded loyalty_members',
      'datasource.refresh.succeeded webshop_orders',
    ])
  })

  it('wrote the three sources with shared people and a ground truth covering every record', () => {
    const truth = readFileSync(join(home, 'demo-data', 'ground-truth.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
    const bySource = new Map<string, number>()
    const people = new Map<string, Set<string>>()
    for (const line of truth) {
      const [source, , person] = line.split(',') as [string, string, string]
      bySource.set(source, (bySource.get(source) ?? 0) + 1)
      people.set(person, (people.get(person) ?? new Set()).add(source))
    }
    expect(Object.fromEntries(bySource)).toEqual({
      crm_contacts: 4420,
      webshop_orders: 13647,
      loyalty_members: 2185,
    })
    const inAllThree = [...people.values()].filter((s) => s.size === 3).length
    expect(inAllThree).toBeGreaterThan(1000)
  })

  it('turns a broken demo file into a failed event, and a signed webhook delivery to a subscribed receiver', async () => {
    // A connection key from the CLI (printed alone on the last line), and a real receiver on 127.0.0.1.
    const created = await runCli(['keys', 'create', '--name', 'power-automate'], env)
    expect(created.code, created.stderr).toBe(0)
    const key = created.stdout.trim().split('\n').at(-1) as string
    expect(key).toMatch(/^oi_[A-Za-z0-9_-]{43}$/)
    receiver = await startWebhookReceiver()
    const subscribed = await fetch(
      `${server!.url}/api/v1/instances/demo/subscriptions/datasource.refresh.failed`,
      {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ callbackUrl: `${receiver.url}/flow`, dataSourceName: 'crm_contacts' }),
      },
    )
    expect(subscribed.status).toBe(201)
    expect(subscribed.headers.get('location')).toMatch(
      /\/api\/v1\/instances\/demo\/subscriptions\/[0-9A-Z]{26}$/,
    )
    const { secret } = (await subscribed.json()) as { secret: string }

    const file = join(home, 'demo-data', 'crm-contacts.csv')
    const original = readFileSync(file)
    writeFileSync(file, 'this is not a CSV export\n')
    const result = await runCli(['refresh', '--source', 'crm_contacts', '--wait'], env)
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(
      /✗ crm_contacts: failed: .*column 'contact_id' named as its primary key is not in the data/,
    )
    const failed = await server!.fetchJson(`/api/v1/instances/demo/events?type=datasource.refresh.failed`)
    expect(failed.value).toHaveLength(1)
    expect(failed.value[0].data).toMatchObject({
      dataSourceName: 'crm_contacts',
      error: { code: 'ColumnNotFound' },
    })
    const rows = await server!.fetchJson(`/api/v1/instances/demo/data/crm_contacts?$top=1`)
    expect(rows.value[0]).toMatchObject({ contact_id: 'C100001' })

    const r = receiver
    await waitFor(async () => (r.requestsTo('/flow').length > 0 ? true : undefined), 'the webhook delivery')
    await new Promise((resolve) => setTimeout(resolve, 500))
    const deliveries = r.requestsTo('/flow')
    expect(deliveries).toHaveLength(1)
    const payload = new Webhook(secret).verify(
      deliveries[0]!.body,
      deliveries[0]!.headers as Record<string, string>,
    )
    expect(payload).toMatchObject({
      type: 'datasource.refresh.failed',
      id: failed.value[0].id,
      data: { dataSourceName: 'crm_contacts', error: { code: 'ColumnNotFound' } },
    })
    writeFileSync(file, original)
  })

  it('runs a full refresh from the CLI with measures and segments, and delivers refresh.full.completed', async () => {
    const r = receiver as WebhookReceiver
    const subscribed = await server!.fetchJson(
      '/api/v1/instances/demo/subscriptions/refresh.full.completed',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ callbackUrl: `${r.url}/full` }),
      },
    )
    expect(subscribed.id).toBeTruthy()
    const result = await runCli(['refresh', '--full', '--wait'], env)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/✓ unify succeeded/)
    expect(result.stdout).toMatch(/✓ insights succeeded .*segments 3/)
    expect(result.stdout).toMatch(/full refresh \w+ succeeded/)
    const [latest] = (await server!.fetchJson('/api/v1/instances/demo/full-refreshes?$top=1')).value
    expect(latest).toMatchObject({ state: 'succeeded', fraction: 1 })
    await waitFor(
      async () => (r.requestsTo('/full').length > 0 ? true : undefined),
      'the full refresh delivery',
    )
    expect(JSON.parse(r.requestsTo('/full')[0]!.body)).toMatchObject({
      type: 'refresh.full.completed',
      data: { fullRefreshId: latest.id, status: 'succeeded', failedStep: null },
    })

    const measures = await server!.fetchJson('/api/v1/instances/demo/measures')
    const revenue = measures.value.find((m: { name: string }) => m.name === 'TotalRevenue')
    expect(revenue.latest[0].value).toBeGreaterThan(1_000_000)
    const segments = await server!.fetchJson('/api/v1/instances/demo/segments')
    const high = segments.value.find((s: { name: string }) => s.name === 'HighValueCustomers')
    expect(high.memberCount).toBeGreaterThan(0)
    const estimate = await server!.fetchJson('/api/v1/instances/demo/segments/estimate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filter: 'LifetimeValue ge 10000' }),
    })
    expect(estimate.memberCount).toBe(high.memberCount)
    const members = await server!.fetchJson(
      '/api/v1/instances/demo/data/SegmentHighValueCustomers?$count=true&$top=1',
    )
    expect(members['@odata.count']).toBe(high.memberCount)
    const history = await server!.fetchJson('/api/v1/instances/demo/segments/HighValueCustomers/history')
    expect(history.value.length).toBeGreaterThanOrEqual(2)
    const bad = await fetch(`${server!.url}/api/v1/instances/demo/segments/estimate`, {
      method: 'POST',
      headers: { 'x-api-key': server!.adminKey, 'content-type': 'application/json' },
      body: JSON.stringify({ filter: 'Nope eq 1' }),
    })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: unknown }).error).toMatchObject({ code: 'InvalidFilter' })

    // One segment at a time through the API, validated as in openinsights.yaml.
    const put = (name: string, body: unknown) =>
      fetch(`${server!.url}/api/v1/instances/demo/segments/${name}`, {
        method: 'PUT',
        headers: { 'x-api-key': server!.adminKey, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect((await put('Aarhus', { filter: "City eq 'Aarhus'", thresholds: [10] })).status).toBe(200)
    const listed = await server!.fetchJson('/api/v1/instances/demo/segments')
    expect(listed.value.map((s: { name: string }) => s.name)).toContain('Aarhus')
    const invalid = await put('Broken', { filter: 'City eq', activities: {} })
    expect(invalid.status).toBe(400)
    expect(((await invalid.json()) as { error: { target: string } }).error.target).toBe(
      'segments.Broken.filter',
    )
    const remove = (name: string) =>
      fetch(`${server!.url}/api/v1/instances/demo/segments/${name}`, {
        method: 'DELETE',
        headers: { 'x-api-key': server!.adminKey },
      })
    expect((await remove('Aarhus')).status).toBe(204)
    expect((await remove('Aarhus')).status).toBe(404)

    // Every event the demo emitted validates against its trigger's schema in the exported
    // connector, nulls and all (Power Automate refuses trigger outputs that do not).
    const swagger = await server!.fetchJson(
      '/api/v1/connector/apiDefinition.swagger.json?host=http://127.0.0.1',
    )
    const schemaOf = new Map<string, Record<string, unknown>>()
    for (const [path, item] of Object.entries(swagger.paths as Record<string, Record<string, unknown>>)) {
      const content = item['x-ms-notification-content'] as { schema: Record<string, unknown> } | undefined
      const type = /subscriptions\/([^/]+)$/.exec(path)?.[1]
      if (content && type) schemaOf.set(decodeURIComponent(type), content.schema)
    }
    expect(schemaOf.size).toBe(6)
    const events = (await server!.fetchJson('/api/v1/instances/demo/events?$top=1000')).value as {
      type: string
      data: unknown
    }[]
    const checked = new Set<string>()
    // A CommonJS module whose default export is its module object under NodeNext typing.
    const AjvDraft04 = ((ajvDraft04 as { default?: unknown }).default ?? ajvDraft04) as unknown as typeof Ajv
    const ajv = new AjvDraft04({ strict: false, allErrors: true })
    for (const event of events) {
      const schema = schemaOf.get(event.type)
      if (!schema) continue
      const validate = ajv.compile(
        asJsonSchema((schema.properties as Record<string, Record<string, unknown>>).data ?? {}),
      )
      expect(validate(event.data), `${event.type}: ${JSON.stringify(validate.errors)}`).toBe(true)
      checked.add(event.type)
    }
    expect([...checked].sort()).toEqual(
      expect.arrayContaining(['datasource.refresh.succeeded', 'refresh.full.completed', 'unify.completed']),
    )
  }, 120_000)

  it('restarts on the same state in seconds without refreshing again', async () => {
    await server!.stop()
    const started = Date.now()
    server = await startServer(['--demo'], env)
    await server.waitForOutput(/ready in/)
    const seconds = (Date.now() - started) / 1000
    console.log(`second start: ${seconds.toFixed(1)} s`)
    expect(seconds).toBeLessThan(15)
    expect(server.output()).toContain('demo instance already refreshed (3 data sources)')
    expect(server.output()).not.toContain('demo data:')
  })
})

/** A Swagger 2.0 schema as JSON Schema draft 4: `x-nullable` becomes a null type (and no enum check for null). */
function asJsonSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...schema }
  if (out['x-nullable'] && typeof out.type === 'string') {
    out.type = [out.type, 'null']
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null]
  }
  if (out.properties)
    out.properties = Object.fromEntries(
      Object.entries(out.properties as Record<string, Record<string, unknown>>).map(([k, v]) => [
        k,
        asJsonSchema(v),
      ]),
    )
  if (out.items) out.items = asJsonSchema(out.items as Record<string, unknown>)
  return out
}

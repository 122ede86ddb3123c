import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { DEMO_INSTANCE_ID, demoConfigYaml, generateDemoData } from '../src/demo/index.js'
import { runDueSourceSchedules } from '../src/pipeline/refresh-schedule.js'
import type { Runtime } from '../src/runtime/index.js'
import { createApiKey } from '../src/server/auth/api-key-service.js'
import { type ApiApp, buildApp } from '../src/server/index.js'
import { getInsightConfig, type InsightConfig, putInsightConfig } from '../src/store/insights.js'
import { createTestStore, type TestStore } from './helpers/test-store.js'
import { waitFor } from './helpers/wait.js'

let store: TestStore
let runtime: Runtime
let app: ApiApp
let base: string
let adminKey: string
let dir: string

const api = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(base + path, {
    method,
    headers: { 'x-api-key': adminKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, json: text ? JSON.parse(text) : undefined }
}
const demo = `/api/v1/instances/${DEMO_INSTANCE_ID}`

/** The demo's configuration document, its files in `dir`. */
function demoConfig(): Record<string, unknown> & {
  dataSources: Record<string, { options: { path: string } }>
  measures: Record<string, Record<string, unknown>>
  segments: Record<string, Record<string, unknown>>
} {
  const doc = parseYaml(demoConfigYaml())
  for (const source of Object.values(doc.dataSources) as { options: { path: string } }[])
    source.options.path = join(dir, source.options.path)
  return doc
}
type Change = { kind: string; name: string; action: string; differences?: string[] }
const apply = async (doc: unknown, query = '') => {
  const response = await api('PUT', `${demo}/config${query}`, doc)
  expect(response.status, JSON.stringify(response.json)).toBe(200)
  return response.json.value as Change[]
}
const actionOf = (changes: Change[], kind: string, name: string) =>
  changes.find((c) => c.kind === kind && c.name === name)?.action

beforeAll(async () => {
  store = await createTestStore('pglite')
  runtime = await store.open()
  app = await buildApp(runtime)
  adminKey = (await createApiKey(runtime.db, { name: 'admin', scopes: ['admin'], rateLimit: 0 })).key
  base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '')
  dir = join(store.settings.home, 'demo-data')
  mkdirSync(dir, { recursive: true })
  await generateDemoData(dir)
}, 60_000)
afterAll(async () => {
  await app?.close()
  await store?.dispose()
})

describe('apply keeps what the file does not mention', () => {
  it('keeps measures and segments (one made in the UI too) when the file has no such sections', async () => {
    await apply(demoConfig())
    const made = await api('PUT', `${demo}/segments/BigSpenders`, { filter: 'LifetimeValue ge 50000' })
    expect(made.status).toBe(200)
    const { measures: _m, segments: _s, unify: _u, ...sourcesOnly } = demoConfig()
    const changes = await apply(sourcesOnly)
    expect(actionOf(changes, 'segment', 'BigSpenders')).toBe('kept')
    expect(actionOf(changes, 'segment', 'HighValueCustomers')).toBe('kept')
    expect(actionOf(changes, 'measure', 'LifetimeValue')).toBe('kept')
    expect(actionOf(changes, 'unify', 'unify')).toBe('kept')
    const segments = (await api('GET', `${demo}/segments`)).json.value.map((s: { name: string }) => s.name)
    expect(segments.sort()).toEqual([
      'BigSpenders',
      'DanishRegulars',
      'HighValueCustomers',
      'RecentAppBuyers',
    ])
    expect((await api('GET', `${demo}/measures`)).json.value).toHaveLength(5)
  })

  it('reports an export applied again as unchanged, object by object', async () => {
    const exported = (await api('GET', `${demo}/config`)).json
    const changes = await apply(exported)
    const changed = changes.filter((c) => c.action !== 'unchanged')
    expect(changed).toEqual([])
    expect(changes.map((c) => c.kind)).toEqual(
      expect.arrayContaining(['dataSource', 'unify', 'measure', 'segment']),
    )
  })

  it('shows in a dry run what would change, path by path, and writes nothing', async () => {
    const doc = demoConfig()
    doc.measures.TotalRevenue = { ...doc.measures.TotalRevenue, thresholds: [500000] }
    ;(doc.dataSources.crm_contacts as { options: { path: string } }).options.path = join(dir, 'elsewhere.csv')
    const changes = await apply(doc, '?dryRun=true')
    const revenue = changes.find((c) => c.name === 'TotalRevenue')
    expect(revenue).toMatchObject({ kind: 'measure', action: 'updated' })
    expect(revenue?.differences).toEqual(['thresholds: [1000000,100000000] → [500000]'])
    const contacts = changes.find((c) => c.name === 'crm_contacts')
    expect(contacts?.differences).toEqual([
      `options.path: ${JSON.stringify(join(dir, 'crm-contacts.csv'))} → ${JSON.stringify(join(dir, 'elsewhere.csv'))}`,
    ])
    const measures = (await api('GET', `${demo}/measures`)).json.value
    expect(measures.find((m: { name: string }) => m.name === 'TotalRevenue').definition.thresholds).toEqual([
      1000000, 100000000,
    ])
  })

  it('deletes with prune only', async () => {
    const { measures: _m, segments: _s, ...noInsights } = demoConfig()
    const pruned = await apply(noInsights, '?prune=true')
    expect(actionOf(pruned, 'segment', 'BigSpenders')).toBe('deleted')
    expect(actionOf(pruned, 'measure', 'LifetimeValue')).toBe('deleted')
    expect((await api('GET', `${demo}/segments`)).json.value).toEqual([])
  })
})

describe('flow templates make new flows', () => {
  beforeAll(() => apply(demoConfig()))
  const install = (body: Record<string, unknown>) =>
    api('POST', `${demo}/flow-templates/email-on-segment-threshold`, {
      values: { to: 'team@example.com', segment: 'HighValueCustomers', threshold: '10' },
      ...body,
    })

  it('numbers a second use of a template instead of replacing the first flow', async () => {
    const first = await install({})
    const second = await install({})
    expect([first.status, second.status]).toEqual([201, 201])
    expect(second.json.name).toBe(`${first.json.name} 2`)
    expect(second.json.action).toBe('created')
    const names = (await api('GET', `${demo}/flows`)).json.value.map((f: { name: string }) => f.name)
    expect(names).toEqual(expect.arrayContaining([first.json.name, second.json.name]))
  })

  it('refuses a name that is taken unless told to replace it', async () => {
    expect((await install({ name: 'Alert sales' })).status).toBe(201)
    const again = await install({ name: 'Alert sales' })
    expect(again.status).toBe(409)
    expect(again.json.error).toMatchObject({ code: 'FlowExists', target: 'name' })
    const replaced = await install({ name: 'Alert sales', replace: true })
    expect(replaced.status).toBe(201)
  })
})

describe('references are checked when saved', () => {
  beforeAll(async () => {
    await apply(demoConfig())
    const started = await api('POST', `${demo}/full-refreshes`)
    expect(started.status).toBe(202)
    const done = await waitFor(
      async () => {
        const run = (await api('GET', `${demo}/full-refreshes/${started.json.id}`)).json
        return ['succeeded', 'failed'].includes(run.state) ? run : undefined
      },
      'the full refresh',
      180_000,
    )
    expect(done.state).toBe('succeeded')
  }, 200_000)

  const refused = (response: {
    status: number
    json: { error: { code: string; message: string; target: string } }
  }) => {
    expect(response.status, JSON.stringify(response.json)).toBe(400)
    expect(response.json.error.code).toBe('InvalidReference')
    return response.json.error
  }

  it('refuses a segment filter naming a property the profile does not have, suggesting the nearest', async () => {
    const doc = demoConfig()
    doc.segments.Typo = { filter: 'LifetimeValu ge 10' }
    const error = refused(await api('PUT', `${demo}/config`, doc))
    expect(error.target).toBe('segments.Typo.filter')
    expect(error.message).toContain("unknown property 'LifetimeValu'; did you mean 'LifetimeValue'?")
    // The same through the UI's route; nothing was saved.
    const ui = refused(await api('PUT', `${demo}/segments/Typo`, { filter: 'LifetimeValu ge 10' }))
    expect(ui.target).toBe('segments.Typo.filter')
    const names = (await api('GET', `${demo}/segments`)).json.value.map((s: { name: string }) => s.name)
    expect(names).not.toContain('Typo')
  })

  it("refuses a measure's unknown entity and column by name, with the nearest", async () => {
    const column = refused(
      await api('PUT', `${demo}/measures/Spend`, {
        entity: 'webshop_orders',
        aggregation: 'sum',
        column: 'total_amout',
      }),
    )
    expect(column.target).toBe('measures.Spend.column')
    expect(column.message).toContain("there is no column 'total_amout'; did you mean 'total_amount'?")
    const entity = refused(
      await api('PUT', `${demo}/measures/Spend`, { entity: 'webshop_order', aggregation: 'count' }),
    )
    expect(entity.target).toBe('measures.Spend.entity')
    expect(entity.message).toContain("did you mean 'webshop_orders'?")
    const typed = refused(
      await api('PUT', `${demo}/measures/Spend`, {
        entity: 'webshop_orders',
        aggregation: 'count',
        filter: "total_amount gt 'lots'",
      }),
    )
    expect(typed.target).toBe('measures.Spend.filter')
  })

  it('refuses deleting a measure a segment uses', async () => {
    const error = refused(await api('DELETE', `${demo}/measures/LifetimeValue`))
    expect(error.target).toBe('segments.HighValueCustomers.filter')
    expect((await api('GET', `${demo}/measures`)).json.value.map((m: { name: string }) => m.name)).toContain(
      'LifetimeValue',
    )
  })

  it('refuses subscriptions and flows waiting for a segment, measure or source that does not exist', async () => {
    const subscription = refused(
      await api('POST', `${demo}/subscriptions`, {
        eventType: 'segment.threshold.crossed',
        callbackUrl: 'https://example.com/hook',
        parameters: { segmentName: 'HighValueCustomer', threshold: 10 },
      }),
    )
    expect(subscription.message).toContain(
      "there is no segment 'HighValueCustomer'; did you mean 'HighValueCustomers'?",
    )
    const flow = (trigger: Record<string, unknown>, actions: Record<string, unknown> = {}) =>
      api('PUT', `${demo}/flows/Watcher`, {
        trigger,
        actions: { Notify: { type: 'compose', inputs: 'x' }, ...actions },
      })
    const source = refused(
      await flow({ type: 'datasource.refresh.failed', parameters: { dataSourceName: 'no_such_source' } }),
    )
    expect(source.target).toBe('trigger.parameters.dataSourceName')
    expect(source.message).toContain("there is no data source 'no_such_source'")
    const measure = refused(
      await flow({
        type: 'measure.threshold.crossed',
        parameters: { measureName: 'LifetimeValue', threshold: 1 },
      }),
    )
    // A customer measure has no single value to cross a threshold.
    expect(measure.message).toContain("there is no business measure 'LifetimeValue'")
    const entity = refused(
      await flow(
        { type: 'datasource.refresh.failed', parameters: {} },
        {
          Read: {
            type: 'connector.getItems',
            inputs: { entity: 'crm_contact' },
            runAfter: { Notify: ['Succeeded'] },
          },
        },
      ),
    )
    expect(entity.message).toContain("did you mean 'crm_contacts'?")
    const good = await flow({
      type: 'segment.threshold.crossed',
      parameters: { segmentName: 'HighValueCustomers', threshold: 5 },
    })
    expect(good.status).toBe(200)
  })
})

describe('a refresh that would wipe an entity is held', () => {
  const contactsFile = () => join(dir, 'crm-contacts.csv')
  const refreshContacts = async (query = '') => {
    const started = await api('POST', `${demo}/datasources/crm_contacts/refresh${query}`)
    expect(started.status).toBe(202)
    return waitFor(
      async () => {
        const refresh = (await api('GET', `${demo}/refreshes/${started.json.id}`)).json
        return ['succeeded', 'failed', 'cancelled'].includes(refresh.state) ? refresh : undefined
      },
      'the refresh',
      60_000,
    )
  }
  const contactCount = async () =>
    (await api('GET', `${demo}/data/crm_contacts?$count=true&$top=1`)).json['@odata.count'] as number

  it('fails a header-only export with the counts and an event, and keeps the published rows', async () => {
    const before = await contactCount()
    expect(before).toBeGreaterThan(1000)
    const original = readFileSync(contactsFile(), 'utf8')
    writeFileSync(contactsFile(), `${original.split('\n')[0]}\n`)
    try {
      const held = await refreshContacts()
      expect(held.state).toBe('failed')
      expect(held.error.code).toBe('RefreshShrank')
      expect(held.error.message).toContain(
        `the new data has 0 rows where the published data has ${before.toLocaleString('en-US')} (100% fewer)`,
      )
      expect(held.error.message).toContain('--allow-shrink')
      expect(await contactCount()).toBe(before)
      // The source's listing says what is served, not the failed attempt's count.
      const listed = (await api('GET', `${demo}/datasources/crm_contacts`)).json
      expect(listed).toMatchObject({ publishedRowCount: before, lastRefresh: { state: 'failed' } })
      await runtime.drainEvents()
      const events = (await api('GET', `${demo}/events?type=datasource.refresh.failed`)).json.value
      expect(events.some((e: { data: { refreshId: string } }) => e.data.refreshId === held.id)).toBe(true)

      // Confirmed, it publishes.
      const confirmed = await refreshContacts('?allowShrink=true')
      expect(confirmed.state).toBe('succeeded')
      expect(await contactCount()).toBe(0)
    } finally {
      writeFileSync(contactsFile(), original)
    }
    expect((await refreshContacts()).state).toBe('succeeded')
    expect(await contactCount()).toBe(before)
  })
})

describe('adding a data source the way the web UI does', () => {
  it('uploads a file and previews it with a suggested key and what was detected', async () => {
    const text =
      'kunden_nr;vorname;nachname;email;umsatz\r\n1;Jürgen;Müller;j@example.de;1234,56\r\n2;Anna;Schmidt;a@example.de;99,5\r\n'
    const uploaded = await fetch(`${base}${demo}/uploads?name=${encodeURIComponent('Kunden (Export).csv')}`, {
      method: 'POST',
      headers: { 'x-api-key': adminKey, 'content-type': 'text/csv' },
      body: Buffer.from(text, 'latin1'),
    })
    expect(uploaded.status).toBe(201)
    const file = (await uploaded.json()) as { path: string; bytes: number; name: string }
    expect(file.bytes).toBe(Buffer.byteLength(text, 'latin1'))
    expect(file.path).toMatch(/uploads\/[0-9A-Z]{26}-Kunden_Export_\.csv$/)
    expect(readFileSync(file.path, 'latin1')).toBe(text)

    const preview = await api('POST', `${demo}/datasources/preview`, {
      kind: 'csv',
      options: { path: file.path },
    })
    expect(preview.status, JSON.stringify(preview.json)).toBe(200)
    expect(preview.json.columns.map((c: { name: string }) => c.name)).toEqual([
      'kunden_nr',
      'vorname',
      'nachname',
      'email',
      'umsatz',
    ])
    expect(preview.json.keyCandidates[0]).toBe('kunden_nr')
    expect(preview.json.rows[0]).toMatchObject({ vorname: 'Jürgen', umsatz: 1234.56 })
    expect(preview.json.dialect).toMatchObject({ delimiter: ';', encoding: 'latin-1', decimalSeparator: ',' })

    const missing = await api('POST', `${demo}/datasources/preview`, {
      kind: 'csv',
      options: { path: '/nowhere.csv' },
    })
    expect(missing.json.error).toMatchObject({ code: 'SourceNotFound' })
  })

  it('refuses an upload over the limit and keeps no part of it', async () => {
    const limited = await createTestStore('pglite', { OPENINSIGHTS_UPLOAD_LIMIT_MB: '1' })
    const other = await limited.open({ role: 'api' })
    const otherApp = await buildApp(other)
    try {
      const key = (await createApiKey(other.db, { name: 'admin', scopes: ['admin'], rateLimit: 0 })).key
      const url = (await otherApp.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '')
      await other.db.insertInto('instances').values({ id: 'big', name: 'Big' }).execute()
      const response = await fetch(`${url}/api/v1/instances/big/uploads?name=big.csv`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(1024 * 1024 + 10, 65),
      })
      expect(response.status).toBe(400)
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UploadTooLarge')
      expect(readdirSync(join(other.settings.dataDir, 'big', 'uploads'))).toEqual([])
    } finally {
      await otherApp.close()
      await limited.dispose()
    }
  })
})

describe('the designer is told on save what will fail at run time', () => {
  it('warns of an HTTP action whose URL the outbound guard refuses, and saves the flow all the same', async () => {
    const saved = await api('PUT', `${demo}/flows/Internal%20call`, {
      trigger: { type: 'datasource.refresh.failed', parameters: {} },
      actions: {
        Call: { type: 'http', inputs: { method: 'POST', uri: 'http://10.1.2.3/hook', body: 'x' } },
        Public: {
          type: 'http',
          inputs: { method: 'POST', uri: "https://203.0.113.9/@{triggerBody()?['dataSourceName']}" },
          runAfter: { Call: ['Succeeded'] },
        },
      },
    })
    expect(saved.status, JSON.stringify(saved.json)).toBe(200)
    expect(saved.json.warnings).toEqual([
      { target: 'actions.Call.inputs.uri', message: expect.stringContaining('10.1.2.3') },
    ])
  })
})

describe('settings the web UI edits', () => {
  it('keeps the stored SMTP password when the form leaves it out, and says why a test mail failed', async () => {
    const smtp = `${demo}/settings/smtp`
    expect(
      (await api('PUT', smtp, { host: '127.0.0.1', port: 9, user: 'u', password: 'p1', from: 'a@b.c' }))
        .status,
    ).toBe(204)
    expect((await api('PUT', smtp, { host: '127.0.0.1', port: 9, user: 'u', from: 'x@b.c' })).status).toBe(
      204,
    )
    expect((await api('GET', smtp)).json).toMatchObject({ user: 'u', password: '***', from: 'x@b.c' })
    // Another user is another account: the old password is not carried over to it.
    expect((await api('PUT', smtp, { host: '127.0.0.1', port: 9, user: 'v', from: 'x@b.c' })).status).toBe(
      204,
    )
    expect((await api('GET', smtp)).json.password).toBeUndefined()
    const failed = await api('POST', `${smtp}/test`, { to: 'someone@example.com' })
    expect(failed.status).toBe(422)
    expect(failed.json.error).toMatchObject({ code: 'SmtpFailed', target: 'smtp.host' })
    const outbound = await api('GET', '/api/v1/settings/outbound')
    expect(outbound.json).toEqual({
      publicAddresses: true,
      privateAddresses: false,
      ranges: ['127.0.0.0/8'],
      setting: 'OPENINSIGHTS_OUTBOUND_ALLOW',
    })
  })
})

describe('a refresh schedule per data source', () => {
  it('refreshes a source on its own cron, once per slot, and not for a slot before it was set', async () => {
    const doc = demoConfig()
    ;(doc.dataSources.loyalty_members as Record<string, unknown>).schedule = {
      cron: '*/15 * * * *',
      timezone: 'Europe/Copenhagen',
    }
    const changes = await apply(doc)
    expect(changes.find((c) => c.name === 'loyalty_members')?.differences).toEqual([
      'schedule: (none) → {"cron":"*/15 * * * *","timezone":"Europe/Copenhagen"}',
    ])
    expect((await api('GET', `${demo}/datasources/loyalty_members`)).json.schedule).toEqual({
      cron: '*/15 * * * *',
      timezone: 'Europe/Copenhagen',
    })
    await runtime.db
      .updateTable('data_sources')
      .set({ updated_at: new Date('2026-03-02T10:01:00Z') })
      .where('name', '=', 'loyalty_members')
      .execute()
    const at = (time: string) =>
      runDueSourceSchedules(runtime.db, runtime.jobs, new Date(`2026-03-02T${time}Z`))
    expect(await at('10:14:00')).toEqual([])
    const both = await Promise.all([at('10:15:01'), at('10:15:02')])
    expect(both.flat()).toEqual(['demo/loyalty_members'])
    expect(await at('10:20:00')).toEqual([])
    const refreshes = (await api('GET', `${demo}/refreshes?dataSource=loyalty_members&$top=1`)).json.value
    expect(refreshes[0]).toMatchObject({ dataSourceName: 'loyalty_members' })
    // The exported document carries it, and a wrong cron is refused with its path.
    const exported = (await api('GET', `${demo}/config`)).json
    expect(exported.dataSources.loyalty_members.schedule).toEqual({
      cron: '*/15 * * * *',
      timezone: 'Europe/Copenhagen',
    })
    ;(doc.dataSources.loyalty_members as Record<string, unknown>).schedule = { cron: '61 * * * *' }
    const refused = await api('PUT', `${demo}/config`, doc)
    expect(refused.status).toBe(400)
    expect(refused.json.error.message).toContain('dataSources.loyalty_members.schedule.cron')
  })
})

describe('a computation of measures and segments that fails anyway', () => {
  it('raises insights.run.failed with the reason, and the previous figures stay', async () => {
    const before = await getInsightConfig(runtime.db, DEMO_INSTANCE_ID)
    // Stored past the checks (as an older version would have): a filter on a column that is not there.
    await putInsightConfig(runtime.db, DEMO_INSTANCE_ID, {
      measures: {
        ...(before?.measures ?? {}),
        Broken: { entity: 'webshop_orders', aggregation: 'count', filter: 'nosuch eq 1' },
      },
      segments: before?.segments ?? {},
    } as InsightConfig)
    try {
      const started = await api('POST', `${demo}/insights/runs`)
      const ended = await waitFor(
        async () => {
          const run = (await api('GET', `${demo}/insights/runs/${started.json.id}`)).json
          return ['succeeded', 'failed'].includes(run.state) ? run : undefined
        },
        'the computation',
        60_000,
      )
      expect(ended.state).toBe('failed')
      await runtime.drainEvents()
      const events = (await api('GET', `${demo}/events?type=insights.run.failed`)).json.value
      expect(events[events.length - 1]).toMatchObject({
        data: { runId: started.json.id, error: { code: 'InvalidFilter' } },
        summary: expect.stringContaining("unknown property 'nosuch'"),
      })
    } finally {
      await putInsightConfig(runtime.db, DEMO_INSTANCE_ID, before as InsightConfig)
    }
  })
})

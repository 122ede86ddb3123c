import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { applyConfig, configSchema } from '../src/config/index.js'
import { DEMO_FILE_NAMES, demoConfigYaml, generateDemoData } from '../src/demo/index.js'
import { matchesTrigger, triggerOf } from '../src/events/index.js'
import { defineWritableEntity, writeItem } from '../src/pipeline/entities/index.js'
import { requestRun } from '../src/pipeline/index.js'
import { runInsights } from '../src/pipeline/insights/index.js'
import { cancelFullRefresh, requestFullRefresh } from '../src/pipeline/refresh.js'
import { putRefreshSchedule, runDueSchedules } from '../src/pipeline/refresh-schedule.js'
import { scheduleProblem } from '../src/pipeline/schedule-cron.js'
import type { Runtime } from '../src/runtime/index.js'
import { createApiKey } from '../src/server/auth/api-key-service.js'
import { buildApp } from '../src/server/index.js'
import { getEntity } from '../src/store/entities.js'
import { listEvents } from '../src/store/events.js'
import { getInsightConfig, putInsightConfig, valueHistory } from '../src/store/insights.js'
import { getRun, listRuns } from '../src/store/runs.js'
import { entityRows } from './helpers/entity-rows.js'
import { createTestStore, type TestStore } from './helpers/test-store.js'
import { waitFor } from './helpers/wait.js'

function demoConfig(dir: string) {
  const doc = parseYaml(demoConfigYaml()) as { dataSources: Record<string, { options: { path: string } }> }
  for (const source of Object.values(doc.dataSources)) source.options.path = join(dir, source.options.path)
  return doc
}

describe('measures, segments, thresholds and the full refresh on the demo', () => {
  let store: TestStore
  let runtime: Runtime
  let dir: string
  const fullRefreshAndWait = async () => {
    const { fullRefresh } = await requestFullRefresh(runtime.db, runtime.jobs, 'demo', 'test')
    return waitFor(
      async () => {
        const current = await getRun(runtime.db, 'full-refresh', 'demo', fullRefresh.id)
        return current && !['queued', 'running'].includes(current.state) ? current : undefined
      },
      'the full refresh',
      120_000,
    )
  }
  const itemStore = () => ({ db: runtime.db, duck: runtime.duck, dataDir: runtime.settings.dataDir })

  const insightsAndWait = async () => {
    const run = await runtime.db
      .transaction()
      .execute((tx) => requestRun(tx, runtime.jobs, 'insights', 'demo', 'test'))
    runtime.jobs.nudge('insights')
    return waitFor(
      async () => {
        const current = await getRun(runtime.db, 'insights', 'demo', run.id)
        return current && ['succeeded', 'failed'].includes(current.state) ? current : undefined
      },
      'the insights run',
      60_000,
    )
  }
  const rowsOf = (entity: string) => entityRows(runtime, 'demo', entity)

  beforeAll(async () => {
    store = await createTestStore('pglite')
    runtime = await store.open()
    dir = join(store.settings.home, 'demo-data')
    mkdirSync(dir, { recursive: true })
    await generateDemoData(dir)
    await applyConfig(runtime, configSchema.parse(demoConfig(dir)))
  }, 60_000)
  afterAll(async () => store?.dispose())

  it('runs sources → unify → measures and segments as one full refresh, and says so in refresh.full.completed', async () => {
    const { fullRefresh, created } = await requestFullRefresh(runtime.db, runtime.jobs, 'demo', 'test')
    expect(created).toBe(true)
    // A second request while it runs joins it.
    const again = await requestFullRefresh(runtime.db, runtime.jobs, 'demo', 'test')
    expect(again).toMatchObject({ created: false, fullRefresh: { id: fullRefresh.id } })
    const done = await waitFor(
      async () => {
        const current = await getRun(runtime.db, 'full-refresh', 'demo', fullRefresh.id)
        return current && !['queued', 'running'].includes(current.state) ? current : undefined
      },
      'the full refresh',
      120_000,
    )
    expect(done.state).toBe('succeeded')
    expect(done.fraction).toBe(1)
    expect(done.steps.map((s) => [s.name, s.state]).sort()).toEqual([
      ['insights', 'succeeded'],
      ['source:crm_contacts', 'succeeded'],
      ['source:loyalty_members', 'succeeded'],
      ['source:webshop_orders', 'succeeded'],
      ['unify', 'succeeded'],
    ])
    // Sources first (in parallel), then unify, then measures and segments.
    expect(done.steps.slice(-2).map((s) => s.name)).toEqual(['unify', 'insights'])
    await runtime.drainEvents()
    const events = await listEvents(runtime.db, 'demo', { limit: 1000 })
    const completed = events.filter((e) => e.type === 'refresh.full.completed')
    expect(completed).toHaveLength(1)
    expect(completed[0]?.data).toMatchObject({
      fullRefreshId: fullRefresh.id,
      status: 'succeeded',
      failedStep: null,
      steps: expect.arrayContaining([expect.objectContaining({ name: 'unify', status: 'succeeded' })]),
    })
    // Each step ran once: the refreshes did not also trigger a unify or insights run of their own.
    expect(events.filter((e) => e.type === 'unify.completed')).toHaveLength(1)

    // The demo's thresholds are crossed by its first refresh (from nothing: up).
    const crossed = events.filter((e) => e.type.endsWith('.threshold.crossed')).map((e) => e.data)
    expect(crossed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'TotalRevenue',
          threshold: 1000000,
          direction: 'up',
          previousValue: null,
        }),
        expect.objectContaining({ name: 'HighValueCustomers', threshold: 100, direction: 'up' }),
      ]),
    )
    expect(crossed.filter((d) => d.name === 'RevenueByCountry').map((d) => d.dimension)).not.toContain(null)
  }, 180_000)

  it('publishes measures and segments whose figures match the data', async () => {
    const orders = await rowsOf('webshop_orders')
    const run = (await valueHistory(runtime.db, 'demo', 'measure', 'AppOrdersLastYear', 1))[0]
    const started = Date.parse(run?.computedAt ?? '')
    const revenue = orders.reduce((sum, o) => sum + Number(o.total_amount), 0)
    const history = await valueHistory(runtime.db, 'demo', 'measure', 'TotalRevenue', 10)
    expect(history).toHaveLength(1)
    expect(history[0]?.value).toBeCloseTo(revenue, 2)
    const byCountry = await valueHistory(runtime.db, 'demo', 'measure', 'RevenueByCountry', 100)
    expect(byCountry.reduce((sum, v) => sum + (v.value ?? 0), 0)).toBeCloseTo(revenue, 2)
    const appLastYear = orders.filter((o) => {
      const at = Date.parse(String(o.order_date))
      return o.channel === 'app' && at > started - 365 * 86_400_000 && at <= started
    }).length
    expect((await valueHistory(runtime.db, 'demo', 'measure', 'AppOrdersLastYear', 1))[0]?.value).toBe(
      appLastYear,
    )

    const measures = await rowsOf('CustomerMeasures')
    expect(measures.reduce((sum, m) => sum + Number(m.LifetimeValue ?? 0), 0)).toBeCloseTo(revenue, 2)
    const high = await rowsOf('SegmentHighValueCustomers')
    expect(high.length).toBe(measures.filter((m) => Number(m.LifetimeValue) >= 10000).length)
    expect(high.every((c) => Number(c.LifetimeValue) >= 10000)).toBe(true)
    const danish = await rowsOf('SegmentDanishRegulars')
    expect(danish.length).toBeGreaterThan(0)
    expect(danish.every((c) => c.Country === 'DK' && Number(c.OrderCount) >= 3)).toBe(true)
    const segmentHistory = await valueHistory(runtime.db, 'demo', 'segment', 'HighValueCustomers', 10)
    expect(segmentHistory[0]?.value).toBe(high.length)
    expect((await rowsOf('SegmentRecentAppBuyers')).length).toBeGreaterThan(0)
  }, 60_000)

  it("fills the connector's pick lists: segments, measures, a measure's dimension values, data sources", async () => {
    const app = await buildApp(runtime)
    const key = (await createApiKey(runtime.db, { name: 'pick lists', scopes: ['read'], rateLimit: 0 })).key
    const list = async (path: string) => {
      const response = await app.inject({
        url: `/api/v1/instances/demo${path}`,
        headers: { 'x-api-key': key },
      })
      return { status: response.statusCode, json: response.json() }
    }
    try {
      const names = async (path: string) =>
        ((await list(path)).json.value as { name: string }[]).map((v) => v.name).sort()
      expect(await names('/segments')).toEqual(['DanishRegulars', 'HighValueCustomers', 'RecentAppBuyers'])
      expect(await names('/measures')).toEqual([
        'AppOrdersLastYear',
        'LifetimeValue',
        'OrderCount',
        'RevenueByCountry',
        'TotalRevenue',
      ])
      expect(await names('/datasources')).toEqual(['crm_contacts', 'loyalty_members', 'webshop_orders'])
      const countries = [
        ...new Set((await rowsOf('webshop_orders')).map((o) => o.shipping_country).filter((c) => c !== null)),
      ].sort()
      const dimensions = (await list('/measures/RevenueByCountry/dimensions')).json.value as {
        value: string
        latestValue: number
      }[]
      expect(dimensions.map((d) => d.value)).toEqual(countries)
      const history = await valueHistory(runtime.db, 'demo', 'measure', 'RevenueByCountry', 100)
      for (const d of dimensions)
        expect(d.latestValue).toBe(history.find((h) => h.dimension === d.value)?.value)
      expect((await list('/measures/TotalRevenue/dimensions')).json.value).toEqual([])
      const missing = await list('/measures/NoSuchMeasure/dimensions')
      expect(missing.status).toBe(404)
      expect(missing.json.error.code).toBe('NotFound')
    } finally {
      await app.close()
    }
  })

  it('fires a measure threshold up twice, down once (both: three times) on 90, 110, 120, 80, 130, and never twice on a restart', async () => {
    await defineWritableEntity(itemStore(), 'demo', 'Readings', {
      keyColumn: 'id',
      columns: [
        { name: 'id', type: 'VARCHAR' },
        { name: 'v', type: 'DOUBLE' },
      ],
    })
    await writeItem(itemStore(), 'demo', 'Readings', 'create', { id: 'r', v: 0 })
    const config = await getInsightConfig(runtime.db, 'demo')
    const include = (await rowsOf('UnifiedCustomer')).slice(0, 130).map((c) => String(c.CustomerId))
    await putInsightConfig(runtime.db, 'demo', {
      measures: {
        ...config?.measures,
        Reading: { kind: 'business', sql: 'select max(v) as value from Readings', thresholds: [100] },
      },
      segments: {
        ...config?.segments,
        Picked: {
          filter: 'RecordCount ge 1000000',
          include: [],
          exclude: [],
          activities: {},
          thresholds: [100],
        },
      },
    })
    const before = (await listEvents(runtime.db, 'demo', { limit: 10000 })).length
    let lastRun = ''
    for (const value of [90, 110, 120, 80, 130]) {
      await writeItem(itemStore(), 'demo', 'Readings', 'update', { v: value }, 'r')
      const stored = await getInsightConfig(runtime.db, 'demo')
      await putInsightConfig(runtime.db, 'demo', {
        measures: stored?.measures ?? {},
        segments: {
          ...stored?.segments,
          Picked: { filter: 'RecordCount ge 1000000', include: include.slice(0, value), thresholds: [100] },
        },
      })
      const run = await insightsAndWait()
      expect(run.state).toBe('succeeded')
      lastRun = run.id
    }
    // The job of the last run delivered again (a restart): nothing is recorded or raised twice.
    const context = {
      db: runtime.db,
      duck: runtime.duck,
      dataDir: runtime.settings.dataDir,
      keepVersions: 3,
      watchdog: { stallMs: 60_000, maxMs: 600_000 },
      onEventsAppended: () => {},
      log: () => {},
    }
    expect(await runInsights(context, { instanceId: 'demo', runId: lastRun })).toBeUndefined()
    const events = (await listEvents(runtime.db, 'demo', { limit: 10000 })).slice(before)
    for (const [kind, name, key] of [
      ['measure', 'Reading', 'measureName'],
      ['segment', 'Picked', 'segmentName'],
    ] as const) {
      const mine = events.filter((e) => e.type === `${kind}.threshold.crossed` && e.data.name === name)
      expect(mine.map((e) => [e.data.previousValue, e.data.value, e.data.direction])).toEqual([
        [90, 110, 'up'],
        [120, 80, 'down'],
        [80, 130, 'up'],
      ])
      const received = (direction: string) =>
        mine.filter((e) => matchesTrigger(e, { [key]: name, threshold: 100, direction })).length
      expect([received('up'), received('down'), received('both')]).toEqual([2, 1, 3])
    }
    expect((await valueHistory(runtime.db, 'demo', 'measure', 'Reading', 10)).map((v) => v.value)).toEqual([
      130, 80, 120, 110, 90,
    ])
  }, 180_000)
  it('fails a measure whose SQL reaches for a server file, with its reason, and shows nothing of the file', async () => {
    const serverFile = join(runtime.settings.home, 'server-secret.json')
    writeFileSync(serverFile, JSON.stringify({ adminKey: 'oi_do-not-leak' }))
    const config = await getInsightConfig(runtime.db, 'demo')
    // The reported exploit: a CTE named after the path in one subquery, the file read in another.
    await putInsightConfig(runtime.db, 'demo', {
      measures: {
        Leak: {
          kind: 'business',
          sql: `select (select count(*) from (with "${serverFile}" as (select 1) select * from "${serverFile}"))
                 + (select count(*) from '${serverFile}') as value`,
        },
      },
      segments: {},
    })
    const run = await insightsAndWait()
    expect(run.state).toBe('failed')
    expect(run.error).toMatchObject({ code: 'InvalidMeasureSql' })
    expect(JSON.stringify(run)).not.toContain('oi_do-not-leak')
    await putInsightConfig(runtime.db, 'demo', config ?? { measures: {}, segments: {} })
  })

  it('fails only the broken source: unification and measures run on its last good data, and the summary names it', async () => {
    const loyalty = join(dir, DEMO_FILE_NAMES.loyaltyMembers)
    copyFileSync(loyalty, `${loyalty}.good`)
    writeFileSync(loyalty, '{"member_id": "m1", broken json\n')
    const before = (await getEntity(runtime.db, 'demo', 'loyalty_members'))?.current.id
    try {
      const done = await fullRefreshAndWait()
      expect(done.state).toBe('failed')
      const byName = Object.fromEntries(done.steps.map((s) => [s.name, s]))
      expect(byName['source:loyalty_members']?.state).toBe('failed')
      expect(byName['source:loyalty_members']?.error?.code).toBeTruthy()
      expect(byName['source:crm_contacts']?.state).toBe('succeeded')
      expect(byName.unify?.state).toBe('succeeded')
      expect(byName.insights?.state).toBe('succeeded')
      expect((await getEntity(runtime.db, 'demo', 'loyalty_members'))?.current.id).toBe(before)
      await runtime.drainEvents()
      const completed = (
        await listEvents(runtime.db, 'demo', { types: ['refresh.full.completed'], limit: 100 })
      ).at(-1)
      expect(completed?.data).toMatchObject({
        fullRefreshId: done.id,
        status: 'failed',
        failedStep: 'source:loyalty_members',
      })
    } finally {
      copyFileSync(`${loyalty}.good`, loyalty)
    }
  }, 180_000)

  it('cancels a full refresh, leaving published data as it was', async () => {
    const versions = async () =>
      Object.fromEntries(
        await Promise.all(
          ['UnifiedCustomer', 'SegmentHighValueCustomers', 'crm_contacts'].map(async (name) => [
            name,
            (await getEntity(runtime.db, 'demo', name))?.current.id,
          ]),
        ),
      )
    const before = await versions()
    const { fullRefresh } = await requestFullRefresh(runtime.db, runtime.jobs, 'demo', 'test')
    const cancelled = await cancelFullRefresh(runtime.db, 'demo', fullRefresh.id)
    expect(cancelled.state).toBe('cancelled')
    await expect(cancelFullRefresh(runtime.db, 'demo', fullRefresh.id)).rejects.toThrow(/already ended/)
    // Let any step already under way end: it publishes nothing.
    await new Promise((resolve) => setTimeout(resolve, 3000))
    expect(await versions()).toEqual(before)
    await runtime.drainEvents()
    const completed = (
      await listEvents(runtime.db, 'demo', { types: ['refresh.full.completed'], limit: 100 })
    ).at(-1)
    expect(completed?.data).toMatchObject({ fullRefreshId: fullRefresh.id, status: 'cancelled' })
    // The next full refresh runs normally.
    expect((await fullRefreshAndWait()).state).toBe('succeeded')
  }, 180_000)
  it('stores every event with the payload its trigger definition describes (and the connector documents)', async () => {
    await runtime.drainEvents()
    const events = await listEvents(runtime.db, 'demo', { limit: 10000 })
    const types = new Set<string>()
    for (const event of events) {
      const trigger = triggerOf(event.type)
      expect(trigger, event.type).toBeDefined()
      const parsed = trigger!.payload.safeParse(event.data)
      expect(parsed.success ? [] : parsed.error.issues, `${event.type} ${event.id}`).toEqual([])
      // Nothing delivered that the definition does not name (it would be dynamic content nobody sees).
      const named = Object.keys((trigger!.payload as unknown as { shape: object }).shape)
      expect(
        Object.keys(event.data).filter((k) => !named.includes(k)),
        event.type,
      ).toEqual([])
      types.add(event.type)
    }
    expect([...types].sort()).toEqual(
      expect.arrayContaining([
        'datasource.refresh.succeeded',
        'measure.threshold.crossed',
        'refresh.full.completed',
        'segment.threshold.crossed',
        'unify.completed',
      ]),
    )
  })

  it('starts a full refresh when its cron slot comes, once per slot, and not for a slot that passed before it was set', async () => {
    await putRefreshSchedule(runtime.db, 'demo', { cron: '*/5 * * * *', timezone: 'Europe/Copenhagen' })
    await runtime.db
      .updateTable('refresh_schedules')
      .set({ updated_at: new Date('2026-03-02T10:00:30Z') })
      .where('instance_id', '=', 'demo')
      .execute()
    const at = (time: string) => runDueSchedules(runtime.db, runtime.jobs, new Date(`2026-03-02T${time}Z`))
    expect(await at('10:03:00')).toEqual([])
    expect(await at('10:05:10')).toEqual(['demo'])
    expect(await Promise.all([at('10:05:40'), at('10:06:00')])).toEqual([[], []])
    const scheduled = (await listRuns(runtime.db, 'full-refresh', 'demo', 1))[0]
    expect(scheduled?.reason).toBe('schedule:2026-03-02T10:05:00.000Z')
    // Two workers ticking at once on the next slot start it once.
    const both = await Promise.all([at('10:10:01'), at('10:10:02')])
    expect(both.flat()).toEqual(['demo'])
    await cancelFullRefresh(
      runtime.db,
      'demo',
      (await listRuns(runtime.db, 'full-refresh', 'demo', 1))[0]?.id as string,
    ).catch(() => undefined)
    expect(scheduleProblem({ cron: '61 * * * *', timezone: 'UTC' })).toMatch(/./)
    expect(scheduleProblem({ cron: '0 3 * * *', timezone: 'Mars/Olympus' })).toMatch(/./)
    expect(scheduleProblem({ cron: '0 3 * * *', timezone: 'Europe/Copenhagen' })).toBeUndefined()
    await putRefreshSchedule(runtime.db, 'demo', undefined)
  }, 120_000)
})

import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { explanationText } from '../src/cli/commands/unify-command.js'
import { applyConfig, configSchema, parseConfig } from '../src/config/index.js'
import { demoConfigYaml, generateDemoData } from '../src/demo/index.js'
import { requestRefreshes, requestRun, versionFiles } from '../src/pipeline/index.js'
import { explainCustomer } from '../src/pipeline/unify/index.js'
import { literal, sql } from '../src/query/index.js'
import type { Runtime } from '../src/runtime/index.js'
import { getEntity } from '../src/store/entities.js'
import { listEvents } from '../src/store/events.js'
import { getRun, listRuns, type Run } from '../src/store/runs.js'
import { duckRows } from './helpers/duck.js'
import { entityRows } from './helpers/entity-rows.js'
import { createTestStore, type TestStore } from './helpers/test-store.js'
import { waitFor, waitForRefreshEnd } from './helpers/wait.js'

/** The demo configuration with its files in `dir`. */
function demoConfig(dir: string) {
  const doc = parseYaml(demoConfigYaml()) as { dataSources: Record<string, { options: { path: string } }> }
  for (const source of Object.values(doc.dataSources)) source.options.path = join(dir, source.options.path)
  return doc
}

describe('unification of the demo data', () => {
  let store: TestStore
  let runtime: Runtime
  let dir: string

  const runAndWait = async (): Promise<Run> => {
    const run = await runtime.db
      .transaction()
      .execute((tx) => requestRun(tx, runtime.jobs, 'unify', 'demo', 'test'))
    runtime.jobs.nudge('unify')
    return waitFor(
      async () => {
        const current = await getRun(runtime.db, 'unify', 'demo', run.id)
        return current && (current.state === 'succeeded' || current.state === 'failed') ? current : undefined
      },
      'the unify run',
      60_000,
    )
  }
  const rowsOf = (entity: string, select: string[]) => entityRows(runtime, 'demo', entity, select)

  beforeAll(async () => {
    store = await createTestStore('pglite')
    runtime = await store.open()
    dir = join(store.settings.home, 'demo-data')
    mkdirSync(dir, { recursive: true })
    await generateDemoData(dir)
    await applyConfig(runtime, configSchema.parse(demoConfig(dir)))
  }, 60_000)
  afterAll(async () => store?.dispose())

  it('runs after the mapped sources are refreshed and fires unify.completed with its figures', async () => {
    const queued = await requestRefreshes(runtime.db, runtime.jobs, 'demo')
    for (const q of queued)
      expect((await waitForRefreshEnd(runtime, 'demo', q.refresh.id)).state).toBe('succeeded')
    const run = await waitFor(
      async () => {
        const [latest] = await listRuns(runtime.db, 'unify', 'demo', 1)
        return latest?.state === 'succeeded' ? latest : undefined
      },
      'the unify run a refresh queues',
      60_000,
    )
    expect(run.reason).toMatch(/^refresh:/)
    const events = await waitFor(async () => {
      const found = await listEvents(runtime.db, 'demo', { types: ['unify.completed'], limit: 10 })
      return found.length > 0 ? found : undefined
    }, 'unify.completed')
    expect(events[0]?.data).toMatchObject({
      instanceId: 'demo',
      unifyRunId: run.id,
      status: 'succeeded',
      sourceRecords: 4420 + 13647 + 2185,
      unifiedProfiles: run.stats?.unifiedProfiles,
      matchPairs: run.stats?.matchPairs,
      unmappedSources: [],
      error: null,
    })
    expect(events[0]?.data.durationMs).toBeGreaterThan(0)
  }, 120_000)

  it('makes one profile of each person: pairwise F1 ≥ 0.95 against the ground truth', async () => {
    const keys = await rowsOf('CustomerSourceKeys', ['CustomerId', 'SourceName', 'SourceKey'])
    const customerOf = new Map(keys.map((k) => [`${k.SourceName}:${k.SourceKey}`, String(k.CustomerId)]))
    const truth = await duckRows(
      runtime.duck,
      sql`select source, key, person_id from read_csv(${literal(join(dir, 'ground-truth.csv'))}, all_varchar = true)`,
    )
    expect(customerOf.size).toBe(truth.length)
    // Pairs within the same person (true) and within the same profile (predicted), counted per group.
    const pairs = (groups: Map<string, number>) =>
      [...groups.values()].reduce((n, size) => n + (size * (size - 1)) / 2, 0)
    const byPerson = new Map<string, number>()
    const byCustomer = new Map<string, number>()
    const byBoth = new Map<string, number>()
    for (const t of truth) {
      const customer = customerOf.get(`${t.source}:${t.key}`) as string
      byPerson.set(String(t.person_id), (byPerson.get(String(t.person_id)) ?? 0) + 1)
      byCustomer.set(customer, (byCustomer.get(customer) ?? 0) + 1)
      byBoth.set(`${t.person_id}|${customer}`, (byBoth.get(`${t.person_id}|${customer}`) ?? 0) + 1)
    }
    const truePositives = pairs(byBoth)
    const precision = truePositives / pairs(byCustomer)
    const recall = truePositives / pairs(byPerson)
    const f1 = (2 * precision * recall) / (precision + recall)
    console.log(
      `demo unify: precision ${precision.toFixed(4)}, recall ${recall.toFixed(4)}, F1 ${f1.toFixed(4)}; ${byPerson.size} people → ${byCustomer.size} profiles`,
    )
    expect(f1).toBeGreaterThanOrEqual(0.95)
    expect(Math.abs(byCustomer.size - byPerson.size) / byPerson.size).toBeLessThan(0.03)
  })

  it('keeps every CustomerId on a second run over the same data, and explains matches in MatchPairs', async () => {
    const before = await rowsOf('CustomerSourceKeys', ['CustomerId', 'SourceName', 'SourceKey'])
    const run = await runAndWait()
    expect(run.state).toBe('succeeded')
    const after = await rowsOf('CustomerSourceKeys', ['CustomerId', 'SourceName', 'SourceKey'])
    const sorted = (rows: typeof before) =>
      rows.map((r) => `${r.SourceName}:${r.SourceKey}=${r.CustomerId}`).sort()
    expect(after).toHaveLength(before.length)
    expect(sorted(after)).toEqual(sorted(before))
    const pairs = await rowsOf('MatchPairs', [
      'CustomerId',
      'SourceA',
      'KeyA',
      'SourceB',
      'KeyB',
      'Rule',
      'Score',
      'Similarities',
    ])
    expect(new Set(pairs.map((p) => p.Rule))).toEqual(
      new Set(['same email', 'same phone, similar last name', 'same postcode, similar names']),
    )
    const fuzzy = pairs.find((p) => p.Rule === 'same postcode, similar names')
    expect(fuzzy?.Similarities).toMatch(/^FirstName=[\d.]+,LastName=[\d.]+$/)
    const profiles = await rowsOf('UnifiedCustomer', [
      'CustomerId',
      'Emails',
      'Phones',
      'RecordCount',
      'SourceCount',
    ])
    expect(profiles.every((p) => Number(p.RecordCount) >= 1)).toBe(true)
    const phones = profiles.flatMap((p) => (p.Phones as string[] | null) ?? [])
    expect(phones.every((p) => /^\+\d{8,15}$/.test(p))).toBe(true)
  }, 120_000)

  it('explains a profile: its records as they are in their sources, and the rules that joined them', async () => {
    const profiles = await rowsOf('UnifiedCustomer', ['CustomerId', 'RecordCount', 'SourceCount'])
    const chosen = profiles.find((p) => Number(p.SourceCount) === 3 && Number(p.RecordCount) >= 4)
    expect(chosen).toBeDefined()
    const explanation = await explainCustomer(runtime.db, runtime.duck, 'demo', String(chosen?.CustomerId))
    expect(explanation.records).toHaveLength(Number(chosen?.RecordCount))
    expect(new Set(explanation.records.map((r) => r.source)).size).toBe(3)
    expect(explanation.records.every((r) => r.record !== null)).toBe(true)
    expect(explanation.matches.length).toBeGreaterThanOrEqual(Number(chosen?.RecordCount) - 1)
    const text = explanationText(explanation)
    expect(text).toMatch(
      new RegExp(
        `^Customer ${chosen?.CustomerId}: ${chosen?.RecordCount} record\\(s\\) from 3 source\\(s\\)`,
      ),
    )
    expect(text).toContain('Why they are one profile')
    expect(text).toMatch(
      /↔ .*: rule '(same email|same phone, similar last name|same postcode, similar names)' \(score \d\.\d\d/,
    )
    await expect(explainCustomer(runtime.db, runtime.duck, 'demo', 'CNOPE')).rejects.toThrow(
      "Customer 'CNOPE' does not exist",
    )
  })

  it('fails a run whose mapping names a missing column, keeping the previous profiles current', async () => {
    const before = await getEntity(runtime.db, 'demo', 'UnifiedCustomer')
    const broken = demoConfig(dir) as unknown as {
      unify: { sources: { crm_contacts: { attributes: Record<string, string> } } }
    }
    broken.unify.sources.crm_contacts.attributes.shoe_size = 'ShoeSize'
    await applyConfig(runtime, configSchema.parse(broken))
    const run = await runAndWait()
    expect(run.state).toBe('failed')
    expect(run.error).toMatchObject({ code: 'ColumnNotFound' })
    expect(run.error?.message).toContain('shoe_size')
    expect((await getEntity(runtime.db, 'demo', 'UnifiedCustomer'))?.current.id).toBe(before?.current.id)
    const events = await listEvents(runtime.db, 'demo', { types: ['unify.completed'], limit: 10 })
    expect(events.at(-1)?.data).toMatchObject({ status: 'failed', error: { code: 'ColumnNotFound' } })
    await applyConfig(runtime, configSchema.parse(demoConfig(dir)))
    expect(versionFiles((await getEntity(runtime.db, 'demo', 'UnifiedCustomer'))!.current).length).toBe(1)
  }, 120_000)

  it('rejects rules naming unknown attributes or sources, with the path and the fix', () => {
    const doc = demoConfig(dir) as unknown as {
      unify: { rules: { conditions: { attribute: string }[] }[]; sources: Record<string, unknown> }
    }
    doc.unify.rules[0]!.conditions[0]!.attribute = 'Emial'
    doc.unify.sources.ghost = { attributes: { a: 'Email' } }
    const result = parseConfig(JSON.stringify(doc), 'openinsights.yaml')
    expect(result.ok).toBe(false)
    const problems = result.ok ? [] : result.problems
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: 'unify.rules[0].conditions[0].attribute',
          message: "attribute 'Emial' is not mapped from any source",
        }),
        expect.objectContaining({
          path: 'unify.sources.ghost',
          message: "data source 'ghost' is not defined",
        }),
      ]),
    )
  })
})

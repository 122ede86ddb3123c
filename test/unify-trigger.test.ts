import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobQueue } from '../src/jobs/index.js'
import { unifyTrigger } from '../src/pipeline/unify/index.js'
import type { Runtime } from '../src/runtime/index.js'
import { publishEntityVersion } from '../src/store/entities.js'
import type { StoredEvent } from '../src/store/events.js'
import { upsertInstance } from '../src/store/instances.js'
import { putUnifyConfig } from '../src/store/unify.js'
import { createTestStore, type TestStore } from './helpers/test-store.js'

/**
 * The unify trigger takes a dispatcher batch at once: of many events, only refreshes of mapped
 * sources outside a full refresh, once every mapped source has data, queue a unification.
 */
describe('the unify trigger on a batch of events', () => {
  let store: TestStore
  let runtime: Runtime
  const publish = (instanceId: string, name: string) =>
    publishEntityVersion(
      runtime.db,
      {
        id: `${instanceId}-${name}`,
        instanceId,
        entityName: name,
        refreshId: `${instanceId}-${name}`,
        directory: '/nowhere',
        rowCount: 0,
        schema: [{ name: 'id', type: 'VARCHAR' }],
        partitions: [],
        keyColumn: 'id',
      },
      `datasource:${name}`,
    )
  const addSource = (instanceId: string, name: string) =>
    runtime.db
      .insertInto('data_sources')
      .values({
        instance_id: instanceId,
        name,
        kind: 'csv',
        options: '{}',
        primary_key: 'id',
        column_types: '{}',
        reject_ratio: 0.05,
      })
      .execute()
  beforeAll(async () => {
    store = await createTestStore('pglite')
    runtime = await store.open({ role: 'api' })
    for (const id of ['one', 'two', 'three']) {
      await upsertInstance(runtime.db, { id, name: id })
      for (const source of ['crm', 'shop', 'other']) await addSource(id, source)
      await putUnifyConfig(runtime.db, id, { sources: { crm: {}, shop: {} } })
    }
    // one and three have both mapped sources published; two only crm.
    for (const [id, names] of [
      ['one', ['crm', 'shop']],
      ['two', ['crm']],
      ['three', ['crm', 'shop']],
    ] as const)
      for (const name of names) await publish(id, name)
    await runtime.db
      .insertInto('full_refreshes')
      .values({ id: 'full-1', instance_id: 'three', state: 'running', reason: 'test', steps: '[]' })
      .execute()
    const refresh = (id: string, instance: string, source: string, fullRefreshId: string | null) => ({
      id,
      instance_id: instance,
      data_source_name: source,
      state: 'succeeded' as const,
      requested_at: new Date(),
      full_refresh_id: fullRefreshId,
    })
    await runtime.db
      .insertInto('refreshes')
      .values([
        refresh('r-one-shop', 'one', 'shop', null),
        refresh('r-one-other', 'one', 'other', null),
        refresh('r-two-crm', 'two', 'crm', null),
        refresh('r-three-crm', 'three', 'crm', 'full-1'),
      ])
      .execute()
  }, 60_000)
  afterAll(async () => {
    await runtime?.close()
    await store?.dispose()
  })

  const event = (
    instanceId: string,
    type: string,
    data: Record<string, unknown>,
    n: number,
  ): StoredEvent => ({
    id: `e${String(n).padStart(4, '0')}`,
    type,
    instanceId,
    occurredAt: new Date().toISOString(),
    data,
  })

  it('queues one unification for the one event that calls for it, and none for the rest', async () => {
    const sent: { queue: string; data: unknown }[] = []
    const jobs = {
      send: async (_tx: unknown, queue: string, data: unknown) => {
        sent.push({ queue, data })
        return `job-${sent.length}`
      },
      nudge: () => undefined,
    } as unknown as JobQueue
    const refreshed = (instance: string, source: string, refreshId: string, n: number) =>
      event(instance, 'datasource.refresh.succeeded', { dataSourceName: source, refreshId }, n)
    const events = [
      refreshed('one', 'shop', 'r-one-shop', 1), // mapped, both sources published: unify
      refreshed('one', 'other', 'r-one-other', 2), // not mapped
      refreshed('two', 'crm', 'r-two-crm', 3), // shop has no data yet
      refreshed('three', 'crm', 'r-three-crm', 4), // part of a full refresh
      event('one', 'datasource.refresh.failed', { dataSourceName: 'crm', refreshId: 'x' }, 5),
      // Many refreshes of a source no unification maps (the benchmark's load): nothing to do.
      ...Array.from({ length: 200 }, (_, i) => refreshed('one', 'other', `r-${i}`, 10 + i)),
    ]
    const made = await runtime.db
      .transaction()
      .execute((tx) => unifyTrigger(jobs).handleBatch?.(events, tx) ?? Promise.resolve(false))
    expect(made).toBe(true)
    expect(sent).toEqual([{ queue: 'unify', data: expect.objectContaining({ instanceId: 'one' }) }])

    const none = await runtime.db
      .transaction()
      .execute((tx) => unifyTrigger(jobs).handleBatch?.(events.slice(1), tx) ?? Promise.resolve(false))
    expect(none).toBe(false)
    expect(sent).toHaveLength(1)
  })

  it('waits for the last of several refreshes asked together, and takes a failed last one as the end', async () => {
    const sent: unknown[] = []
    const jobs = {
      send: async (_tx: unknown, _queue: string, data: unknown) => {
        sent.push(data)
        return `job-${sent.length}`
      },
      nudge: () => undefined,
    } as unknown as JobQueue
    const handle = (events: StoredEvent[]) =>
      runtime.db
        .transaction()
        .execute((tx) => unifyTrigger(jobs).handleBatch?.(events, tx) ?? Promise.resolve(false))
    await upsertInstance(runtime.db, { id: 'four', name: 'four' })
    await putUnifyConfig(runtime.db, 'four', { sources: { crm: {}, shop: {} } })
    for (const name of ['crm', 'shop']) await addSource('four', name)
    for (const name of ['crm', 'shop']) await publish('four', name)
    const now = new Date()
    await runtime.db
      .insertInto('refreshes')
      .values([
        {
          id: 'r4-crm',
          instance_id: 'four',
          data_source_name: 'crm',
          state: 'succeeded',
          requested_at: now,
          completed_at: now,
        },
        { id: 'r4-shop', instance_id: 'four', data_source_name: 'shop', state: 'running', requested_at: now },
      ])
      .execute()
    const crmDone = event(
      'four',
      'datasource.refresh.succeeded',
      { dataSourceName: 'crm', refreshId: 'r4-crm' },
      1,
    )
    expect(await handle([crmDone])).toBe(false) // shop is still running: its end decides
    await runtime.db
      .updateTable('refreshes')
      .set({ state: 'failed', completed_at: new Date() })
      .where('id', '=', 'r4-shop')
      .execute()
    const shopFailed = event(
      'four',
      'datasource.refresh.failed',
      { dataSourceName: 'shop', refreshId: 'r4-shop' },
      2,
    )
    expect(await handle([shopFailed])).toBe(true) // the last of them ended: crm's new data is unified
    expect(sent).toEqual([expect.objectContaining({ instanceId: 'four' })])
    // A later failure with nothing new since that unification asks for none.
    expect(await handle([shopFailed])).toBe(false)
  })
})

import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyConfig, type ConfigInput, configSchema } from '../src/config/index.js'
import { requestRefreshes } from '../src/pipeline/index.js'
import { literal, literalList, sql } from '../src/query/index.js'
import { getEntity } from '../src/store/entities.js'
import { listEvents } from '../src/store/events.js'
import type { Refresh } from '../src/store/refreshes.js'
import { duckRows, duckRun } from './helpers/duck.js'
import { POSTGRES_ADMIN_URL } from './helpers/postgres.js'
import { createTestStore, storeModeAvailable, type TestStore } from './helpers/test-store.js'
import { waitForRefreshEnd } from './helpers/wait.js'

const instanceId = 'acme'
const ROWS = Array.from({ length: 40 }, (_, i) => ({
  id: i + 1,
  name: `Person ${i + 1}`,
  city: i % 2 ? 'Århus' : 'Köln',
}))
const goodCsv = `id,name,city\n${ROWS.map((r) => `${r.id},${r.name},${r.city}`).join('\n')}\n`

/** Every refresh must end — succeeded, or failed with a reason — within this, whatever the file. */
const BOUND_MS = 60_000

async function harness(store: TestStore) {
  const runtime = await store.open()
  const files = join(store.settings.home, 'files')
  mkdirSync(files, { recursive: true })
  const configure = (dataSources: ConfigInput['dataSources']) =>
    applyConfig(runtime, configSchema.parse({ instance: { id: instanceId }, dataSources }))
  const refresh = async (name: string): Promise<Refresh> => {
    const [queued] = await requestRefreshes(runtime.db, runtime.jobs, instanceId, [name])
    return waitForRefreshEnd(runtime, instanceId, queued!.refresh.id, BOUND_MS)
  }
  /** The current version of an entity, read back: its row count (it must stay readable). */
  const readable = async (name: string): Promise<number | undefined> => {
    const entity = await getEntity(runtime.db, instanceId, name)
    if (!entity) return undefined
    const files = entity.current.partitions.map((p) => join(entity.current.directory, p.file))
    const rows = await duckRows<{ n: number }>(
      runtime.duck,
      sql`select count(*)::int as n from read_parquet(${literalList(files)})`,
    )
    return Number(rows[0]?.n)
  }
  const failedEvent = async (refreshId: string) => {
    await runtime.drainEvents()
    return (await listEvents(runtime.db, instanceId, { limit: 5000 })).find(
      (e) => e.type === 'datasource.refresh.failed' && e.data.refreshId === refreshId,
    )
  }
  return { runtime, files, configure, refresh, readable, failedEvent }
}

describe('refreshes of malformed files end, with a reason', () => {
  let store: TestStore
  let h: Awaited<ReturnType<typeof harness>>
  beforeAll(async () => {
    store = await createTestStore('pglite')
    h = await harness(store)
    writeFileSync(join(h.files, 'contacts.csv'), goodCsv)
    await h.configure({
      contacts: { kind: 'csv', primaryKey: 'id', options: { path: join(h.files, 'contacts.csv') } },
    })
    expect((await h.refresh('contacts')).state).toBe('succeeded')
  }, 60_000)
  afterAll(() => store?.dispose())

  it('fails the 11-byte NUL file (it hung for ever), raises the event, and refreshes again once restored', async () => {
    writeFileSync(join(h.files, 'contacts.csv'), Buffer.from('\x00\x01garbage"\n', 'latin1'))
    const failed = await h.refresh('contacts')
    expect(failed.state).toBe('failed')
    expect(failed.error?.code).toBe('ColumnNotFound')
    expect(failed.error?.message).toContain('\uFFFD') // the NUL, as stored
    expect((await h.failedEvent(failed.id))?.data.error).toMatchObject({ code: 'ColumnNotFound' })
    expect(await h.readable('contacts')).toBe(40)
    writeFileSync(join(h.files, 'contacts.csv'), goodCsv)
    expect(await h.refresh('contacts')).toMatchObject({ state: 'succeeded', rowCount: 40 })
  })

  it('reads an Excel "Unicode text" (UTF-16) export without being told its encoding', async () => {
    for (const bytes of [
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(goodCsv, 'utf16le')]),
      Buffer.from(goodCsv, 'utf16le'),
    ]) {
      writeFileSync(join(h.files, 'contacts.csv'), bytes)
      const done = await h.refresh('contacts')
      expect(done).toMatchObject({ state: 'succeeded', rowCount: 40, rejectedRowCount: 0 })
    }
    const bigEndian = Buffer.from(goodCsv, 'utf16le').swap16()
    writeFileSync(join(h.files, 'contacts.csv'), Buffer.concat([Buffer.from([0xfe, 0xff]), bigEndian]))
    const failed = await h.refresh('contacts')
    expect(failed.error?.message).toMatch(/UTF-16 big-endian/)
  })

  it('refuses a named pipe, a device and a directory at once instead of reading them for ever', async () => {
    const fifo = join(h.files, 'pipe.csv')
    execFileSync('mkfifo', [fifo])
    for (const path of [fifo, '/dev/zero', h.files]) {
      await h.configure({ contacts: { kind: 'csv', primaryKey: 'id', options: { path } } })
      const started = Date.now()
      const failed = await h.refresh('contacts')
      expect(failed.error?.code, path).toBe('SourceUnreadable')
      expect(Date.now() - started).toBeLessThan(10_000)
    }
    expect(await h.readable('contacts')).toBe(40)
    await h.configure({
      contacts: { kind: 'csv', primaryKey: 'id', options: { path: join(h.files, 'contacts.csv') } },
    })
  })
})

describe.skipIf(!storeModeAvailable('postgres'))('the refresh watchdog', () => {
  let store: TestStore
  let h: Awaited<ReturnType<typeof harness>>
  beforeAll(async () => {
    store = await createTestStore('pglite', { OPENINSIGHTS_JOB_STALL: '2' })
    h = await harness(store)
  }, 60_000)
  afterAll(() => store?.dispose())

  it('fails a refresh that stops moving (a query that never returns), and the source refreshes again', async () => {
    await h.configure({
      slow: {
        kind: 'postgres',
        primaryKey: 'id',
        options: { connectionString: POSTGRES_ADMIN_URL, query: 'select 1 as id, pg_sleep(600) as nap' },
      },
    })
    const started = Date.now()
    const failed = await h.refresh('slow')
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'Stalled' } })
    expect(failed.error?.message).toMatch(/made no progress for \d+ s/)
    expect(Date.now() - started).toBeLessThan(30_000)
    expect((await h.failedEvent(failed.id))?.data.error).toMatchObject({ code: 'Stalled' })
    await h.configure({
      slow: {
        kind: 'postgres',
        primaryKey: 'id',
        options: { connectionString: POSTGRES_ADMIN_URL, query: 'select 1 as id' },
      },
    })
    expect(await h.refresh('slow')).toMatchObject({ state: 'succeeded', rowCount: 1 })
  })
})

/** How a valid file of each kind is written; fuzzing mutates these bytes. */
const VALID: Record<'csv' | 'json' | 'ndjson', () => Buffer> = {
  csv: () => Buffer.from(goodCsv),
  json: () => Buffer.from(JSON.stringify(ROWS)),
  ndjson: () => Buffer.from(`${ROWS.map((r) => JSON.stringify(r)).join('\n')}\n`),
}

const mutation = fc.oneof(
  fc.record({
    op: fc.constant('bytes'),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  }),
  fc.record({ op: fc.constant('truncate'), at: fc.nat() }),
  fc.record({ op: fc.constant('nuls'), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant('quote'), at: fc.nat() }),
  fc.record({ op: fc.constantFrom('bom8', 'bom16', 'utf16', 'longLine', 'headerOnly', 'empty', 'random') }),
)
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never

function mutate(valid: Buffer, m: Mutation): Buffer {
  const at = 'at' in m ? m.at % (valid.length + 1) : 0
  switch (m.op) {
    case 'bytes':
      return Buffer.concat([valid.subarray(0, at), Buffer.from(m.bytes), valid.subarray(at + m.bytes.length)])
    case 'truncate':
      return valid.subarray(0, at)
    case 'nuls':
      return Buffer.concat([valid.subarray(0, at), Buffer.alloc(m.count), valid.subarray(at)])
    case 'quote':
      return Buffer.concat([valid.subarray(0, at), Buffer.from('"'), valid.subarray(at)])
    case 'bom8':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), valid])
    case 'bom16':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), valid])
    case 'utf16':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(valid.toString('utf8'), 'utf16le')])
    case 'longLine':
      return Buffer.concat([valid, Buffer.from(`${'x'.repeat(3 * 1024 * 1024)}\n`)])
    case 'headerOnly':
      return valid.subarray(0, valid.indexOf(10) + 1)
    case 'empty':
      return Buffer.alloc(0)
    default:
      return Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919) % 256))
  }
}

describe('source fuzzing: any bytes, for every file reader', () => {
  let store: TestStore
  let h: Awaited<ReturnType<typeof harness>>
  const kinds = ['csv', 'json', 'ndjson', 'parquet'] as const
  const fileOf = (kind: (typeof kinds)[number]) => join(h.files, `people.${kind}`)

  beforeAll(async () => {
    store = await createTestStore('pglite')
    h = await harness(store)
    for (const kind of kinds) {
      if (kind === 'parquet') {
        writeFileSync(join(h.files, 'seed.csv'), goodCsv)
        await duckRun(
          h.runtime.duck,
          sql`copy (select * from read_csv(${literal(join(h.files, 'seed.csv'))})) to ${literal(fileOf(kind))} (format parquet)`,
        )
      } else writeFileSync(fileOf(kind), VALID[kind]())
    }
    await h.configure(
      Object.fromEntries(
        kinds.map((kind) => [kind, { kind, primaryKey: 'id', options: { path: fileOf(kind) } }]),
      ),
    )
    for (const kind of kinds) expect((await h.refresh(kind)).state, kind).toBe('succeeded')
  }, 120_000)
  afterAll(() => store?.dispose())

  it.each(kinds)(
    '%s: every refresh ends succeeded or failed with a reason, and the last good version stays readable',
    async (kind) => {
      const { readFileSync } = await import('node:fs')
      const valid = kind === 'parquet' ? readFileSync(fileOf(kind)) : VALID[kind]()
      const seen = new Map<string, number>()
      await fc.assert(
        fc.asyncProperty(mutation, async (m) => {
          writeFileSync(fileOf(kind), mutate(valid, m))
          const before = await h.readable(kind)
          const started = Date.now()
          const done = await h.refresh(kind)
          expect(Date.now() - started).toBeLessThan(BOUND_MS)
          expect(['succeeded', 'failed']).toContain(done.state)
          seen.set(done.state, (seen.get(done.state) ?? 0) + 1)
          if (done.state === 'failed') {
            expect(done.error?.code).toMatch(/^[A-Z]\w+$/)
            expect(done.error?.message.length).toBeGreaterThan(10)
            expect(await h.readable(kind)).toBe(before)
            expect(await h.failedEvent(done.id)).toBeDefined()
          } else expect(await h.readable(kind)).toBe(done.rowCount)
        }),
        {
          numRuns: 24,
          seed: Number(process.env.FUZZ_SEED ?? Date.now() % 100000),
          // Every kind of damage the issue lists, each time; then random ones.
          examples: [
            [{ op: 'nuls', at: 0, count: 2 }],
            [{ op: 'nuls', at: 3, count: 1 }],
            [{ op: 'quote', at: 4 }],
            [{ op: 'truncate', at: 17 }],
            [{ op: 'bytes', at: 0, bytes: new Uint8Array([0xff, 0xfe, 0x00, 0x01]) }],
            ...(['bom8', 'bom16', 'utf16', 'longLine', 'headerOnly', 'empty', 'random'] as const).map(
              (op) => [{ op }],
            ),
          ] as [Mutation][],
        },
      )
      writeFileSync(fileOf(kind), valid)
      const good = await h.refresh(kind)
      expect(good.state, `the valid file again: ${good.error?.code} ${good.error?.message}`).toBe('succeeded')
    },
  )
})

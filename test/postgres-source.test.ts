import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDuckDb } from '../src/pipeline/index.js'
import type { DuckDb } from '../src/query/index.js'
import { dataSource, ingestInto, scratch } from './helpers/ingest-fixtures.js'
import { adminQuery, POSTGRES_ADMIN_URL } from './helpers/postgres.js'
import { storeModeAvailable } from './helpers/test-store.js'

const available = storeModeAvailable('postgres')
const schema = `oi_src_${process.pid}_${Date.now()}`
let duck: DuckDb
let dir: ReturnType<typeof scratch>

beforeAll(async () => {
  if (!available) return
  dir = scratch()
  duck = await openDuckDb({ tempDir: dir.path('tmp'), memoryLimit: '1GB' })
  await adminQuery(`create schema ${schema};
    create table ${schema}.customers (
      id bigint primary key, name text, vip boolean, balance numeric(10,2), score double precision,
      born date, seen timestamptz, tags jsonb, ref uuid, note varchar(20)
    );
    insert into ${schema}.customers
      select g, 'Customer ' || g, g % 2 = 0, g * 1.25, g / 3.0, date '1990-01-01' + g,
             timestamptz '2024-05-01 10:00:00+00' + g * interval '1 hour', jsonb_build_object('n', g),
             ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, null
      from generate_series(1, 25000) g;`)
})
afterAll(async () => {
  if (!available) return
  await adminQuery(`drop schema if exists ${schema} cascade`)
  duck.closeSync()
  dir.dispose()
})

describe.skipIf(!available)('PostgreSQL data source', () => {
  it('streams a table in batches with types mapped to DuckDB', async () => {
    const result = await ingestInto(
      duck,
      dataSource('postgres', {
        connectionString: POSTGRES_ADMIN_URL,
        table: `${schema}.customers`,
        batchSize: 1000,
      }),
      dir.dir,
    )
    expect(result.rowCount).toBe(25000)
    expect(Object.fromEntries(result.schema.map((c) => [c.name, c.type]))).toEqual({
      id: 'BIGINT',
      name: 'VARCHAR',
      vip: 'BOOLEAN',
      balance: 'DECIMAL(10,2)',
      score: 'DOUBLE',
      born: 'DATE',
      seen: 'TIMESTAMP WITH TIME ZONE',
      tags: 'JSON',
      ref: 'UUID',
      note: 'VARCHAR',
    })
    const first = result.rows[0] as Record<string, unknown>
    expect(first.id).toBe(1n)
    expect(first.name).toBe('Customer 1')
    expect(first.vip).toBe(false)
    expect((first.born as Date).toISOString().slice(0, 10)).toBe('1990-01-02')
    expect(String(first.tags)).toBe('{"n": 1}')
  })

  it('reads a query', async () => {
    const result = await ingestInto(
      duck,
      dataSource('postgres', {
        connectionString: POSTGRES_ADMIN_URL,
        query: `select id, name from ${schema}.customers where vip order by id limit 10`,
      }),
      dir.dir,
    )
    expect(result.rows.map((r) => Number(r.id))).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20])
  })

  it('fails clearly on a bad query, an unknown table and an unreachable server', async () => {
    const bad = ingestInto(
      duck,
      dataSource('postgres', { connectionString: POSTGRES_ADMIN_URL, query: 'select nope from' }),
      dir.dir,
    )
    await expect(bad).rejects.toMatchObject({
      code: 'SourceQueryFailed',
      message: expect.stringMatching(/syntax error.*SQLSTATE 42601/),
    })
    const missing = ingestInto(
      duck,
      dataSource('postgres', { connectionString: POSTGRES_ADMIN_URL, table: `${schema}.ghosts` }),
      dir.dir,
    )
    await expect(missing).rejects.toMatchObject({
      code: 'SourceQueryFailed',
      message: expect.stringContaining('does not exist'),
    })
    const down = ingestInto(
      duck,
      dataSource('postgres', {
        connectionString: 'postgres://u:pw@127.0.0.1:1/x',
        table: 't',
        connectTimeoutSeconds: 2,
      }),
      dir.dir,
    )
    await expect(down).rejects.toMatchObject({ code: 'SourceUnreachable', retryable: true })
  })
})

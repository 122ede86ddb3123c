import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ident, join as joinSql, literal, sql } from '../../src/query/index.js'
import type { Runtime } from '../../src/runtime/index.js'
import { createApiKey } from '../../src/server/auth/api-key-service.js'
import { type ApiApp, buildApp } from '../../src/server/index.js'
import { publishEntityVersion } from '../../src/store/entities.js'
import { upsertInstance } from '../../src/store/instances.js'
import type { ColumnSchema } from '../../src/store/tables.js'
import { duckRun } from './duck.js'
import { createTestStore, type TestStore } from './test-store.js'

/** An API server on an embedded store with instance `acme` and a read key. */
export async function odataServer(
  name: string,
): Promise<{ store: TestStore; runtime: Runtime; app: ApiApp; key: string }> {
  const store = await createTestStore('pglite')
  const runtime = await store.open({ role: 'api' })
  const app = await buildApp(runtime)
  const key = (await createApiKey(runtime.db, { name, scopes: ['read'], rateLimit: 0 })).key
  await upsertInstance(runtime.db, { id: 'acme', name: 'Acme' })
  return { store, runtime, app, key }
}

/** Publishes rows as version v1 of an entity of `acme`, with the columns typed as given. */
export async function publishRows(
  store: TestStore,
  runtime: Runtime,
  entity: string,
  columns: ColumnSchema[],
  rows: Record<string, unknown>[],
  keyColumn: string | null,
): Promise<void> {
  const dir = join(store.settings.dataDir, 'acme', 'entities', entity, 'v1')
  mkdirSync(dir, { recursive: true })
  const ndjson = join(store.settings.home, `${entity}.ndjson`)
  writeFileSync(ndjson, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`)
  const types = joinSql(columns.map((c) => sql`${ident(c.name)}: ${literal(c.type)}`))
  await duckRun(
    runtime.duck,
    sql`copy (select * from read_json(${literal(ndjson)}, columns = {${types}})) to ${literal(join(dir, 'part-00000.parquet'))} (format parquet)`,
  )
  await publishEntityVersion(
    runtime.db,
    {
      id: `${entity}-v1`,
      instanceId: 'acme',
      entityName: entity,
      refreshId: 'v1',
      directory: dir,
      rowCount: rows.length,
      schema: columns,
      partitions: [{ name: 'part-00000', file: 'part-00000.parquet', rowCount: rows.length, sizeBytes: 1 }],
      keyColumn,
    },
    'test',
  )
}

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyConfig, configSchema } from '../../src/config/index.js'
import { requestRefreshes } from '../../src/pipeline/index.js'
import type { Runtime } from '../../src/runtime/index.js'
import { createApiKey } from '../../src/server/auth/api-key-service.js'
import { type ApiApp, buildApp } from '../../src/server/index.js'
import { createTestStore, type TestStore } from '../helpers/test-store.js'
import { waitForRefreshEnd } from '../helpers/wait.js'

describe('Create item, Update item, partitions and status reports', () => {
  let store: TestStore
  let runtime: Runtime
  let app: ApiApp
  let admin: string
  let writer: string
  let reader: string

  const api = async (
    key: string,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH',
    url: string,
    payload?: unknown,
  ) => {
    const response = await app.inject({
      method,
      url,
      headers: { 'x-api-key': key },
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    const json = response.headers['content-type']?.toString().includes('json') ? response.json() : undefined
    return { status: response.statusCode, headers: response.headers, json, raw: response.rawPayload }
  }

  beforeAll(async () => {
    store = await createTestStore('pglite')
    runtime = await store.open()
    app = await buildApp(runtime)
    admin = (await createApiKey(runtime.db, { name: 'admin', scopes: ['admin'], rateLimit: 0 })).key
    writer = (await createApiKey(runtime.db, { name: 'writer', scopes: ['read', 'write'], rateLimit: 0 })).key
    reader = (await createApiKey(runtime.db, { name: 'reader', scopes: ['read'], rateLimit: 0 })).key
    const files = join(store.settings.home, 'files')
    mkdirSync(files, { recursive: true })
    writeFileSync(
      join(files, 'contacts.csv'),
      `id,city\n${Array.from({ length: 50 }, (_, i) => `${i + 1},${i % 2 ? 'Aarhus' : 'Oslo'}`).join('\n')}\n`,
    )
    await applyConfig(
      runtime,
      configSchema.parse({
        instance: { id: 'acme' },
        dataSources: {
          contacts: { kind: 'csv', primaryKey: 'id', options: { path: join(files, 'contacts.csv') } },
        },
      }),
    )
    const [queued] = await requestRefreshes(runtime.db, runtime.jobs, 'acme', ['contacts'])
    await waitForRefreshEnd(runtime, 'acme', queued!.refresh.id)
  })
  afterAll(async () => {
    await app?.close()
    await store?.dispose()
  })

  it('creates and updates items of a writable entity with schema validation', async () => {
    const definition = {
      keyColumn: 'noteId',
      columns: [
        { name: 'noteId', type: 'VARCHAR' },
        { name: 'customerId', type: 'BIGINT' },
        { name: 'text', type: 'VARCHAR' },
        { name: 'important', type: 'BOOLEAN' },
        { name: 'dueOn', type: 'DATE' },
      ],
    }
    const defined = await api(admin, 'PUT', '/api/v1/instances/acme/entities/Notes', definition)
    expect(defined.status).toBe(201)
    expect(defined.json).toMatchObject({ name: 'Notes', writable: true, rowCount: 0, keyColumn: 'noteId' })
    expect((await api(admin, 'PUT', '/api/v1/instances/acme/entities/Notes', definition)).status).toBe(200)
    expect((await api(writer, 'PUT', '/api/v1/instances/acme/entities/Notes', definition)).status).toBe(403)

    const created = await api(writer, 'POST', '/api/v1/instances/acme/data/Notes', {
      noteId: 'n1',
      customerId: 7,
      text: "Call back; it's urgent",
      important: true,
      dueOn: '2026-12-01',
    })
    expect(created.status).toBe(201)
    expect(created.headers.location).toMatch(/\/api\/v1\/instances\/acme\/data\/Notes\/n1$/)
    const generated = await api(writer, 'POST', '/api/v1/instances/acme/data/Notes', { text: 'no key given' })
    expect(generated.json.noteId).toMatch(/^[0-9A-Z]{26}$/)
    expect((await api(writer, 'POST', '/api/v1/instances/acme/data/Notes', { noteId: 'n1' })).status).toBe(
      409,
    )
    const invalid = await api(writer, 'POST', '/api/v1/instances/acme/data/Notes', {
      noteId: 'n2',
      customerId: 'seven',
    })
    expect(invalid.status).toBe(400)
    expect(invalid.json.error.target).toBe('customerId')
    const unknown = await api(writer, 'POST', '/api/v1/instances/acme/data/Notes', {
      noteId: 'n2',
      colour: 'red',
    })
    expect(unknown.json.error).toMatchObject({ target: 'colour' })
    expect(unknown.json.error.message).toContain('not a column of Notes')
    expect((await api(reader, 'POST', '/api/v1/instances/acme/data/Notes', { noteId: 'n3' })).status).toBe(
      403,
    )

    const updated = await api(writer, 'PATCH', '/api/v1/instances/acme/data/Notes/n1', {
      important: false,
      text: null,
    })
    expect(updated.json).toEqual({
      noteId: 'n1',
      customerId: 7,
      text: null,
      important: false,
      dueOn: '2026-12-01',
    })
    expect((await api(writer, 'PATCH', '/api/v1/instances/acme/data/Notes/zz', { text: 'x' })).status).toBe(
      404,
    )
    expect((await api(reader, 'GET', "/api/v1/instances/acme/data/Notes('n1')")).json).toEqual(updated.json)
    const listed = await api(
      reader,
      'GET',
      '/api/v1/instances/acme/data/Notes?$filter=customerId eq 7&$count=true',
    )
    expect(listed.json['@odata.count']).toBe(1)
    // Entities from data sources are read-only.
    const readOnly = await api(writer, 'POST', '/api/v1/instances/acme/data/contacts', { id: 99 })
    expect(readOnly.status).toBe(405)
    expect(readOnly.json.error.code).toBe('EntityReadOnly')
    // Concurrent writes all land (writes to one entity take turns).
    const many = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        api(writer, 'POST', '/api/v1/instances/acme/data/Notes', { noteId: `c${i}` }),
      ),
    )
    expect(many.map((r) => r.status)).toEqual(Array(8).fill(201))
    const all = await api(reader, 'GET', '/api/v1/instances/acme/data/Notes?$count=true&$top=0')
    expect(all.json['@odata.count']).toBe(10)
  })

  it('lists partitions and pages or streams their data', async () => {
    const partitions = await api(reader, 'GET', '/api/v1/instances/acme/entities/contacts/partitions')
    expect(partitions.json.value).toHaveLength(1)
    const [partition] = partitions.json.value
    expect(partition).toMatchObject({ name: 'part-00000', rowCount: 50 })
    const path = new URL(partition.dataUrl).pathname
    const page = await api(reader, 'GET', `${path}?$top=20&$skip=10`)
    expect(page.json.value).toHaveLength(20)
    expect(page.json.value[0]).toEqual({ id: 11, city: 'Oslo' })
    expect(page.json['@odata.nextLink']).toBeUndefined()
    const first = await api(reader, 'GET', `${path}?$select=id`)
    expect(first.json.value).toHaveLength(50)
    expect(Object.keys(first.json.value[0])).toEqual(['id'])
    const parquet = await api(reader, 'GET', `${path}?format=parquet`)
    expect(parquet.status).toBe(200)
    expect(parquet.headers['content-type']).toBe('application/vnd.apache.parquet')
    expect(parquet.raw.subarray(0, 4).toString()).toBe('PAR1')
    expect(parquet.raw.length).toBe(partition.sizeBytes)
    expect(
      (await api(reader, 'GET', '/api/v1/instances/acme/entities/contacts/partitions/part-00009/data'))
        .status,
    ).toBe(404)
  })

  it('stores status reports with their flow run and lists them', async () => {
    const sent = await api(writer, 'POST', '/api/v1/instances/acme/statusreports', {
      runId: '08585-run-1',
      flowName: 'Notify sales',
      status: 'Succeeded',
      message: 'posted to Teams',
      details: { channel: 'sales', members: 12 },
    })
    expect(sent.status).toBe(201)
    await api(writer, 'POST', '/api/v1/instances/acme/statusreports', {
      runId: '08585-run-2',
      status: 'Failed',
      message: 'SMTP down',
    })
    expect(
      (await api(writer, 'POST', '/api/v1/instances/acme/statusreports', { runId: 'x', status: 'Great' }))
        .status,
    ).toBe(400)
    const one = await api(reader, 'GET', '/api/v1/instances/acme/statusreports?runId=08585-run-1')
    expect(one.json.value).toEqual([
      expect.objectContaining({ flowName: 'Notify sales', details: { channel: 'sales', members: 12 } }),
    ])
    const all = await api(reader, 'GET', '/api/v1/instances/acme/statusreports')
    expect(all.json.value.map((r: { runId: string }) => r.runId)).toEqual(['08585-run-2', '08585-run-1'])
  })
})

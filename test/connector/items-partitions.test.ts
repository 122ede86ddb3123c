import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import * as ajvFormats from 'ajv-formats'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyConfig, configSchema } from '../../src/config/index.js'
import { requestRefreshes } from '../../src/pipeline/index.js'
import type { Runtime } from '../../src/runtime/index.js'
import { createApiKey } from '../../src/server/auth/api-key-service.js'
import { type ApiApp, buildApp } from '../../src/server/index.js'
import { createTestStore, type TestStore } from '../helpers/test-store.js'
import { waitForRefreshEnd } from '../helpers/wait.js'

const addFormats = ((ajvFormats as { default?: unknown }).default ?? ajvFormats) as unknown as (
  ajv: Ajv,
) => Ajv

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
    // The key named, as generated OData clients write it; another property named is refused.
    expect((await api(reader, 'GET', "/api/v1/instances/acme/data/Notes(noteId='n1')")).json).toEqual(
      updated.json,
    )
    const wrongKey = await api(reader, 'GET', "/api/v1/instances/acme/data/Notes(text='n1')")
    expect(wrongKey.status).toBe(400)
    expect(wrongKey.json.error.message).toBe('text is not the key of Notes; its key is noteId')
    // A text key that merely holds an equals sign is still a key.
    expect((await api(reader, 'GET', "/api/v1/instances/acme/data/Notes('a=b')")).status).toBe(404)
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

  it("describes a chosen entity's columns as the fields of Create item, Update item and Get item(s)", async () => {
    const names = async (query: string) =>
      ((await api(reader, 'GET', `/api/v1/instances/acme/entities${query}`)).json.value as { name: string }[])
        .map((e) => e.name)
        .sort()
    expect(await names('?writable=true')).toEqual(['Notes'])
    expect(await names('?writable=false')).toEqual(['contacts'])
    expect(await names('')).toEqual(['Notes', 'contacts'])
    type FieldSchema = { type?: string; format?: string; 'x-ms-summary': string; 'x-nullable'?: boolean }
    const fields = async (entity: string, use: string) => {
      const response = await api(reader, 'GET', `/api/v1/instances/acme/entities/${entity}/schema?for=${use}`)
      return { status: response.status, json: response.json }
    }
    const create = (await fields('Notes', 'create')).json.schema as {
      properties: Record<string, FieldSchema>
      required?: string[]
    }
    expect(create.properties).toMatchObject({
      noteId: { type: 'string', 'x-ms-summary': 'noteId' },
      customerId: { type: 'integer', 'x-ms-summary': 'customerId' },
      text: { type: 'string' },
      important: { type: 'boolean' },
      dueOn: { type: 'string', format: 'date' },
    })
    // A text key is generated when left empty, so nothing is required.
    expect(create.required).toBeUndefined()
    const update = (await fields('Notes', 'update')).json.schema as {
      properties: Record<string, FieldSchema>
    }
    expect(Object.keys(update.properties).sort()).toEqual(['customerId', 'dueOn', 'important', 'text'])
    const read = (await fields('Notes', 'read')).json.schema as { properties: Record<string, FieldSchema> }
    expect(Object.keys(read.properties)).toEqual(['noteId', 'customerId', 'text', 'important', 'dueOn'])
    expect(read.properties.text?.['x-nullable']).toBe(true)
    // Every item Get items answers fits the fields it promised (null where x-nullable).
    const ajv = new Ajv({ strict: false })
    addFormats(ajv)
    const nullable = (schema: { properties: Record<string, FieldSchema> }) => ({
      type: 'object',
      properties: Object.fromEntries(
        Object.entries(schema.properties).map(([k, v]) => [
          k,
          v['x-nullable'] ? { anyOf: [{ type: 'null' }, { type: v.type, format: v.format }] } : v,
        ]),
      ),
      additionalProperties: false,
    })
    const fitsRead = ajv.compile(nullable(read))
    const items = (await api(reader, 'GET', '/api/v1/instances/acme/data/Notes')).json.value as unknown[]
    expect(items.length).toBeGreaterThan(5)
    for (const item of items) expect(fitsRead(item), JSON.stringify([item, fitsRead.errors])).toBe(true)
    const contacts = (await fields('contacts', 'read')).json.schema as {
      properties: Record<string, FieldSchema>
    }
    expect(contacts.properties).toMatchObject({ id: { type: 'integer' }, city: { type: 'string' } })
    const fitsContacts = ajv.compile(nullable(contacts))
    for (const item of (await api(reader, 'GET', '/api/v1/instances/acme/data/contacts')).json.value)
      expect(fitsContacts(item)).toBe(true)
    // Items of a read-only entity have no fields to write; an unknown use or entity is refused.
    expect((await fields('contacts', 'create')).json.error.code).toBe('EntityReadOnly')
    expect((await fields('Notes', 'delete')).status).toBe(400)
    expect((await fields('Nothing', 'read')).status).toBe(404)
  })

  it('accepts any item made of the fields it describes for create, and returns it as written', async () => {
    const create = (await api(reader, 'GET', '/api/v1/instances/acme/entities/Notes/schema?for=create')).json
      .schema as { properties: Record<string, { type: string; format?: string }> }
    const arbitraryOf = (field: { type: string; format?: string }): fc.Arbitrary<unknown> =>
      field.type === 'integer'
        ? fc.integer({ min: -1e12, max: 1e12 })
        : field.type === 'boolean'
          ? fc.boolean()
          : field.format === 'date'
            ? fc
                .date({ min: new Date('1900-01-01'), max: new Date('2999-12-31'), noInvalidDate: true })
                .map((d) => d.toISOString().slice(0, 10))
            : fc.string({ maxLength: 40 })
    const item = fc.record(
      Object.fromEntries(
        Object.entries(create.properties)
          .filter(([name]) => name !== 'noteId')
          .map(([name, field]) => [name, fc.option(arbitraryOf(field), { nil: null })]),
      ),
      { requiredKeys: [] },
    )
    let n = 0
    await fc.assert(
      fc.asyncProperty(item, async (fields) => {
        const written = { noteId: `p${n++}`, ...fields }
        const created = await api(writer, 'POST', '/api/v1/instances/acme/data/Notes', written)
        expect(created.status, JSON.stringify(created.json)).toBe(201)
        const read = await api(reader, 'GET', `/api/v1/instances/acme/data/Notes/${written.noteId}`)
        for (const [name, value] of Object.entries(written)) expect(read.json[name]).toEqual(value)
      }),
      { numRuns: 25 },
    )
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

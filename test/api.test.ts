import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import type { Runtime } from '../src/runtime/index.js'
import { createApiKey } from '../src/server/auth/api-key-service.js'
import { type ApiApp, buildApp } from '../src/server/index.js'
import { createTestStore, type TestStore } from './helpers/test-store.js'
import { waitFor } from './helpers/wait.js'

let store: TestStore
let runtime: Runtime
let app: ApiApp
let base: string
let files: string
let adminKey: string

const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(base + path, {
    method,
    headers: {
      'x-api-key': adminKey,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  })
  const text = await response.text()
  const json = response.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : undefined
  return { status: response.status, headers: response.headers, text, json }
}

const config = () => ({
  instance: { id: 'acme', name: 'Acme Corp' },
  dataSources: {
    contacts: { kind: 'csv', primaryKey: 'id', options: { path: join(files, 'contacts.csv') } },
    members: { kind: 'ndjson', primaryKey: 'member_id', options: { path: join(files, 'members.ndjson') } },
  },
})

beforeAll(async () => {
  store = await createTestStore('pglite')
  runtime = await store.open()
  app = await buildApp(runtime)
  adminKey = (await createApiKey(runtime.db, { name: 'test admin', scopes: ['admin'], rateLimit: 0 })).key
  base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '')
  files = join(store.settings.home, 'files')
  mkdirSync(files, { recursive: true })
  writeFileSync(join(files, 'contacts.csv'), 'id,name\n1,Ann\n2,Bo\n3,Cy\n')
  writeFileSync(join(files, 'members.ndjson'), '{"member_id":"m1","tier":"gold"}\n')
})
afterAll(async () => {
  await app?.close()
  await store?.dispose()
})

describe('HTTP API', () => {
  it('answers unknown routes and unknown objects with a JSON error naming the target', async () => {
    const route = await api('GET', '/api/v1/nope')
    expect(route.status).toBe(404)
    expect(route.json.error).toMatchObject({ code: 'NotFound', target: '/api/v1/nope' })
    const instance = await api('GET', '/api/v1/instances/ghost')
    expect(instance.status).toBe(404)
    expect(instance.json).toEqual({
      error: { code: 'NotFound', message: "Instance 'ghost' does not exist", target: 'ghost' },
    })
  })

  it('validates input at the edge: bad params, query and body are 400 with the path', async () => {
    const badId = await api('GET', '/api/v1/instances/Not_Valid!')
    expect(badId.status).toBe(400)
    expect(badId.json.error).toMatchObject({ code: 'ValidationFailed', target: 'params.instanceId' })
    const badTop = await api('GET', '/api/v1/instances/acme/events?$top=5000')
    expect(badTop.status).toBe(400)
    expect(badTop.json.error.target).toBe('querystring.$top')
    const badType = await api('GET', '/api/v1/instances/acme/events?type=nope.event')
    expect(badType.status).toBe(400)
    const badBody = await api('PUT', '/api/v1/instances/acme/config', {
      instance: { id: 'acme' },
      dataSources: { contacts: { kind: 'xlsx', primaryKey: 'id', options: {} } },
    })
    expect(badBody.status).toBe(400)
    expect(badBody.json.error.target).toBe('body.dataSources.contacts.kind')
    const notJson = await api('PUT', '/api/v1/instances/acme/config', '{"instance":', {
      'content-type': 'application/json',
    })
    expect(notJson.status).toBe(400)
    expect(notJson.json.error.code).toBeTruthy()
  })

  it('applies a configuration, with a dry run first, and exports it back as YAML that applies unchanged', async () => {
    const dry = await api('PUT', '/api/v1/instances/acme/config?dryRun=true', config())
    expect(dry.status).toBe(200)
    expect(dry.json.value.filter((c: { kind: string }) => c.kind === 'dataSource')).toEqual([
      { kind: 'dataSource', name: 'contacts', action: 'created' },
      { kind: 'dataSource', name: 'members', action: 'created' },
    ])
    expect((await api('GET', '/api/v1/instances/acme')).status).toBe(404)

    expect((await api('PUT', '/api/v1/instances/acme/config', config())).status).toBe(200)
    const exported = await api('GET', '/api/v1/instances/acme/config', undefined, {
      accept: 'application/yaml',
    })
    expect(exported.headers.get('content-type')).toContain('yaml')
    const document = parseYaml(exported.text)
    expect(document.instance).toEqual({ id: 'acme', name: 'Acme Corp' })
    const again = await api('PUT', '/api/v1/instances/acme/config', document)
    expect(
      again.json.value
        .filter((c: { kind: string }) => c.kind === 'dataSource')
        .map((c: { action: string }) => c.action),
    ).toEqual(['unchanged', 'unchanged'])
    const mismatch = await api('PUT', '/api/v1/instances/other/config', document)
    expect(mismatch.status).toBe(400)
    expect(mismatch.json.error).toMatchObject({ code: 'InstanceMismatch', target: 'instance.id' })
  })

  it('refreshes, reports progress and history, and lists events with cursor paging', async () => {
    const queued = await api('POST', '/api/v1/instances/acme/refreshes', {})
    expect(queued.status).toBe(202)
    expect(queued.json.value.map((r: { dataSourceName: string }) => r.dataSourceName).sort()).toEqual([
      'contacts',
      'members',
    ])
    const again = await api('POST', '/api/v1/instances/acme/datasources/contacts/refresh')
    expect(again.status).toBe(202)
    expect(again.headers.get('location')).toMatch(/^\/api\/v1\/instances\/acme\/refreshes\//)

    await waitFor(async () => {
      const { json } = await api('GET', '/api/v1/instances/acme/refreshes?state=succeeded')
      const sources = new Set(json.value.map((r: { dataSourceName: string }) => r.dataSourceName))
      return sources.size === 2 ? true : undefined
    }, 'both refreshes to succeed')
    await waitFor(async () => {
      const { json } = await api('GET', '/api/v1/instances/acme/refreshes')
      return json.value.every((r: { state: string }) => r.state === 'succeeded') ? true : undefined
    }, 'all refreshes to end')

    const all = await api('GET', '/api/v1/instances/acme/events')
    const count = all.json.value.length
    expect(count).toBeGreaterThanOrEqual(2)
    const firstPage = await api(
      'GET',
      '/api/v1/instances/acme/events?$top=1&type=datasource.refresh.succeeded',
    )
    expect(firstPage.json.value).toHaveLength(1)
    expect(firstPage.json['@odata.nextLink']).toBe(
      `/api/v1/instances/acme/events?type=datasource.refresh.succeeded&after=${firstPage.json.value[0].id}&%24top=1`,
    )
    const second = await api('GET', firstPage.json['@odata.nextLink'])
    expect(second.json.value[0].id > firstPage.json.value[0].id).toBe(true)
    const empty = await api('GET', `/api/v1/instances/acme/events?after=${all.json.value.at(-1).id}`)
    expect(empty.json).toEqual({ value: [] })
    // Newest first, paging back in time.
    const newest = await api('GET', '/api/v1/instances/acme/events?order=desc&$top=1')
    expect(newest.json.value[0].id).toBe(all.json.value.at(-1).id)
    const older = await api('GET', newest.json['@odata.nextLink'])
    expect(older.json.value[0].id).toBe(all.json.value.at(-2).id)

    const history = await api('GET', '/api/v1/instances/acme/refreshes?dataSource=contacts&$top=1')
    expect(history.json.value[0]).toMatchObject({
      dataSourceName: 'contacts',
      state: 'succeeded',
      rowCount: 3,
    })
    const one = await api('GET', `/api/v1/instances/acme/refreshes/${history.json.value[0].id}`)
    expect(one.json.progress).toEqual({ phase: 'done', fraction: 1 })

    const instance = await api('GET', '/api/v1/instances/acme')
    expect(instance.json).toMatchObject({ id: 'acme', dataSourceCount: 2, entityCount: 2 })
  })

  it('lists entities with schema and row counts, and pages their rows', async () => {
    const entities = await api('GET', '/api/v1/instances/acme/entities')
    const contacts = entities.json.value.find((e: { name: string }) => e.name === 'contacts')
    expect(contacts).toMatchObject({
      rowCount: 3,
      schema: [
        { name: 'id', type: 'BIGINT' },
        { name: 'name', type: 'VARCHAR' },
      ],
      partitionCount: 1,
    })
    const page = await api('GET', '/api/v1/instances/acme/data/contacts?$top=2')
    expect(page.json).toEqual({
      '@odata.context': `${base}/api/v1/instances/acme/data/$metadata#contacts`,
      value: [
        { id: 1, name: 'Ann' },
        { id: 2, name: 'Bo' },
      ],
    })
    const last = await api('GET', '/api/v1/instances/acme/data/contacts?$skip=2')
    expect(last.json.value).toEqual([{ id: 3, name: 'Cy' }])
    expect(last.json['@odata.nextLink']).toBeUndefined()
    expect((await api('GET', '/api/v1/instances/acme/data/contacts/2')).json).toEqual({ id: 2, name: 'Bo' })
    expect((await api('GET', '/api/v1/instances/acme/data/contacts(3)')).json).toEqual({ id: 3, name: 'Cy' })
    expect((await api('GET', '/api/v1/instances/acme/data/contacts/9')).status).toBe(404)
  })

  it('serves a rejects file and refuses one that does not exist', async () => {
    writeFileSync(join(files, 'contacts.csv'), 'id,name\n1,Ann\n2,Bo\n2,Again\n')
    writeFileSync(join(files, 'members.ndjson'), '{"member_id":"m1"}\n')
    const { json } = await api('POST', '/api/v1/instances/acme/datasources/contacts/refresh')
    const done = await waitFor(async () => {
      const r = await api('GET', `/api/v1/instances/acme/refreshes/${json.id}`)
      return r.json.state === 'running' || r.json.state === 'queued' ? undefined : r.json
    }, 'the refresh')
    // 1 of 3 rejected is over 5%: the refresh failed, but its rejects are there to read.
    expect(done).toMatchObject({ state: 'failed', rejectedRowCount: 1, rowCount: 2 })
    const rejects = await api('GET', `/api/v1/instances/acme/refreshes/${json.id}/rejects`)
    expect(rejects.headers.get('content-type')).toContain('text/csv')
    expect(rejects.text).toContain('DUPLICATE KEY: record 3 repeats key 2 first seen at record 2')
    const ok = await api('GET', '/api/v1/instances/acme/refreshes?state=succeeded&dataSource=contacts&$top=1')
    const none = await api('GET', `/api/v1/instances/acme/refreshes/${ok.json.value[0].id}/rejects`)
    expect(none.status).toBe(404)
    expect(none.json.error.code).toBe('NoRejects')
  })

  it('publishes OpenAPI docs and the configuration JSON Schema', async () => {
    const docs = await api('GET', '/docs/json')
    expect(docs.status).toBe(200)
    expect(Object.keys(docs.json.paths)).toContain('/api/v1/instances/{instanceId}/events')
    expect((await api('GET', '/docs')).status).toBeLessThan(400)
    const schema = await api('GET', '/api/v1/schema/openinsights.json')
    expect(schema.json.properties.dataSources).toBeTruthy()
  })
})

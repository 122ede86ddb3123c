import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDuckDb, literal, SqlSession, sql } from '../src/query/index.js'
import { freshHome, runCli, type ServerProcess, startServer } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'

let home: string
let env: Record<string, string>
let server: ServerProcess | undefined

beforeAll(async () => {
  home = freshHome()
  env = { OPENINSIGHTS_HOME: home, OPENINSIGHTS_REFRESH_RETRIES: '0' }
  const files = join(home, 'files')
  mkdirSync(files, { recursive: true })
  writeFileSync(join(files, 'contacts.csv'), 'id,name\n1,Ann\n2,Bo\n')
  writeFileSync(
    join(files, 'openinsights.yaml'),
    'instance: { id: acme }\ndataSources:\n  contacts: { kind: csv, primaryKey: id, options: { path: contacts.csv } }\n',
  )
  expect((await runCli(['apply', '-f', join(files, 'openinsights.yaml')], env)).code).toBe(0)
  expect((await runCli(['refresh', '--wait'], env)).code).toBe(0)
  // Now make the next refresh slow enough to be killed in the middle of writing.
  const duck = await createDuckDb()
  const session = await SqlSession.open(duck)
  await session.run(
    sql`copy (select range + 1 as id, repeat(md5(range::varchar), 8) as name from range(4000000)) to ${literal(join(files, 'contacts.csv'))} (header)`,
  )
  session.close()
  duck.closeSync()
})
afterAll(async () => server?.stop())

describe('a process killed with SIGKILL mid-refresh', () => {
  it('leaves no half-published entity, and on restart the refresh is failed with an event', async () => {
    server = await startServer([], env)
    const before = await server.fetchJson(`/api/v1/instances/acme/entities`)
    const previousVersion = before.value[0].versionId
    expect(before.value[0].rowCount).toBe(2)

    const refresh = await server.fetchJson(`/api/v1/instances/acme/datasources/contacts/refresh`, {
      method: 'POST',
    })
    const versionDir = join(home, 'data', 'acme', 'entities', 'contacts', refresh.id)
    // Kill it once it has started writing the new version's partitions.
    await waitFor(
      async () => (existsSync(versionDir) && readdirSync(versionDir).length > 0 ? true : undefined),
      'partitions to appear',
      60_000,
    )
    const running = await server.fetchJson(`/api/v1/instances/acme/refreshes/${refresh.id}`)
    expect(running.state).toBe('running')
    server.child.kill('SIGKILL')
    await server.stop()

    // Files of the unpublished version are on disk, but nothing points at them.
    expect(existsSync(versionDir)).toBe(true)

    server = await startServer([], env)
    await server.waitForOutput(/was interrupted; marked failed/)
    const after = await server.fetchJson(`/api/v1/instances/acme/refreshes/${refresh.id}`)
    expect(after).toMatchObject({ state: 'failed', error: { code: 'RefreshInterrupted' } })
    expect(after.error.message).toContain('the previously published version of contacts stays current')
    expect(existsSync(versionDir)).toBe(false)

    const entities = await server.fetchJson(`/api/v1/instances/acme/entities`)
    expect(entities.value[0]).toMatchObject({ versionId: previousVersion, rowCount: 2 })
    const rows = await server.fetchJson(`/api/v1/instances/acme/data/contacts`)
    expect(rows.value).toEqual([
      { id: 1, name: 'Ann' },
      { id: 2, name: 'Bo' },
    ])
    const events = await server.fetchJson(`/api/v1/instances/acme/events?type=datasource.refresh.failed`)
    expect(
      events.value.map((e: { data: { refreshId: string; error: { code: string } } }) => [
        e.data.refreshId,
        e.data.error.code,
      ]),
    ).toEqual([[refresh.id, 'RefreshInterrupted']])

    // The data source is usable again: a new refresh is accepted and runs to the end.
    const next = await server.fetchJson(`/api/v1/instances/acme/datasources/contacts/refresh`, {
      method: 'POST',
    })
    expect(next.id).not.toBe(refresh.id)
    const done = await waitFor(
      async () => {
        const r = await server!.fetchJson(`/api/v1/instances/acme/refreshes/${next.id}`)
        return r.state === 'queued' || r.state === 'running' ? undefined : r
      },
      'the new refresh',
      90_000,
    )
    expect(done).toMatchObject({ state: 'succeeded', rowCount: 4_000_000 })
  })
})

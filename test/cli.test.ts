import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshHome, runCli, type ServerProcess, startServer } from './helpers/processes.js'

let home: string
let env: Record<string, string>
let files: string

const goodConfig = (dir: string) => `instance:
  id: shop
  name: The Shop
dataSources:
  contacts:
    kind: csv
    primaryKey: id
    options:
      path: contacts.csv
  members:
    kind: ndjson
    primaryKey: member_id
    options:
      path: ${join(dir, 'members.ndjson')}
`

beforeAll(() => {
  home = freshHome()
  env = { OPENINSIGHTS_HOME: home, OPENINSIGHTS_REFRESH_RETRIES: '0' }
  files = join(home, 'config')
  mkdirSync(files, { recursive: true })
  writeFileSync(join(files, 'contacts.csv'), 'id,name\n1,Ann\n2,Bo\n')
  writeFileSync(join(files, 'members.ndjson'), '{"member_id":"m1","tier":"gold"}\n')
  writeFileSync(join(files, 'openinsights.yaml'), goodConfig(files))
})

describe('openinsights CLI (no server running)', () => {
  it('rejects an invalid file with one line per problem naming file, line, path and fix', async () => {
    const bad = join(files, 'bad.yaml')
    writeFileSync(
      bad,
      goodConfig(files).replace('kind: csv', 'kind: xlsx').replace('primaryKey: member_id', 'primaryKey: 7'),
    )
    const result = await runCli(['apply', '-f', bad], env)
    expect(result.code).not.toBe(0)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n')).toEqual([
      `${bad}:6:11 dataSources.contacts.kind: got "xlsx"; fix: set kind to one of "csv", "json", "ndjson", "parquet", "postgres"`,
      `${bad}:12:17 dataSources.members.primaryKey: expected string, got number 7; fix: set it to a string`,
    ])
  })

  it('names a file it cannot read', async () => {
    const result = await runCli(['apply', '-f', join(files, 'nope.yaml')], env)
    expect(result.code).not.toBe(0)
    expect(result.stderr.trim()).toMatch(/nope\.yaml: cannot read it \(ENOENT\); check the path/)
  })

  it('applies a file, exports it, and re-applies the export without changes', async () => {
    const applied = await runCli(['apply', '-f', join(files, 'openinsights.yaml')], env)
    expect(applied.code).toBe(0)
    expect(applied.stdout).toContain('created: data source contacts')
    expect(applied.stdout).toContain('created: data source members')
    const exported = await runCli(['config', 'export', '--out', join(files, 'exported.yaml')], env)
    expect(exported.code).toBe(0)
    const again = await runCli(['apply', '-f', join(files, 'exported.yaml')], env)
    expect(again.stdout).toContain('unchanged: data source contacts')
    expect(again.stdout).toContain('unchanged: data source members')
  })

  it('refreshes with --wait, exits 0 on success and 1 on failure with the reason', async () => {
    const ok = await runCli(['refresh', '--wait'], env)
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(/✓ contacts: 2 rows in/)
    expect(ok.stdout).toMatch(/✓ members: 1 rows in/)
    writeFileSync(join(files, 'members.ndjson'), 'not json at all\n')
    const bad = await runCli(['refresh', '--source', 'members', '--wait'], env)
    expect(bad.code).toBe(1)
    expect(bad.stdout).toMatch(
      /✗ members: failed: .*none of the 1 lines .* is a JSON object.* \[SourceUnreadable\]/,
    )
  })

  it('shows refresh history, sources, entities, rows and events', async () => {
    const history = await runCli(['refreshes'], env)
    expect(history.stdout.split('\n')[0]).toMatch(
      /^ID\s+SOURCE\s+STATE\s+ROWS\s+REJECTED\s+DURATION\s+REQUESTED\s+ERROR$/,
    )
    expect(history.stdout).toMatch(/members\s+failed/)
    const sources = await runCli(['sources'], env)
    expect(sources.stdout).toMatch(/contacts\s+csv\s+id\s+succeeded\s+2/)
    expect(sources.stdout).toMatch(/members\s+ndjson\s+member_id\s+failed \(SourceUnreadable\)/)
    const rows = await runCli(['query', 'contacts', '--json'], env)
    expect(
      rows.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { id: 1, name: 'Ann' },
      { id: 2, name: 'Bo' },
    ])
    const events = await runCli(['events', '--json'], env)
    const types = events.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).type)
    expect(types.filter((t) => t === 'datasource.refresh.succeeded')).toHaveLength(2)
    expect(types.filter((t) => t === 'datasource.refresh.failed')).toHaveLength(1)
    const failedOnly = await runCli(['events', '--type', 'datasource.refresh.failed'], env)
    expect(failedOnly.stdout).toMatch(/datasource\.refresh\.failed\s+members: SourceUnreadable/)
  })

  it('explains an unknown data source or entity in one line', async () => {
    const refresh = await runCli(['refresh', '--source', 'ghost'], env)
    expect(refresh.code).toBe(1)
    expect(refresh.stderr.trim()).toBe("openinsights: Data source 'ghost' does not exist [NotFound]")
    const query = await runCli(['query', 'ghost'], env)
    expect(query.stderr.trim()).toBe("openinsights: Entity 'ghost' does not exist [NotFound]")
    const filtered = await runCli(
      ['query', 'contacts', '--filter', "name eq 'Bo'", '--select', 'id', '--count'],
      env,
    )
    expect(filtered.stderr.trim()).toBe('1 matching rows')
    expect(filtered.stdout.trim().split('\n')).toEqual(['ID', '2'])
    const bad = await runCli(['query', 'contacts', '--filter', "name eq 'Bo' and"], env)
    expect(bad.code).toBe(1)
    expect(bad.stderr.trim()).toBe(
      'openinsights: $filter: expected a value, a property or ( but found the end at position 17 [InvalidQuery]',
    )
  })
})

describe('openinsights export', () => {
  it('writes an entity as CSV, JSON or NDJSON, filtered or whole, and names a bad format', async () => {
    const csv = join(home, 'contacts.csv')
    const written = await runCli(['export', 'contacts', '--out', csv], env)
    expect(written.code).toBe(0)
    expect(written.stdout.trim()).toBe(`wrote 2 rows of contacts to ${csv}`)
    expect(readFileSync(csv, 'utf8')).toBe('id,name\n1,Ann\n2,Bo\n')
    const json = join(home, 'contacts.json')
    await runCli(['export', 'contacts', '--format', 'json', '--out', json], env)
    expect(JSON.parse(readFileSync(json, 'utf8'))).toEqual([
      { id: 1, name: 'Ann' },
      { id: 2, name: 'Bo' },
    ])
    const ndjson = join(home, 'bo.ndjson')
    await runCli(
      ['export', 'contacts', '--format', 'ndjson', '--filter', "name eq 'Bo'", '--out', ndjson],
      env,
    )
    expect(readFileSync(ndjson, 'utf8')).toBe('{"id":2,"name":"Bo"}\n')
    const bad = await runCli(['export', 'contacts', '--format', 'xlsx', '--out', join(home, 'x.xlsx')], env)
    expect(bad.code).toBe(1)
    expect(bad.stderr.trim()).toBe('openinsights: --format xlsx: use csv, json, ndjson [InvalidFormat]')
  })
})

describe('openinsights CLI with a server running', () => {
  let server: ServerProcess
  beforeAll(async () => {
    writeFileSync(
      join(files, 'members.ndjson'),
      '{"member_id":"m1","tier":"gold"}\n{"member_id":"m2","tier":"silver"}\n',
    )
    server = await startServer([], env)
  })
  afterAll(async () => server?.stop())

  it('talks to the server instead of opening the store the server holds', async () => {
    const queued = await runCli(['refresh', '--source', 'members'], env)
    expect(queued.code).toBe(0)
    expect(queued.stderr).toMatch(/^queued: members \(refresh \w+\)/)
    const waited = await runCli(['refresh', '--source', 'members', '--wait'], env)
    expect(waited.stdout).toMatch(/✓ members: 2 rows/)
    const events = await runCli(['events', '--type', 'datasource.refresh.succeeded', '--json'], env)
    expect(events.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(3)
  })
})

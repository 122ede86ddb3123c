import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { adminQuery, databaseUrl } from './helpers/postgres.js'
import { runCli, type ServerProcess, startServer } from './helpers/processes.js'
import { storeModeAvailable } from './helpers/test-store.js'

// Run as a user would: no OPENINSIGHTS_HOME, the home found from the working directory.
const noHome = { OPENINSIGHTS_HOME: '', OPENINSIGHTS_REFRESH_RETRIES: '0' }
let project: string
let server: ServerProcess | undefined

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'oi-project-'))
  cpSync(inject('pgliteTemplateDir'), join(project, '.openinsights', 'state'), { recursive: true })
  mkdirSync(join(project, 'exports', 'crm'), { recursive: true })
  writeFileSync(join(project, 'exports', 'crm', 'contacts.csv'), 'id,name\n1,Ann\n2,Bo\n')
  writeFileSync(
    join(project, 'exports', 'crm', 'shop.yaml'),
    'instance:\n  id: shop\ndataSources:\n  contacts:\n    kind: csv\n    primaryKey: id\n    options:\n      path: contacts.csv\n',
  )
  server = await startServer([], noHome, 90_000, project)
}, 120_000)
afterAll(async () => {
  await server?.stop()
})

describe('the CLI finds its home from any folder of the project', () => {
  it('reaches the server running at the project root from a subfolder, and makes no store there', async () => {
    const folder = join(project, 'exports', 'crm')
    const applied = await runCli(['apply', '-f', 'shop.yaml'], noHome, 60_000, folder)
    expect(applied.stderr).toBe('')
    expect(applied.code).toBe(0)
    expect(applied.stdout).toContain('created: data source contacts')
    expect(existsSync(join(folder, '.openinsights'))).toBe(false)
    const instances = await server?.fetchJson('/api/v1/instances')
    expect(instances.value.map((i: { id: string }) => i.id)).toContain('shop')
  })

  it('says so when it creates a new home, naming OPENINSIGHTS_HOME', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'oi-elsewhere-'))
    const listed = await runCli(['sources'], noHome, 60_000, elsewhere)
    expect(listed.stderr).toContain(
      `no .openinsights folder in ${elsewhere} or any folder above it; creating a new, empty home at ${join(elsewhere, '.openinsights')}`,
    )
    expect(listed.stderr).toContain('OPENINSIGHTS_HOME')
  })

  it('names --instance and OPENINSIGHTS_INSTANCE when there are several instances', async () => {
    const folder = join(project, 'exports')
    writeFileSync(join(folder, 'other.yaml'), 'instance:\n  id: other\ndataSources: {}\n')
    expect((await runCli(['apply', '-f', 'other.yaml'], noHome, 60_000, folder)).code).toBe(0)
    const sources = await runCli(['sources'], noHome, 60_000, folder)
    expect(sources.code).not.toBe(0)
    expect(sources.stderr).toMatch(
      /there are 2 instances \(other, shop\); choose one with --instance or OPENINSIGHTS_INSTANCE/,
    )
  })
})

describe.skipIf(!storeModeAvailable('postgres'))('server mode as the README runs it', () => {
  it('starts an API on PostgreSQL with a home that does not exist yet', async () => {
    const database = `oi_test_home_${process.pid}`
    await adminQuery(`drop database if exists ${database}`)
    await adminQuery(`create database ${database} template ${inject('postgresTemplate')}`)
    const home = join(mkdtempSync(join(tmpdir(), 'oi-fresh-')), 'checkout', '.openinsights')
    const api = await startServer(['--role', 'api'], {
      OPENINSIGHTS_HOME: home,
      DATABASE_URL: databaseUrl(database),
    })
    try {
      expect((await api.fetchJson('/api/v1/health')).status).toBeDefined()
      expect(existsSync(join(home, 'admin.key'))).toBe(true)
    } finally {
      await api.stop()
      await adminQuery(`drop database if exists ${database} with (force)`)
    }
  }, 120_000)
})

describe('sources add on an export as spreadsheets write it', () => {
  it('adds a semicolon-separated Latin-1 file with decimal commas, showing what it detected', async () => {
    const folder = join(project, 'exports')
    writeFileSync(
      join(folder, 'kunden.csv'),
      Buffer.from(
        'kunden_nr;vorname;nachname;geburt;umsatz\r\n1;Jürgen;Müller;25.11.1991;1234,56\r\n2;Anna;Schmidt;03.02.1985;99,5\r\n',
        'latin1',
      ),
    )
    const added = await runCli(
      ['sources', 'add', 'kunden', '--path', 'kunden.csv', '--key', 'kunden_nr'],
      { ...noHome, OPENINSIGHTS_INSTANCE: 'shop' },
      90_000,
      folder,
    )
    expect(added.code, added.stderr).toBe(0)
    expect(added.stdout).toContain(
      'read as: delimiter ";" (detected), quote "\\"" (detected), encoding "latin-1" (detected), decimal mark "," (detected), dates "%d.%m.%Y" (detected)',
    )
    const rows = await server?.fetchJson('/api/v1/instances/shop/data/kunden?$orderby=kunden_nr')
    expect(rows.value[0]).toMatchObject({ vorname: 'Jürgen', umsatz: 1234.56, geburt: '1991-11-25' })
  }, 120_000)
})

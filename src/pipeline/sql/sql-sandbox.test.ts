import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDuckDb, literal, SqlSession, sql, userWrittenSql } from '../../query/index.js'
import { openSqlSandbox, type SqlSandbox } from './sql-sandbox.js'

describe('the SQL sandbox for measures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oi-sandbox-'))
  const orders = join(dir, 'orders.parquet')
  const secret = join(dir, 'server.json')
  let sandbox: SqlSandbox

  beforeAll(async () => {
    const duck = await createDuckDb()
    const session = await SqlSession.open(duck)
    await session.run(
      sql`copy (select 1 as id, 10.5 as amount union all select 2, 4.5) to ${literal(orders)}`,
    )
    session.close()
    duck.closeSync()
    writeFileSync(secret, '{"adminKey":"oi_secret"}')
    sandbox = await openSqlSandbox([{ name: 'Orders', files: [orders] }], { scratchParent: dir })
  })
  afterAll(() => sandbox?.close())

  const run = (text: string) => sandbox.session.rows(userWrittenSql(text))

  it('reads its entities by name and writes results only where it says', async () => {
    expect(await run('select sum(amount)::double as value from Orders')).toEqual([{ value: 15 }])
    const file = await sandbox.copyToFile(sql`select count(*)::int as n from Orders`, 'count')
    expect(file.startsWith(dir)).toBe(true)
  })

  it.each([
    [`select * from '${secret}'`],
    [`select * from read_json('${secret}')`],
    [`select * from read_text('${secret}')`],
    [`select * from read_csv('/etc/passwd')`],
    [`select * from glob('${dir}/*')`],
    [`copy (select 1) to '${join(dir, 'out.csv')}'`],
    [`attach '${join(dir, 'x.duckdb')}'`],
    ['install httpfs'],
    ['set enable_external_access = true'],
    ["set allowed_directories = ['/']"],
    ['set lock_configuration = false'],
  ])('refuses %s inside DuckDB itself', async (sql) => {
    await expect(run(sql)).rejects.toThrow(/Permission Error|configuration has been locked|disabled/i)
  })
})

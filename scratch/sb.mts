import { mkdirSync, writeFileSync } from 'node:fs'
import { DuckDBInstance } from '@duckdb/node-api'

mkdirSync('/tmp/sb/work', { recursive: true })
const main = await DuckDBInstance.create(':memory:')
const mc = await main.connect()
await mc.run("copy (select 1 as id, 10.5 as amount union all select 2, 3) to '/tmp/sb/e.parquet'")
writeFileSync('/tmp/sb/secret.csv', 'a,b\n1,2\n')
const sb = await DuckDBInstance.create(':memory:', {
  autoload_known_extensions: 'false',
  autoinstall_known_extensions: 'false',
})
const c = await sb.connect()
await c.run(
  "set allowed_paths = ['/tmp/sb/e.parquet']; set allowed_directories = ['/tmp/sb/work/']; set enable_external_access = false",
)
const tryq = async (q: string) => {
  try {
    const r = await c.runAndReadAll(q)
    console.log('OK', q.slice(0, 70), JSON.stringify(r.getRowObjectsJS()).slice(0, 100))
  } catch (e) {
    console.log('ERR', q.slice(0, 70), (e as Error).message.split('\n')[0])
  }
}
await tryq("create view E as select * from read_parquet(['/tmp/sb/e.parquet'])")
await tryq("select current_setting('enable_external_access')")
await tryq('select sum(amount) from E')
await tryq("select * from '/tmp/sb/secret.csv'")
await tryq("select * from read_csv('/tmp/sb/secret.csv')")
await tryq("copy (select 1) to '/tmp/sb/work/out.parquet'")
await tryq("copy (select 1) to '/tmp/sb/out2.parquet'")
await tryq('set lock_configuration = true')
await tryq('set enable_external_access = true')
await tryq("select * from '/tmp/sb/e.parquet'")
await tryq("select * from glob('/tmp/*')")
await tryq("select * from '/tmp/sb/work/out.parquet'")
await tryq('install httpfs')
await tryq("attach '/tmp/sb/x.db'")
await tryq("select * from duckdb_settings() where name like 'allowed%'")

import { DuckDBInstance } from '@duckdb/node-api'
import { ingestSource } from '/work/main/src/pipeline/sources/ingest.ts'

const duck = await DuckDBInstance.create(':memory:')
const file = process.argv[2]
const ac = new AbortController()
const t0 = Date.now()
const p = ingestSource(
  duck,
  {
    name: 'x',
    kind: 'csv',
    options: { path: file },
    primaryKey: 'id',
    columnTypes: {},
    rejectRatio: 0.1,
  } as any,
  { versionDir: '/tmp/h/v', rejectsFile: '/tmp/h/rej.csv', workDir: '/tmp/h/w' },
  { signal: ac.signal, onProgress: (p) => console.log(Date.now() - t0, p) },
)
p.then(
  (r) => console.log('ok', r),
  (e) => console.log('err', e.message),
).finally(() => {
  console.log('done', Date.now() - t0)
  process.exit(0)
})
setTimeout(() => {
  console.log('timeout; aborting')
  ac.abort()
}, 8000)
setTimeout(() => {
  console.log('still hung after abort')
  process.exit(1)
}, 12000)

/**
 * bench:flows' event source in server mode: a process of its own (as an API or pipeline process
 * is) appending datasource.refresh.failed events to the shared PostgreSQL, `concurrency` at a
 * time, each in its own transaction. Reads `run <prefix> <count>` lines on stdin and answers each
 * with one JSON line: when each event was committed.
 */
import { createInterface } from 'node:readline'
import { appendEvent } from '../src/events/index.js'
import { openDatabase } from '../src/store/database.js'

const db = openDatabase({ connectionString: String(process.env.DATABASE_URL), maxConnections: 32 })
const concurrency = Number(process.argv[2] ?? 32)
console.log('ready')
for await (const line of createInterface({ input: process.stdin })) {
  const [, prefix, count] = line.split(' ')
  const ids = Array.from({ length: Number(count) }, (_, i) => `${prefix}-${i}`)
  const sent: Record<string, number> = {}
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ids.length) {
        const id = ids[next++] as string
        sent[id] = Date.now()
        await appendEvent(db, 'datasource.refresh.failed', 'bench', {
          instanceId: 'bench',
          dataSourceName: 'crm',
          refreshId: id,
          startedAt: '',
          completedAt: '',
          rowCount: null,
          rejectedRowCount: null,
          error: { code: 'X', message: 'x' },
        })
      }
    }),
  )
  console.log(JSON.stringify(sent))
}
await db.destroy()

/**
 * bench:flows' event source in server mode: a process of its own (as an API or pipeline process
 * is) appending datasource.refresh.failed events to the shared PostgreSQL, `concurrency` at a
 * time, each in its own transaction (`run <prefix> <count>`), or as a burst of 100 events per
 * statement (`burst <prefix> <count>`). Answers each line with one JSON line: when each event
 * was committed.
 */
import { createInterface } from 'node:readline'
import { appendEvent, appendEvents } from '../src/events/index.js'
import { openDatabase } from '../src/store/database.js'
import { refreshFailedEvent } from './refresh-failed-event.js'

const db = openDatabase({ connectionString: String(process.env.DATABASE_URL), maxConnections: 32 })
const concurrency = Number(process.argv[2] ?? 32)
console.log('ready')
for await (const line of createInterface({ input: process.stdin })) {
  const [mode, prefix, count] = line.split(' ')
  const ids = Array.from({ length: Number(count) }, (_, i) => `${prefix}-${i}`)
  const sent: Record<string, number> = {}
  if (mode === 'burst') {
    // A burst (a bulk load, a full refresh crossing many thresholds): 100 events per statement.
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100)
      await appendEvents(
        db,
        'bench',
        chunk.map((id) => ({ type: 'datasource.refresh.failed', data: refreshFailedEvent(id) })),
      )
      const at = Date.now()
      for (const id of chunk) sent[id] = at
    }
    console.log(JSON.stringify(sent))
    continue
  }
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ids.length) {
        const id = ids[next++] as string
        sent[id] = Date.now()
        await appendEvent(db, 'datasource.refresh.failed', 'bench', refreshFailedEvent(id))
      }
    }),
  )
  console.log(JSON.stringify(sent))
}
await db.destroy()

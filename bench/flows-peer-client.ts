/**
 * bench:flows' client for the peers (Node-RED, n8n): a process of its own, as ours' event source
 * is (flows-feeder.ts), so that the load it makes does not run in the process that hosts our
 * engine. A line `post <url> <prefix> <count> <clients>` sends `count` events, `clients` at a time,
 * each as POST {id, source} awaited to its answer; it answers with one JSON line: when each event
 * was sent, and how many answers were errors (with the first).
 */
import { createInterface } from 'node:readline'

console.log('ready')
for await (const line of createInterface({ input: process.stdin })) {
  const [command, url, prefix, count, clients] = line.split(' ')
  if (command !== 'post' || !url) continue
  const ids = Array.from({ length: Number(count) }, (_, i) => `${prefix}-${i}`)
  const sent: Record<string, number> = {}
  let next = 0
  let failures = 0
  let firstFailure: string | undefined
  await Promise.all(
    Array.from({ length: Number(clients) }, async () => {
      while (next < ids.length) {
        const id = ids[next++] as string
        sent[id] = Date.now()
        try {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ id, source: 'crm' }),
          })
          const answer = await response.text()
          if (!response.ok) {
            failures++
            firstFailure ??= `${response.status} ${answer.slice(0, 300)}`
          }
        } catch (error) {
          failures++
          firstFailure ??= String(error)
        }
      }
    }),
  )
  console.log(JSON.stringify({ sent, failures, firstFailure }))
}

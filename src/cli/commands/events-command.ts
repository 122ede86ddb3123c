import type { Command } from 'commander'
import { summarizeEvent } from '../../events/index.js'
import type { StoredEvent } from '../../store/events.js'
import type { CliContext } from '../cli-context.js'
import { printTable } from '../output.js'

function eventRow(event: StoredEvent) {
  return {
    id: event.id,
    occurred: event.occurredAt.replace('T', ' ').slice(0, 19),
    type: event.type,
    summary: summarizeEvent(event.type, event.data),
  }
}

export function registerEventsCommand(program: Command, context: CliContext): void {
  program
    .command('events')
    .description('List events (oldest first); --follow keeps printing new ones')
    .option('-t, --type <types>', 'comma-separated event types')
    .option('--after <id>', 'only events after this event id')
    .option('-n, --top <n>', 'how many at most', '100')
    .option('-f, --follow', 'keep waiting for new events', false)
    .option('--json', 'print one JSON object per line', false)
    .action(
      async (options: { type?: string; after?: string; top: string; follow: boolean; json: boolean }) => {
        await context.withApi({ needsWorkers: options.follow }, async (client) => {
          const instanceId = await context.instanceId(client)
          let after = options.after
          for (;;) {
            const { value } = await client.request<{ value: StoredEvent[] }>(
              'GET',
              `/api/v1/instances/${instanceId}/events`,
              {
                query: { type: options.type, after, $top: options.top },
              },
            )
            if (options.json) {
              for (const event of value) process.stdout.write(`${JSON.stringify(event)}\n`)
            } else if (!options.follow) {
              printTable(value.map(eventRow), ['id', 'occurred', 'type', 'summary'])
            } else {
              for (const event of value) {
                const row = eventRow(event)
                process.stdout.write(`${row.id}  ${row.occurred}  ${row.type.padEnd(30)}  ${row.summary}\n`)
              }
            }
            after = value.at(-1)?.id ?? after
            if (!options.follow) return
            if (value.length === 0) await new Promise((resolve) => setTimeout(resolve, 1000))
          }
        })
      },
    )
}

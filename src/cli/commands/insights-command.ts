import type { Command } from 'commander'
import type { CliContext } from '../cli-context.js'
import { printTable } from '../output.js'

const number = (value: number | null) =>
  value === null ? '' : value.toLocaleString('en-US', { maximumFractionDigits: 2 })

export function registerInsightsCommands(program: Command, context: CliContext): void {
  const measures = program.command('measures').description('Business and customer measures')
  measures
    .command('list', { isDefault: true })
    .description('Every measure with its latest value (one line per dimension value)')
    .option('--json', 'print JSON', false)
    .action(async (options: { json: boolean }) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const { value } = await client.request<{
          value: {
            name: string
            definition: { kind: string; description?: string }
            latest: { dimension: string | null; value: number | null }[]
          }[]
        }>('GET', `/api/v1/instances/${instanceId}/measures`)
        if (options.json) {
          process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
          return
        }
        printTable(
          value.flatMap((m) =>
            (m.latest.length ? m.latest : [{ dimension: null, value: null }]).map((v) => ({
              name: m.name,
              kind: m.definition.kind,
              dimension: v.dimension ?? '',
              value: m.definition.kind === 'customer' ? '(per customer: CustomerMeasures)' : number(v.value),
            })),
          ),
          ['name', 'kind', 'dimension', 'value'],
        )
      })
    })
  measures
    .command('history <name>')
    .description("A measure's recorded values, newest first")
    .option('-n, --top <n>', 'how many', '20')
    .action(async (name: string, options: { top: string }) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const { value } = await client.request<{
          value: { runId: string; dimension: string | null; value: number | null; computedAt: string }[]
        }>('GET', `/api/v1/instances/${instanceId}/measures/${encodeURIComponent(name)}/history`, {
          query: { $top: options.top },
        })
        printTable(
          value.map((v) => ({
            computed: v.computedAt.replace('T', ' ').slice(0, 19),
            dimension: v.dimension ?? '',
            value: number(v.value),
            run: v.runId,
          })),
          ['computed', 'dimension', 'value', 'run'],
        )
      })
    })

  const segments = program.command('segments').description('Segments of customers')
  segments
    .command('list', { isDefault: true })
    .description('Every segment with its latest member count')
    .option('--json', 'print JSON', false)
    .action(async (options: { json: boolean }) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const { value } = await client.request<{
          value: {
            name: string
            entity: string
            memberCount: number | null
            definition: { description?: string }
          }[]
        }>('GET', `/api/v1/instances/${instanceId}/segments`)
        if (options.json) {
          process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
          return
        }
        printTable(
          value.map((s) => ({
            name: s.name,
            members: number(s.memberCount),
            entity: s.entity,
            description: s.definition.description ?? '',
          })),
          ['name', 'members', 'entity', 'description'],
        )
      })
    })
  segments
    .command('history <name>')
    .description("A segment's member counts, newest first")
    .option('-n, --top <n>', 'how many', '20')
    .action(async (name: string, options: { top: string }) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const { value } = await client.request<{
          value: { runId: string; value: number | null; computedAt: string }[]
        }>('GET', `/api/v1/instances/${instanceId}/segments/${encodeURIComponent(name)}/history`, {
          query: { $top: options.top },
        })
        printTable(
          value.map((v) => ({
            computed: v.computedAt.replace('T', ' ').slice(0, 19),
            members: number(v.value),
            run: v.runId,
          })),
          ['computed', 'members', 'run'],
        )
      })
    })
  segments
    .command('estimate <filter>')
    .description(
      'How many customers an OData filter over profiles and customer measures selects now, without publishing',
    )
    .action(async (filter: string) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const result = await client.request<{ memberCount: number; durationMs: number }>(
          'POST',
          `/api/v1/instances/${instanceId}/segments/estimate`,
          { body: { filter } },
        )
        process.stdout.write(`${result.memberCount.toLocaleString('en-US')} customers\n`)
      })
    })
}

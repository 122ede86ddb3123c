import type { Command } from 'commander'
import type { Refresh } from '../../store/refreshes.js'
import type { FullRefresh } from '../../store/runs.js'
import type { CliContext } from '../cli-context.js'
import { describeFullRefresh, waitForFullRefresh } from '../full-refresh-progress.js'
import { formatCount, formatDuration, printTable } from '../output.js'
import { describeOutcome, waitForRefreshes } from '../refresh-progress.js'

const collect = (value: string, previous: string[]) => [...previous, ...value.split(',').filter(Boolean)]

export function registerRefreshCommands(program: Command, context: CliContext): void {
  program
    .command('refresh')
    .description('Refresh data sources (all of them unless --source is given)')
    .option('-s, --source <name>', 'a data source to refresh (repeatable, or comma-separated)', collect, [])
    .option('--only <name>', 'same as --source', collect, [])
    .option('-w, --wait', 'wait for the refreshes to end, showing progress', false)
    .option('--full', 'a full refresh: every source, then unification, then measures and segments', false)
    .option(
      '--allow-shrink',
      "publish even if a refresh removes more of an entity's rows than its source's maxShrink allows",
      false,
    )
    .action(
      async (options: {
        source: string[]
        only: string[]
        wait: boolean
        full: boolean
        allowShrink: boolean
      }) => {
        // Without a server, this process runs the refresh itself: it must wait for it.
        await context.withApi({ needsWorkers: true }, async (client) => {
          const instanceId = await context.instanceId(client)
          if (options.full) {
            const started = await client.request<FullRefresh>(
              'POST',
              `/api/v1/instances/${instanceId}/full-refreshes`,
            )
            process.stderr.write(`full refresh ${started.id} ${started.state}\n`)
            if (!options.wait && client.target.startsWith('http')) return
            const done = await waitForFullRefresh(client, instanceId, started)
            process.stdout.write(`${describeFullRefresh(done)}\n`)
            if (done.state !== 'succeeded') process.exitCode = 1
            return
          }
          const sources = [...options.source, ...options.only]
          const { value } = await client.request<{ value: (Refresh & { created: boolean })[] }>(
            'POST',
            `/api/v1/instances/${instanceId}/refreshes`,
            {
              body: {
                ...(sources.length > 0 ? { dataSources: sources } : {}),
                ...(options.allowShrink ? { allowShrink: true } : {}),
              },
            },
          )
          const runsHere = !client.target.startsWith('http')
          for (const r of value) {
            process.stderr.write(
              `${r.created ? 'queued' : 'already active'}: ${r.dataSourceName} (refresh ${r.id})\n`,
            )
          }
          if (!options.wait && !runsHere) return
          const finished = await waitForRefreshes(client, instanceId, value)
          for (const r of finished) process.stdout.write(`${describeOutcome(r)}\n`)
          if (finished.some((r) => r.state !== 'succeeded')) process.exitCode = 1
        })
      },
    )

  const full = program
    .command('full-refreshes')
    .description('Full refreshes: sources → unify → measures and segments')
  full
    .command('list', { isDefault: true })
    .description('List full refreshes, newest first')
    .option('-n, --top <n>', 'how many', '20')
    .action(async (options: { top: string }) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const { value } = await client.request<{ value: FullRefresh[] }>(
          'GET',
          `/api/v1/instances/${instanceId}/full-refreshes`,
          { query: { $top: options.top } },
        )
        printTable(
          value.map((r) => ({
            id: r.id,
            state: r.state,
            steps: `${r.steps.filter((s) => s.state === 'succeeded').length}/${r.steps.length} succeeded`,
            duration: formatDuration(r.durationMs),
            reason: r.reason,
            requested: r.requestedAt.replace('T', ' ').slice(0, 19),
            error: r.error ? r.error.message : '',
          })),
          ['id', 'state', 'steps', 'duration', 'reason', 'requested', 'error'],
        )
      })
    })
  full
    .command('show <id>')
    .description('Show one full refresh, step by step')
    .action(async (id: string) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const found = await client.request<FullRefresh>(
          'GET',
          `/api/v1/instances/${instanceId}/full-refreshes/${id}`,
        )
        process.stdout.write(`${describeFullRefresh(found)}\n`)
      })
    })
  full
    .command('cancel <id>')
    .description('Cancel a full refresh; published data stays as it was')
    .action(async (id: string) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const done = await client.request<FullRefresh>(
          'POST',
          `/api/v1/instances/${instanceId}/full-refreshes/${id}/cancel`,
        )
        process.stdout.write(`full refresh ${done.id} ${done.state}\n`)
      })
    })

  const refreshes = program.command('refreshes').description('Refresh history')
  refreshes
    .command('list', { isDefault: true })
    .description('List refreshes, newest first')
    .option('-s, --source <name>', 'only this data source')
    .option('--state <state>', 'only refreshes in this state (queued, running, succeeded, failed, cancelled)')
    .option('-n, --top <n>', 'how many', '20')
    .option('--json', 'print JSON', false)
    .action(async (options: { source?: string; state?: string; top: string; json: boolean }) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const { value } = await client.request<{ value: Refresh[] }>(
          'GET',
          `/api/v1/instances/${instanceId}/refreshes`,
          {
            query: { dataSource: options.source, state: options.state, $top: options.top },
          },
        )
        if (options.json) {
          process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
          return
        }
        printTable(
          value.map((r) => ({
            id: r.id,
            source: r.dataSourceName,
            state: r.state,
            rows: formatCount(r.rowCount),
            rejected: formatCount(r.rejectedRowCount),
            duration: formatDuration(r.durationMs),
            requested: r.requestedAt.replace('T', ' ').slice(0, 19),
            error: r.error ? `${r.error.code}: ${r.error.message}` : '',
          })),
          ['id', 'source', 'state', 'rows', 'rejected', 'duration', 'requested', 'error'],
        )
      })
    })

  refreshes
    .command('show <id>')
    .description('Show one refresh')
    .action(async (id: string) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const r = await client.request<Refresh>('GET', `/api/v1/instances/${instanceId}/refreshes/${id}`)
        const lines = [
          ['refresh', r.id],
          ['data source', r.dataSourceName],
          [
            'state',
            r.state +
              (r.progress && r.state === 'running'
                ? ` (${r.progress.phase}, ${Math.round(r.progress.fraction * 100)}%)`
                : ''),
          ],
          ['attempts', String(r.attempt)],
          ['requested', r.requestedAt],
          ['started', r.startedAt ?? ''],
          ['completed', r.completedAt ?? ''],
          ['duration', formatDuration(r.durationMs)],
          ['rows', formatCount(r.rowCount)],
          ['rejected', formatCount(r.rejectedRowCount)],
          ['rejects file', r.rejectsPath ?? ''],
          ['error', r.error ? `${r.error.code}: ${r.error.message}` : ''],
        ].filter(([, v]) => v !== '')
        for (const [k, v] of lines) process.stdout.write(`${(k as string).padEnd(13)} ${v}\n`)
      })
    })

  refreshes
    .command('cancel <id>')
    .description('Cancel a queued or running refresh (published data stays as it was)')
    .action(async (id: string) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const r = await client.request<Refresh>(
          'POST',
          `/api/v1/instances/${instanceId}/refreshes/${id}/cancel`,
        )
        process.stdout.write(`cancelled refresh ${r.id} of ${r.dataSourceName}\n`)
      })
    })
}

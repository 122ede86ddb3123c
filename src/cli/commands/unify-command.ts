import type { Command } from 'commander'
import type { UnifyRun } from '../../store/unify.js'
import type { CliContext } from '../cli-context.js'
import { formatCount, formatDuration, printTable } from '../output.js'

function describe(run: UnifyRun): string {
  if (run.state === 'succeeded' && run.stats)
    return `✓ unify ${run.id}: ${formatCount(run.stats.sourceRecords)} records → ${formatCount(run.stats.unifiedProfiles)} customer profiles (${formatCount(run.stats.matchPairs)} match pairs) in ${formatDuration(run.durationMs)}`
  if (run.state === 'failed') return `✗ unify ${run.id}: failed: ${run.error?.message} [${run.error?.code}]`
  return `unify ${run.id}: ${run.state}`
}

export function registerUnifyCommand(program: Command, context: CliContext): void {
  const unify = program
    .command('unify')
    .description('Unification: map, match and merge records into customer profiles')
  unify
    .command('run')
    .description('Run unification over the current data of the mapped sources')
    .option('--wait', 'wait for it to end; exit 1 if it fails', false)
    .action(async (options: { wait: boolean }) => {
      await context.withApi({ needsWorkers: true }, async (client) => {
        const instanceId = await context.instanceId(client)
        let run = await client.request<UnifyRun>('POST', `/api/v1/instances/${instanceId}/unify/runs`)
        if (!options.wait) {
          process.stdout.write(`${describe(run)}\n`)
          return
        }
        while (run.state === 'queued' || run.state === 'running') {
          await new Promise((resolve) => setTimeout(resolve, 250))
          run = await client.request<UnifyRun>('GET', `/api/v1/instances/${instanceId}/unify/runs/${run.id}`)
        }
        process.stdout.write(`${describe(run)}\n`)
        if (run.state === 'failed') process.exitCode = 1
      })
    })
  unify
    .command('runs')
    .description('Unification history, newest first')
    .action(async () => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const { value } = await client.request<{ value: UnifyRun[] }>(
          'GET',
          `/api/v1/instances/${instanceId}/unify/runs`,
        )
        printTable(
          value.map((r) => ({
            ...r,
            records: r.stats?.sourceRecords,
            profiles: r.stats?.unifiedProfiles,
            pairs: r.stats?.matchPairs,
            duration: formatDuration(r.durationMs),
            error: r.error ? `${r.error.code}: ${r.error.message}` : '',
          })),
          ['id', 'state', 'reason', 'records', 'profiles', 'pairs', 'duration', 'error'],
        )
      })
    })
}

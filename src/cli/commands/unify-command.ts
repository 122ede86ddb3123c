import type { Command } from 'commander'
import type { CustomerExplanation } from '../../pipeline/unify/index.js'
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
  unify
    .command('explain')
    .description('Show which records form a customer profile, and which rules joined them')
    .argument('<customerId>')
    .option('--json', 'print the explanation as JSON', false)
    .action(async (customerId: string, options: { json: boolean }) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const e = await client.request<CustomerExplanation>(
          'GET',
          `/api/v1/instances/${instanceId}/unify/customers/${encodeURIComponent(customerId)}/explain`,
        )
        if (options.json) {
          process.stdout.write(`${JSON.stringify(e, null, 2)}\n`)
          return
        }
        process.stdout.write(explanationText(e))
      })
    })
}

const show = (value: unknown) =>
  value === null || value === undefined ? '' : Array.isArray(value) ? value.join(', ') : String(value)

/** An explanation as a person reads it: the profile, its records, and why they belong together. */
export function explanationText(e: CustomerExplanation): string {
  const lines: string[] = []
  const { CustomerId, RecordCount, SourceCount, ...attributes } = e.customer
  lines.push(`Customer ${CustomerId}: ${RecordCount} record(s) from ${SourceCount} source(s)`)
  for (const [name, value] of Object.entries(attributes))
    if (show(value)) lines.push(`  ${name.padEnd(12)} ${show(value)}`)
  lines.push('', 'Records')
  for (const r of e.records) {
    const fields = r.record
      ? Object.entries(r.record)
          .filter(([, v]) => v !== null && v !== '')
          .slice(0, 8)
          .map(([k, v]) => `${k}=${show(v)}`)
          .join(', ')
      : '(no longer in the source)'
    lines.push(`  ${r.source} ${r.key}: ${fields}`)
  }
  lines.push('', e.matches.length ? 'Why they are one profile' : 'A single record: nothing matched it.')
  for (const m of e.matches) {
    const how = m.similarities ? `, ${m.similarities.replaceAll(',', ', ')}` : ''
    lines.push(
      `  ${m.sourceA} ${m.keyA} ↔ ${m.sourceB} ${m.keyB}: rule '${m.rule}' (score ${m.score.toFixed(2)}${how})`,
    )
  }
  return `${lines.join('\n')}\n`
}

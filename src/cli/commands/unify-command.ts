import type { Command } from 'commander'
import type { CustomerExplanation, UnifyProposal } from '../../pipeline/unify/index.js'
import type { Run } from '../../store/runs.js'
import type { CliContext } from '../cli-context.js'
import { formatCount, formatDuration, printTable } from '../output.js'

function describe(run: Run): string {
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
        let run = await client.request<Run>('POST', `/api/v1/instances/${instanceId}/unify/runs`)
        if (!options.wait) {
          process.stdout.write(`${describe(run)}\n`)
          return
        }
        while (run.state === 'queued' || run.state === 'running') {
          await new Promise((resolve) => setTimeout(resolve, 250))
          run = await client.request<Run>('GET', `/api/v1/instances/${instanceId}/unify/runs/${run.id}`)
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
        const { value } = await client.request<{ value: Run[] }>(
          'GET',
          `/api/v1/instances/${instanceId}/unify/runs`,
        )
        printTable(
          value.map((r) => ({
            ...r,
            records: r.stats?.sourceRecords,
            profiles: r.stats?.unifiedProfiles,
            pairs: r.stats?.matchPairs,
            // The estimated model of a probabilistic rule: its threshold and what it expects there.
            model:
              r.stats?.modelThreshold === undefined
                ? ''
                : `p ≥ ${r.stats.modelThreshold.toFixed(3)}, expects precision ${(r.stats.modelExpectedPrecision ?? 0).toFixed(3)} recall ${(r.stats.modelExpectedRecall ?? 0).toFixed(3)}`,
            duration: formatDuration(r.durationMs),
            error: r.error ? `${r.error.code}: ${r.error.message}` : '',
          })),
          ['id', 'state', 'reason', 'records', 'profiles', 'pairs', 'model', 'duration', 'error'],
        )
      })
    })
  unify
    .command('suggest')
    .description(
      'Suggest column mappings (with confidence), match rules and merge policies; --apply puts them in effect',
    )
    .option('--apply', 'write the suggested unify section into the configuration and run unification', false)
    .action(async (options: { apply: boolean }) => {
      await context.withApi({ needsWorkers: options.apply }, async (client) => {
        const instanceId = await context.instanceId(client)
        const proposal = options.apply
          ? await client.request<UnifyProposal & { runId: string }>(
              'POST',
              `/api/v1/instances/${instanceId}/unify/suggestions/apply`,
            )
          : await client.request<UnifyProposal>('GET', `/api/v1/instances/${instanceId}/unify/suggestions`)
        process.stdout.write(proposalText(proposal))
        if (options.apply)
          process.stdout.write(
            `\napplied; unify run ${(proposal as UnifyProposal & { runId?: string }).runId} queued (see: openinsights unify runs)\n`,
          )
        else process.stdout.write('\nput these in effect with: openinsights unify suggest --apply\n')
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

/** Suggested mappings and rules, for a person to confirm. */
export function proposalText(proposal: UnifyProposal): string {
  const lines: string[] = []
  for (const [source, s] of Object.entries(proposal.sources)) {
    lines.push(`${source}${s.published ? '' : ' (no data yet: refresh it to get suggestions)'}`)
    for (const c of s.columns)
      lines.push(
        `  ${c.column.padEnd(22)} → ${c.attribute.padEnd(12)} ${String(Math.round(c.confidence * 100)).padStart(3)}%  ${c.confidence < 0.6 ? '(not applied) ' : ''}${c.reason}`,
      )
    if (s.updatedAt) lines.push(`  ${s.updatedAt.padEnd(22)} → when a record last changed`)
  }
  lines.push('', 'Match rules (records match when every condition of some rule holds)')
  for (const rule of proposal.unify.rules)
    lines.push(
      `  ${rule.name}: ${rule.conditions
        .map(
          (c) =>
            `${c.attribute} ${c.precision === 'exact' ? 'equal' : `similar ≥ ${c.threshold}`} after ${c.normalize.join('+')}`,
        )
        .join(', ')}`,
    )
  lines.push(
    '',
    `Merge: ${proposal.unify.merge.default} by default${Object.entries(proposal.unify.merge.attributes)
      .map(([a, p]) => `, ${a} ${p}`)
      .join('')}; all values kept for ${proposal.unify.merge.keepAll.join(', ')}`,
  )
  return `${lines.join('\n')}\n`
}

import type { Command } from 'commander'
import type {
  CustomerExplanation,
  ReviewPair,
  RunChanges,
  UnifyProposal,
} from '../../pipeline/unify/index.js'
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
            // The model of a probabilistic rule: kept or estimated, its threshold and what it expects there.
            model:
              r.stats?.modelThreshold === undefined
                ? ''
                : `${r.stats.modelKept ? 'kept' : 'estimated'}: p ≥ ${r.stats.modelThreshold.toFixed(3)}, expects precision ${(r.stats.modelExpectedPrecision ?? 0).toFixed(3)} recall ${(r.stats.modelExpectedRecall ?? 0).toFixed(3)}`,
            changes: changesText(r),
            duration: formatDuration(r.durationMs),
            error: r.error ? `${r.error.code}: ${r.error.message}` : '',
          })),
          ['id', 'state', 'reason', 'records', 'profiles', 'pairs', 'model', 'changes', 'duration', 'error'],
        )
      })
    })
  unify
    .command('changes')
    .description(
      'What a run changed since the one before it: records added, removed or moved to another customer, and the match model beside the previous one',
    )
    .argument('[run]', 'the run id; the latest succeeded run by default')
    .option('-n, --top <n>', 'how many changed records to list', '20')
    .option('--json', 'print it as JSON', false)
    .action(async (runId: string | undefined, options: { top: string; json: boolean }) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        let id = runId
        if (!id) {
          const { value } = await client.request<{ value: Run[] }>(
            'GET',
            `/api/v1/instances/${instanceId}/unify/runs?$top=50`,
          )
          id = value.find((r) => r.state === 'succeeded')?.id
          if (!id)
            throw new Error('no unification run has succeeded yet; start one with: openinsights unify run')
        }
        const changes = await client.request<RunChanges>(
          'GET',
          `/api/v1/instances/${instanceId}/unify/runs/${encodeURIComponent(id)}/changes?$top=${encodeURIComponent(options.top)}`,
        )
        process.stdout.write(options.json ? `${JSON.stringify(changes, null, 2)}\n` : runChangesText(changes))
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
    .command('review')
    .description(
      'List the pairs the match model was least sure of, with why; --same or --different labels one (source:key source:key); the next run follows the labels',
    )
    .option('-n, --top <n>', 'how many pairs to list', '10')
    .option('--same <a>', 'this record and [b] are the same customer')
    .option('--different <a>', 'this record and [b] are different customers')
    .option('--json', 'print the pairs as JSON', false)
    .argument('[b]', 'the second record, with --same or --different')
    .action(
      async (
        second: string | undefined,
        options: { top: string; same?: string; different?: string; json: boolean },
      ) => {
        await context.withApi({}, async (client) => {
          const instanceId = await context.instanceId(client)
          const first = options.same ?? options.different
          if (first !== undefined) {
            if (!second) throw new Error('name both records: --same crm:1042 shop:S-77')
            await client.request('POST', `/api/v1/instances/${instanceId}/unify/review`, {
              body: { a: first, b: second, sameCustomer: options.same !== undefined },
            })
            process.stdout.write(
              `labelled ${first} and ${second} as ${options.same !== undefined ? 'the same customer' : 'different customers'}; the next unify run follows it (openinsights unify run)\n`,
            )
            return
          }
          const { value, labelled } = await client.request<{ value: ReviewPair[]; labelled: number }>(
            'GET',
            `/api/v1/instances/${instanceId}/unify/review?$top=${encodeURIComponent(options.top)}`,
          )
          if (options.json) {
            process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
            return
          }
          if (value.length === 0) {
            process.stdout.write(
              `nothing to review${labelled ? ` (${labelled} pair(s) labelled)` : ''}: no probabilistic rule has run, or every unsure pair is labelled\n`,
            )
            return
          }
          process.stdout.write(value.map((p, i) => `${i + 1}. ${pairText(p)}`).join('\n'))
          process.stdout.write(
            `\nlabel one with: openinsights unify review --same ${value[0]?.sourceA}:${value[0]?.keyA} ${value[0]?.sourceB}:${value[0]?.keyB} (or --different)\n`,
          )
        })
      },
    )

  unify
    .command('explain-pair')
    .description('Why two records were or were not joined: the match weight as a waterfall')
    .argument('<a>', 'a record as source:key')
    .argument('<b>', 'another record as source:key')
    .action(async (a: string, b: string) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const pair = await client.request<ReviewPair>(
          'GET',
          `/api/v1/instances/${instanceId}/unify/pairs?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`,
        )
        process.stdout.write(`${pairText(pair)}\n`)
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
  if (proposal.activities.length > 0) {
    lines.push('', 'Activities (linked to customers, not unified as people)')
    for (const a of proposal.activities)
      lines.push(
        `  ${a.source}: ${'source' in a.customer ? `${a.customer.column} → ${a.customer.source}'s key` : `${a.customer.column} → ${a.customer.attribute}`}${a.dateColumn ? `, when: ${a.dateColumn}` : ''} — ${a.reason}`,
      )
  }
  if (proposal.unify.defaultCountry)
    lines.push(
      '',
      `Phone numbers without a country code are read as numbers of ${proposal.unify.defaultCountry}`,
    )
  lines.push('', 'Match rules (records match when every condition of some rule holds)')
  for (const rule of proposal.unify.rules)
    lines.push(
      rule.probabilistic
        ? `  ${rule.name}: probabilistic — how much each attribute agreeing says is estimated from the data${rule.probabilistic.model === 'keep' ? ' (the previous run’s model kept)' : ''}`
        : `  ${rule.name}: ${rule.conditions
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

/**
 * A pair as a waterfall: the prior, each attribute's contribution with the values compared, the
 * weight and probability, and whether (or why not) the records were joined.
 */
export function pairText(p: ReviewPair): string {
  const bits = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`.padStart(6)
  const lines = [
    `${p.sourceA}:${p.keyA} ↔ ${p.sourceB}:${p.keyB} — ${p.joined ? 'joined' : `not joined: ${p.reason}`} (probability ${p.probability.toFixed(3)}, threshold ${p.threshold.toFixed(3)})`,
    `   ${bits(p.priorBits)}  prior (two records picked at random)`,
  ]
  for (const c of p.comparisons)
    lines.push(
      `   ${bits(c.bits)}  ${c.attribute.padEnd(12)} ${c.level}${c.a !== null || c.b !== null ? `: ${show(c.a) || '—'} | ${show(c.b) || '—'}` : ''}`,
    )
  lines.push(`   ${bits(p.weight)}  match weight`)
  return lines.join('\n')
}

/** "+12 / −3 customers, 25 records moved, 4 added, 1 removed", or '' for a first run. */
function changesText(run: Run): string {
  const s = run.stats
  if (!s || s.recordsMoved === undefined) return ''
  const parts = [
    `+${formatCount(s.customersAdded ?? 0)} / −${formatCount(s.customersRemoved ?? 0)} customers`,
  ]
  parts.push(`${formatCount(s.recordsMoved)} records moved`)
  if (s.recordsAdded) parts.push(`${formatCount(s.recordsAdded)} added`)
  if (s.recordsRemoved) parts.push(`${formatCount(s.recordsRemoved)} removed`)
  return parts.join(', ')
}

function runChangesText(changes: RunChanges): string {
  const lines: string[] = []
  if (!changes.available)
    lines.push(`run ${changes.runId}: its files are no longer kept; only its counts are known`)
  if (!changes.counts) lines.push(`run ${changes.runId} is the first: nothing to compare with`)
  else {
    const c = changes.counts
    lines.push(
      `run ${changes.runId} against ${changes.previousRunId ?? 'the run before'}: ${formatCount(c.customersAdded)} customers new, ${formatCount(c.customersRemoved)} gone; ${formatCount(c.recordsMoved)} records moved to another customer, ${formatCount(c.recordsAdded)} added, ${formatCount(c.recordsRemoved)} removed`,
    )
  }
  for (const m of changes.models) {
    const was = (_now: number, before: number | null) =>
      before === null ? '' : ` (was ${before.toFixed(3)})`
    lines.push(
      `\nmodel of rule '${m.rule}': ${m.keptFrom ? `kept from run ${m.keptFrom}` : 're-estimated from this data'}; threshold ${m.threshold.toFixed(3)}${was(m.threshold, m.previousThreshold)}, expects precision ${m.expected.precision.toFixed(3)}${was(m.expected.precision, m.previousExpected?.precision ?? null)} recall ${m.expected.recall.toFixed(3)}${was(m.expected.recall, m.previousExpected?.recall ?? null)}`,
    )
    const rows = m.comparisons.flatMap((c) =>
      c.levels.map((l) => ({
        attribute: c.attribute,
        level: l.level,
        bits: l.bits.toFixed(2),
        before: l.previousBits === null ? '' : l.previousBits.toFixed(2),
        change:
          l.previousBits === null
            ? ''
            : (l.bits - l.previousBits >= 0 ? '+' : '') + (l.bits - l.previousBits).toFixed(2),
      })),
    )
    lines.push(tableText(rows, ['attribute', 'level', 'bits', 'before', 'change']).trimEnd())
  }
  if (changes.records.length > 0) {
    lines.push('\nrecords whose customer changed (moved first):')
    lines.push(
      tableText(
        changes.records.map((r) => ({
          change: r.change,
          record: `${r.source}:${r.key}`,
          before: r.customerBefore ?? '',
          after: r.customerAfter ?? '',
        })),
        ['change', 'record', 'before', 'after'],
      ).trimEnd(),
    )
  }
  return `${lines.join('\n')}\n`
}

function tableText(rows: Record<string, unknown>[], columns: string[]): string {
  let text = ''
  printTable(rows, columns, (line) => {
    text += line
    return true
  })
  return text
}

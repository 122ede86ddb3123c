import type { Command } from 'commander'
import type { ConfigChange } from '../../config/index.js'
import { loadConfigFile } from '../../config/index.js'
import type { CliContext } from '../cli-context.js'

export function registerApplyCommand(program: Command, context: CliContext): void {
  program
    .command('apply')
    .description('Create or update an instance from openinsights.yaml')
    .requiredOption('-f, --file <file>', 'configuration file (YAML or JSON)')
    .option('--prune', 'delete objects the file does not mention', false)
    .option('--dry-run', 'only show what would change', false)
    .action(async (options: { file: string; prune: boolean; dryRun: boolean }) => {
      await context.withApi({}, async (client) => {
        // Validated here first, so problems point at lines of the file.
        const config = loadConfigFile(options.file)
        const { value } = await client.request<{ value: ConfigChange[] }>(
          'PUT',
          `/api/v1/instances/${config.instance.id}/config`,
          {
            body: config,
            query: { prune: options.prune, dryRun: options.dryRun },
          },
        )
        process.stdout.write(describeChanges(value, options.dryRun))
        process.stdout.write(
          `${options.dryRun ? 'checked' : 'applied'} ${options.file} to instance ${config.instance.id}\n`,
        )
      })
    })
}

const LABELS: Record<ConfigChange['kind'], string> = {
  instance: 'instance',
  dataSource: 'data source',
  unify: 'unify',
  measure: 'measure',
  segment: 'segment',
  schedule: 'schedule',
  flow: 'flow',
}

/** One line per object (`updated: measure Revenue`) and an indented line per difference. */
export function describeChanges(changes: ConfigChange[], dryRun: boolean): string {
  const prefix = dryRun ? '(dry run) would be ' : ''
  const lines: string[] = []
  for (const change of changes) {
    if (change.kind === 'instance' && change.action === 'unchanged') continue
    const label =
      change.kind === 'unify' || change.kind === 'schedule'
        ? LABELS[change.kind]
        : `${LABELS[change.kind]} ${change.name}`
    const note = change.action === 'kept' ? ' — not in the file; kept (use --prune to delete)' : ''
    lines.push(`${prefix}${change.action}: ${label}${note}`)
    for (const difference of change.differences ?? []) lines.push(`    ${difference}`)
  }
  const counts = new Map<string, number>()
  for (const change of changes) counts.set(change.action, (counts.get(change.action) ?? 0) + 1)
  const summary = ['created', 'updated', 'deleted', 'kept', 'unchanged']
    .filter((action) => counts.get(action))
    .map((action) => `${counts.get(action)} ${action}`)
    .join(', ')
  if (summary) lines.push(`${dryRun ? 'would be: ' : ''}${summary}`)
  return lines.length > 0 ? `${lines.join('\n')}\n` : ''
}

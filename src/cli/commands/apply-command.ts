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
        const prefix = options.dryRun ? '(dry run) would be ' : ''
        for (const change of value) {
          if (change.kind === 'instance') continue
          const note = change.action === 'kept' ? ' — not in the file; kept (use --prune to delete)' : ''
          process.stdout.write(`${prefix}${change.action}: data source ${change.name}${note}\n`)
        }
        process.stdout.write(
          `${options.dryRun ? 'checked' : 'applied'} ${options.file} to instance ${config.instance.id}\n`,
        )
      })
    })
}

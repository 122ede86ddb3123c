import type { Command } from 'commander'
import type { CliContext } from '../cli-context.js'
import { formatCliError } from '../output.js'
import type { StartOptions } from './start-server.js'

export function registerStartCommand(program: Command, context: CliContext): void {
  program
    .command('start')
    .description('Run the API and the workers (the embedded store unless DATABASE_URL is set)')
    .option('--demo', 'generate demo data, apply the demo instance and refresh it', false)
    .option('-p, --port <port>', 'HTTP port (0 picks a free one)', '4000')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--role <role>', 'api, worker or all', 'all')
    .action(async (options: StartOptions) => {
      try {
        const { start } = await import('./start-server.js')
        await start(context, options)
      } catch (error) {
        process.stderr.write(`${formatCliError(error)}\n`)
        process.exit(1)
      }
    })
}

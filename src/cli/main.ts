import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import { createCliContext } from './cli-context.js'
import { registerApplyCommand } from './commands/apply-command.js'
import { registerConfigCommand } from './commands/config-command.js'
import { registerConnectorCommand } from './commands/connector-command.js'
import { registerDataCommands } from './commands/data-commands.js'
import { registerEventsCommand } from './commands/events-command.js'
import { registerExportCommand } from './commands/export-command.js'
import { registerFlowCommands } from './commands/flow-commands.js'
import { registerInsightsCommands } from './commands/insights-command.js'
import { registerKeysCommand } from './commands/keys-command.js'
import { registerRefreshCommands } from './commands/refresh-command.js'
import { registerStartCommand } from './commands/start-command.js'
import { registerUnifyCommand } from './commands/unify-command.js'
import { registerWebhookCommands } from './commands/webhook-commands.js'

function packageVersion(): string {
  const file = new URL('../../package.json', import.meta.url)
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
}

const program = new Command()
program
  .name('openinsights')
  .description('Self-hostable customer-data platform with a Power Automate–compatible event connector')
  .option('--home <dir>', 'state directory (default $OPENINSIGHTS_HOME or ./.openinsights)')
  .option('--server <url>', 'talk to this server instead of the one running on --home')
  .option('-i, --instance <id>', 'instance to work on (default: the only one)')
  .version(`openinsights ${packageVersion()} on Node.js ${process.version}`, '-V, --version')
  .showHelpAfterError()

const context = createCliContext(program)
registerStartCommand(program, context)
registerApplyCommand(program, context)
registerConfigCommand(program, context)
registerRefreshCommands(program, context)
registerEventsCommand(program, context)
registerDataCommands(program, context)
registerInsightsCommands(program, context)
registerFlowCommands(program, context)
registerKeysCommand(program, context)
registerWebhookCommands(program, context)
registerConnectorCommand(program)
registerUnifyCommand(program, context)
registerExportCommand(program, context)

await program.parseAsync(process.argv)

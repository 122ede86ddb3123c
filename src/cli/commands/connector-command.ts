import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { apiDefinition, apiProperties } from '../../connector/export/index.js'
import { AppError } from '../../errors.js'
import { formatCliError } from '../output.js'

export function registerConnectorCommand(program: Command): void {
  const connector = program.command('connector').description('The Power Automate custom connector')
  connector
    .command('export')
    .description('Write apiDefinition.swagger.json and apiProperties.json for import into Power Automate')
    .requiredOption('--out <dir>', 'directory to write the two files to')
    .option('--host <url>', 'the address Power Automate reaches this server at', 'http://localhost:4000')
    .action((options: { out: string; host: string }) => {
      try {
        let host: URL
        try {
          host = new URL(options.host)
        } catch {
          throw new AppError(
            'InvalidHost',
            `--host ${options.host} is not a URL; write it as https://cdp.example.com`,
            {
              target: '--host',
            },
          )
        }
        if (host.protocol !== 'https:' && host.protocol !== 'http:')
          throw new AppError('InvalidHost', `--host must be http or https, not ${host.protocol}`, {
            target: '--host',
          })
        const dir = resolve(options.out)
        mkdirSync(dir, { recursive: true })
        writeFileSync(
          join(dir, 'apiDefinition.swagger.json'),
          `${JSON.stringify(apiDefinition({ host: host.toString() }), null, 2)}\n`,
        )
        writeFileSync(join(dir, 'apiProperties.json'), `${JSON.stringify(apiProperties(), null, 2)}\n`)
        process.stdout.write(
          `wrote ${join(dir, 'apiDefinition.swagger.json')} and apiProperties.json for ${host.origin}\n` +
            'import them in Power Automate: Data → Custom connectors → New custom connector → Import an OpenAPI file (or paconn create)\n',
        )
        if (host.protocol === 'http:' && host.hostname !== 'localhost')
          process.stderr.write(
            'note: Power Automate reaches connectors over https; put a TLS proxy in front of the server\n',
          )
      } catch (error) {
        process.stderr.write(`${formatCliError(error)}\n`)
        process.exitCode = 1
      }
    })
}

import { writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import { configJsonSchema, loadConfigFile } from '../../config/index.js'
import type { CliContext } from '../cli-context.js'
import { formatCliError } from '../output.js'

export function registerConfigCommand(program: Command, context: CliContext): void {
  const config = program.command('config').description('Configuration as code')

  config
    .command('export')
    .description('Write the instance as openinsights.yaml (stdout or --out)')
    .option('-o, --out <file>', 'write to this file')
    .action(async (options: { out?: string }) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const yaml = await client.request<string>('GET', `/api/v1/instances/${instanceId}/config`, {
          accept: 'application/yaml',
        })
        if (options.out) {
          writeFileSync(options.out, yaml)
          process.stderr.write(`wrote ${options.out}\n`)
        } else {
          process.stdout.write(yaml)
        }
      })
    })

  config
    .command('validate')
    .description('Check a configuration file without applying it')
    .requiredOption('-f, --file <file>', 'configuration file')
    .action((options: { file: string }) => {
      try {
        const parsed = loadConfigFile(options.file)
        process.stdout.write(
          `${options.file} is valid: instance ${parsed.instance.id}, ${Object.keys(parsed.dataSources).length} data sources\n`,
        )
      } catch (error) {
        process.stderr.write(`${formatCliError(error)}\n`)
        process.exitCode = 1
      }
    })

  config
    .command('schema')
    .description('Print the JSON Schema of openinsights.yaml, for editors')
    .option('-o, --out <file>', 'write to this file')
    .action((options: { out?: string }) => {
      const text = `${JSON.stringify(configJsonSchema(), null, 2)}\n`
      if (options.out) writeFileSync(options.out, text)
      else process.stdout.write(text)
    })
}

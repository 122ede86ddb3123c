import { createWriteStream, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { AppError } from '../../errors.js'
import type { CliContext } from '../cli-context.js'

const FORMATS = ['csv', 'json', 'ndjson'] as const

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return ''
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value)
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export function registerExportCommand(program: Command, context: CliContext): void {
  program
    .command('export <entity>')
    .description('Write every row of an entity to a file (CSV, JSON or NDJSON), page by page')
    .requiredOption('--out <file>', 'the file to write')
    .option('--format <format>', `${FORMATS.join(', ')}`, 'csv')
    .option('-f, --filter <odata>', 'only rows matching this OData filter')
    .action(async (entity: string, options: { out: string; format: string; filter?: string }) => {
      await context.withApi({}, async (client) => {
        if (!(FORMATS as readonly string[]).includes(options.format))
          throw new AppError('InvalidFormat', `--format ${options.format}: use ${FORMATS.join(', ')}`, {
            target: '--format',
          })
        const instanceId = await context.instanceId(client)
        const file = resolve(options.out)
        writeFileSync(file, '')
        const out = createWriteStream(file)
        const write = (text: string) =>
          new Promise<void>((done) => (out.write(text) ? done() : out.once('drain', done)))
        let skip = 0
        let columns: string[] | undefined
        let rows = 0
        if (options.format === 'json') await write('[')
        for (;;) {
          const page = await client.request<{ value: Record<string, unknown>[] }>(
            'GET',
            `/api/v1/instances/${instanceId}/data/${entity}`,
            { query: { $top: 1000, $skip: skip, $filter: options.filter } },
          )
          for (const row of page.value) {
            if (options.format === 'csv') {
              if (!columns) {
                columns = Object.keys(row)
                await write(`${columns.map(csvCell).join(',')}\n`)
              }
              await write(`${columns.map((c) => csvCell(row[c])).join(',')}\n`)
            } else if (options.format === 'json')
              await write(`${rows === 0 ? '' : ','}\n${JSON.stringify(row)}`)
            else await write(`${JSON.stringify(row)}\n`)
            rows++
          }
          if (page.value.length < 1000) break
          skip += page.value.length
        }
        if (options.format === 'json') await write('\n]\n')
        await new Promise<void>((done) => out.end(done))
        process.stdout.write(`wrote ${rows.toLocaleString('en-US')} rows of ${entity} to ${file}\n`)
      })
    })
}

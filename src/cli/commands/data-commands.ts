import { resolve } from 'node:path'
import type { Command } from 'commander'
import { AppError } from '../../errors.js'
import { dialectText } from '../../pipeline/index.js'
import type { UnifyProposal } from '../../pipeline/unify/index.js'
import type { Refresh } from '../../store/refreshes.js'
import type { CliContext } from '../cli-context.js'
import { formatCount, printTable } from '../output.js'
import { describeOutcome, waitForRefreshes } from '../refresh-progress.js'
import { proposalText } from './unify-command.js'

interface SourceRow {
  name: string
  kind: string
  primaryKey: string
  options: Record<string, unknown>
  lastRefresh: {
    state: string
    rowCount: number | null
    completedAt: string | null
    error: { code: string } | null
  } | null
}

interface EntityRow {
  name: string
  origin: string
  rowCount: number
  schema: { name: string; type: string }[]
  versionId: string
  updatedAt: string
}

export function registerDataCommands(program: Command, context: CliContext): void {
  const sources = program
    .command('sources')
    .description('List data sources with their last refresh')
    .option('--json', 'print JSON', false)
    .action(async (options: { json: boolean }) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const { value } = await client.request<{ value: SourceRow[] }>(
          'GET',
          `/api/v1/instances/${instanceId}/datasources`,
        )
        if (options.json) {
          process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
          return
        }
        printTable(
          value.map((s) => ({
            name: s.name,
            kind: s.kind,
            key: s.primaryKey,
            from: String(s.options.path ?? s.options.table ?? 'query'),
            'last refresh': s.lastRefresh
              ? `${s.lastRefresh.state}${s.lastRefresh.error ? ` (${s.lastRefresh.error.code})` : ''}`
              : 'never',
            rows: formatCount(s.lastRefresh?.rowCount),
          })),
          ['name', 'kind', 'key', 'last refresh', 'rows', 'from'],
        )
      })
    })

  program
    .command('entities')
    .description('List published entities')
    .action(async () => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const { value } = await client.request<{ value: EntityRow[] }>(
          'GET',
          `/api/v1/instances/${instanceId}/entities`,
        )
        printTable(
          value.map((e) => ({
            name: e.name,
            rows: formatCount(e.rowCount),
            columns: e.schema.length,
            version: e.versionId,
            published: e.updatedAt.replace('T', ' ').slice(0, 19),
          })),
          ['name', 'rows', 'columns', 'version', 'published'],
        )
      })
    })

  program
    .command('query <entity>')
    .description('Print rows of an entity, optionally filtered and ordered (OData syntax)')
    .option('-n, --top <n>', 'rows', '20')
    .option('--skip <n>', 'rows to skip', '0')
    .option('-f, --filter <odata>', "e.g. \"city eq 'Aarhus' and startswith(first_name, 'An')\"")
    .option('-s, --select <columns>', 'comma-separated columns')
    .option('-o, --orderby <order>', 'e.g. "last_name asc, age desc"')
    .option('--count', 'print how many rows match', false)
    .option('--json', 'print JSON lines', false)
    .action(
      async (
        entity: string,
        options: {
          top: string
          skip: string
          filter?: string
          select?: string
          orderby?: string
          count: boolean
          json: boolean
        },
      ) => {
        await context.withApi({}, async (client) => {
          const instanceId = await context.instanceId(client)
          const { value, '@odata.count': count } = await client.request<{
            value: Record<string, unknown>[]
            '@odata.count'?: number
          }>('GET', `/api/v1/instances/${instanceId}/data/${entity}`, {
            query: {
              $top: options.top,
              $skip: options.skip,
              $filter: options.filter,
              $select: options.select,
              $orderby: options.orderby,
              $count: options.count ? 'true' : undefined,
            },
          })
          if (count !== undefined) process.stderr.write(`${formatCount(count)} matching rows\n`)
          if (options.json) {
            for (const row of value) process.stdout.write(`${JSON.stringify(row)}\n`)
            return
          }
          printTable(value, Object.keys(value[0] ?? {}))
        })
      },
    )

  sources
    .command('add <name>')
    .description(
      'Add a file as a data source, refresh it, and suggest how its columns map to profile attributes',
    )
    .requiredOption('--path <file>', 'CSV, JSON, NDJSON or Parquet file')
    .requiredOption('--key <column>', 'the column that identifies a record')
    .option('--kind <kind>', 'csv, json, ndjson or parquet (default: from the file name)')
    .option('--delimiter <char>', 'CSV: the field separator (default: detected; "\\t" for tab)')
    .option('--quote <char>', 'CSV: the quote character (default: detected)')
    .option('--encoding <name>', 'CSV: utf-8, latin-1 or utf-16 (default: detected)')
    .option('--decimal-separator <char>', 'CSV: . or , (default: detected)')
    .action(
      async (
        name: string,
        options: {
          path: string
          key: string
          kind?: string
          delimiter?: string
          quote?: string
          encoding?: string
          decimalSeparator?: string
        },
      ) => {
        await context.withApi({ needsWorkers: true }, async (client) => {
          const instanceId = await context.instanceId(client)
          const extension = options.path.toLowerCase().split('.').pop() ?? ''
          const kind =
            options.kind ??
            (
              {
                csv: 'csv',
                tsv: 'csv',
                txt: 'csv',
                json: 'json',
                ndjson: 'ndjson',
                jsonl: 'ndjson',
                parquet: 'parquet',
              } as Record<string, string>
            )[extension]
          if (!kind)
            throw new AppError(
              'UnknownKind',
              `cannot tell the kind of ${options.path} from its name; add --kind csv|json|ndjson|parquet`,
              {
                target: '--kind',
              },
            )
          await client.request('PUT', `/api/v1/instances/${instanceId}/datasources/${name}`, {
            body: {
              kind,
              primaryKey: options.key,
              options: {
                path: resolve(options.path),
                ...(kind === 'csv' ? csvDialectOptions(options) : {}),
              },
            },
          })
          const refresh = await client.request<Refresh>(
            'POST',
            `/api/v1/instances/${instanceId}/datasources/${name}/refresh`,
          )
          const [done] = await waitForRefreshes(client, instanceId, [refresh], { stream: process.stderr })
          if (done?.state !== 'succeeded') {
            process.stdout.write(`${done ? describeOutcome(done) : 'the refresh did not end'}\n`)
            process.exitCode = 1
            return
          }
          process.stdout.write(`${describeOutcome(done)}\n`)
          if (done.dialect) process.stdout.write(`${describeDialect(done.dialect)}\n`)
          process.stdout.write('\n')
          const proposal = await client.request<UnifyProposal>(
            'GET',
            `/api/v1/instances/${instanceId}/unify/suggestions`,
          )
          const only: UnifyProposal = {
            ...proposal,
            sources: {
              [name]: proposal.sources[name] ?? { columns: [], updatedAt: undefined, published: true },
            },
          }
          process.stdout.write(proposalText(only))
          process.stdout.write(
            '\nconfirm with: openinsights unify suggest --apply (or map columns under unify.sources in openinsights.yaml)\n',
          )
        })
      },
    )
}

/** The CSV settings given on the command line (the others are detected). */
function csvDialectOptions(options: {
  delimiter?: string
  quote?: string
  encoding?: string
  decimalSeparator?: string
}): Record<string, string> {
  return {
    ...(options.delimiter ? { delimiter: options.delimiter === '\\t' ? '\t' : options.delimiter } : {}),
    ...(options.quote ? { quote: options.quote } : {}),
    ...(options.encoding ? { encoding: options.encoding } : {}),
    ...(options.decimalSeparator ? { decimalSeparator: options.decimalSeparator } : {}),
  }
}

/** "read as: delimiter ";" (detected), …; set any with --delimiter …". */
export function describeDialect(dialect: Record<string, unknown>): string {
  const detected = Array.isArray(dialect.detected) && dialect.detected.length > 0
  return `read as: ${dialectText(dialect)}${detected ? '; if any is wrong, set it with --delimiter, --quote, --encoding or --decimal-separator (options.* in openinsights.yaml)' : ''}`
}

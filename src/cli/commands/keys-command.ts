import type { Command } from 'commander'
import type { CliContext } from '../cli-context.js'
import { printTable } from '../output.js'

interface ApiKeyOut {
  id: string
  name: string
  prefix: string
  scopes: string[]
  rateLimit: number | null
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
}

const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(/[,|]/)
    .map((s) => s.trim())
    .filter(Boolean),
]

export function registerKeysCommand(program: Command, context: CliContext): void {
  const keys = program.command('keys').description('API keys: one per connection (Power Automate, scripts)')

  keys
    .command('create')
    .description('Create a key; it is printed once, alone on the last line')
    .requiredOption('--name <name>', 'what the connection is for, e.g. power-automate-marketing')
    .option(
      '--scope <scopes>',
      'read, write, subscribe or admin; repeat or separate with commas (default: read,write,subscribe)',
      collect,
    )
    .option(
      '--rate-limit <calls>',
      'calls per window for this connection (0: unlimited; default: the server default)',
    )
    .action(async (options: { name: string; scope?: string[]; rateLimit?: string }) => {
      await context.withApi({}, async (client) => {
        const created = await client.request<ApiKeyOut & { key: string }>('POST', '/api/v1/keys', {
          body: {
            name: options.name,
            ...(options.scope ? { scopes: options.scope } : {}),
            ...(options.rateLimit !== undefined ? { rateLimit: Number(options.rateLimit) } : {}),
          },
        })
        process.stderr.write(
          `created key '${created.name}' (${created.id}) with scopes ${created.scopes.join(', ')}; it is shown once — store it now\n`,
        )
        process.stdout.write(`${created.key}\n`)
      })
    })

  keys
    .command('list')
    .description('List keys (by prefix; keys themselves are not stored)')
    .option('--all', 'include revoked keys', false)
    .action(async (options: { all: boolean }) => {
      await context.withApi({}, async (client) => {
        const { value } = await client.request<{ value: ApiKeyOut[] }>('GET', '/api/v1/keys', {
          query: { includeRevoked: options.all ? 'true' : undefined },
        })
        printTable(
          value.map((k) => ({
            ...k,
            scopes: k.scopes.join(','),
            rateLimit: k.rateLimit === null ? 'default' : k.rateLimit === 0 ? 'unlimited' : k.rateLimit,
            lastUsedAt: k.lastUsedAt?.slice(0, 19).replace('T', ' ') ?? 'never',
            revokedAt: k.revokedAt?.slice(0, 19).replace('T', ' ') ?? '',
          })),
          [
            'id',
            'name',
            'prefix',
            'scopes',
            'rateLimit',
            'lastUsedAt',
            ...(options.all ? ['revokedAt'] : []),
          ],
        )
      })
    })

  keys
    .command('revoke')
    .description('Revoke a key by id or name; calls with it fail with 401 from then on')
    .argument('<key>', 'id or name')
    .action(async (key: string) => {
      await context.withApi({}, async (client) => {
        const revoked = await client.request<ApiKeyOut>('DELETE', `/api/v1/keys/${encodeURIComponent(key)}`)
        process.stdout.write(`revoked key '${revoked.name}' (${revoked.id})\n`)
      })
    })
}

import type { Command } from 'commander'
import { AppError } from '../../errors.js'
import type { CliContext } from '../cli-context.js'
import { printTable } from '../output.js'

interface SubscriptionOut {
  id: string
  eventType: string
  callbackUrl: string
  parameters: Record<string, unknown>
  createdAt: string
  removedAt: string | null
  removedReason: string | null
  secret?: string
}

interface DeliveryOut {
  id: string
  subscriptionId: string
  eventId: string
  state: string
  attemptCount: number
  nextAttemptAt: string | null
  lastStatus: number | null
  lastError: string | null
  createdAt: string
  attempts?: {
    attempt: number
    startedAt: string
    latencyMs: number
    status: number | null
    error: string | null
  }[]
}

const time = (iso: string | null) => iso?.slice(0, 19).replace('T', ' ') ?? ''

/** `--param name=value`: numbers stay numbers. */
function parseParams(values: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const value of values) {
    const at = value.indexOf('=')
    if (at <= 0)
      throw new AppError('InvalidParameter', `--param ${value}: write it as name=value`, {
        target: '--param',
      })
    const raw = value.slice(at + 1)
    out[value.slice(0, at)] = raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw
  }
  return out
}

export function registerWebhookCommands(program: Command, context: CliContext): void {
  const subscriptions = program
    .command('subscriptions')
    .description('Webhook subscriptions to the six triggers')

  subscriptions
    .command('list')
    .description('List subscriptions')
    .option('--all', 'include removed ones, with the reason', false)
    .action(async (options: { all: boolean }) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const { value } = await client.request<{ value: SubscriptionOut[] }>(
          'GET',
          `/api/v1/instances/${instanceId}/subscriptions`,
          {
            query: { includeRemoved: options.all ? 'true' : undefined },
          },
        )
        printTable(
          value.map((s) => ({
            ...s,
            createdAt: time(s.createdAt),
            removed: s.removedAt ? `${time(s.removedAt)} ${s.removedReason}` : '',
          })),
          ['id', 'eventType', 'callbackUrl', 'parameters', 'createdAt', ...(options.all ? ['removed'] : [])],
        )
      })
    })

  subscriptions
    .command('create')
    .description('Subscribe a URL to a trigger; prints the signing secret last')
    .requiredOption('--event <type>', 'e.g. datasource.refresh.failed')
    .requiredOption('--url <url>', 'where to POST deliveries')
    .option(
      '--param <name=value...>',
      'trigger parameters, e.g. dataSourceName=crm_contacts or segmentName=VIP threshold=10000',
    )
    .action(async (options: { event: string; url: string; param?: string[] }) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const created = await client.request<SubscriptionOut>(
          'POST',
          `/api/v1/instances/${instanceId}/subscriptions`,
          {
            body: {
              eventType: options.event,
              callbackUrl: options.url,
              parameters: parseParams(options.param),
            },
          },
        )
        process.stderr.write(
          `subscribed ${created.callbackUrl} to ${created.eventType} (${created.id}); signing secret:\n`,
        )
        process.stdout.write(`${created.secret}\n`)
      })
    })

  subscriptions
    .command('delete')
    .description('Unsubscribe (pending deliveries are cancelled)')
    .argument('<id>')
    .action(async (id: string) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        await client.request(
          'DELETE',
          `/api/v1/instances/${instanceId}/subscriptions/${encodeURIComponent(id)}`,
        )
        process.stdout.write(`unsubscribed ${id}\n`)
      })
    })

  const deliveries = program
    .command('deliveries')
    .description('Webhook deliveries: history, dead letters, redrive')

  deliveries
    .command('list')
    .description('List deliveries, newest first')
    .option('--state <state>', 'pending, succeeded, dead or cancelled (dead: the dead-letter list)')
    .option('--subscription <id>', 'of one subscription')
    .option('-n, --top <n>', 'how many at most', '50')
    .action(async (options: { state?: string; subscription?: string; top: string }) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const { value } = await client.request<{ value: DeliveryOut[] }>(
          'GET',
          `/api/v1/instances/${instanceId}/deliveries`,
          {
            query: { state: options.state, subscriptionId: options.subscription, $top: options.top },
          },
        )
        printTable(
          value.map((d) => ({ ...d, createdAt: time(d.createdAt), nextAttemptAt: time(d.nextAttemptAt) })),
          ['id', 'state', 'attemptCount', 'lastStatus', 'lastError', 'nextAttemptAt', 'createdAt'],
        )
      })
    })

  deliveries
    .command('show')
    .description('One delivery with every attempt')
    .argument('<id>', 'eventId:subscriptionId')
    .action(async (id: string) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const d = await client.request<DeliveryOut>(
          'GET',
          `/api/v1/instances/${instanceId}/deliveries/${encodeURIComponent(id)}`,
        )
        process.stdout.write(`${d.id}: ${d.state} after ${d.attemptCount} attempt(s)\n`)
        printTable(
          (d.attempts ?? []).map((a) => ({
            ...a,
            startedAt: time(a.startedAt),
            latency: `${a.latencyMs} ms`,
          })),
          ['attempt', 'startedAt', 'status', 'latency', 'error'],
        )
      })
    })

  deliveries
    .command('redrive')
    .description('Put dead deliveries back on a fresh retry schedule (all, or the ids given)')
    .argument('[ids...]', 'delivery ids; all dead ones when none')
    .option('--subscription <id>', 'only dead deliveries of this subscription')
    .action(async (ids: string[], options: { subscription?: string }) => {
      await context.withApi({ needsWorkers: true }, async (client) => {
        const instanceId = await context.instanceId(client)
        const { redriven } = await client.request<{ redriven: string[] }>(
          'POST',
          `/api/v1/instances/${instanceId}/deliveries/redrive`,
          {
            body: {
              ...(ids.length > 0 ? { ids } : {}),
              ...(options.subscription ? { subscriptionId: options.subscription } : {}),
            },
          },
        )
        process.stdout.write(
          `redriven ${redriven.length} deliver${redriven.length === 1 ? 'y' : 'ies'}${redriven.length ? `: ${redriven.join(', ')}` : ''}\n`,
        )
      })
    })
}

import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { AppError } from '../../errors.js'
import type { ActionRecord } from '../../store/flow-run-actions.js'
import type { FlowRun } from '../../store/flow-runs.js'
import type { CliContext } from '../cli-context.js'
import { formatDuration, printTable } from '../output.js'

const collect = (value: string, previous: string[]) => [...previous, value]

function parseSets(sets: string[]): Record<string, string> {
  return Object.fromEntries(
    sets.map((s) => {
      const at = s.indexOf('=')
      if (at <= 0) throw new AppError('InvalidSet', `--set ${s}: write name=value`, { target: '--set' })
      return [s.slice(0, at), s.slice(at + 1)]
    }),
  )
}

const MARK: Record<string, string> = { Succeeded: '✓', Failed: '✗', TimedOut: '⏱', Skipped: '–' }

/** One line of JSON, cut to a readable length. */
function compact(value: unknown, max = 160): string {
  const text = JSON.stringify(value) ?? 'null'
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/** A run as Power Automate's run history shows it: the trigger, then each action in order, nested. */
export function runTree(
  run: FlowRun & { actions: ActionRecord[]; trigger: Record<string, unknown> },
  options: { full?: boolean } = {},
): string {
  const lines: string[] = []
  const state = run.state[0]?.toUpperCase() + run.state.slice(1)
  lines.push(
    `Run ${run.id} of "${run.flowName}": ${state}${run.durationMs !== null ? ` in ${formatDuration(run.durationMs)}` : ''}${run.rerunOf ? ` (re-run of ${run.rerunOf}${run.rerunFrom ? ` from ${run.rerunFrom}` : ''})` : ''}`,
  )
  if (run.error) lines.push(`  ${run.error.code}: ${run.error.message}`)
  const trigger = run.trigger as { type?: string; id?: string | null; occurredAt?: string; data?: unknown }
  lines.push(
    `⚡ Trigger ${trigger.type}${trigger.id ? ` (event ${trigger.id})` : ' (run by hand)'} at ${String(
      trigger.occurredAt ?? '',
    )
      .replace('T', ' ')
      .slice(0, 19)}`,
  )
  lines.push(
    `    body: ${options.full ? JSON.stringify(trigger.data, null, 2).replaceAll('\n', '\n    ') : compact(trigger.data)}`,
  )
  const ordered = [...run.actions].sort(
    (a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }) || a.startedAt.localeCompare(b.startedAt),
  )
  const byStart = [...ordered].sort(
    (a, b) => a.startedAt.localeCompare(b.startedAt) || a.path.localeCompare(b.path),
  )
  // Children after their container: order by the container chain, then by start.
  const key = (r: ActionRecord) => {
    const parts = r.path.split('/')
    return parts
      .map((_, i) => {
        const prefix = parts.slice(0, i + 1).join('/')
        const found = byStart.findIndex((x) => x.path === prefix)
        return String(found === -1 ? 0 : found).padStart(5, '0') + prefix
      })
      .join('|')
  }
  for (const record of ordered.sort((a, b) => key(a).localeCompare(key(b)))) {
    const depth = record.path.split('/').filter((p) => p !== 'actions' && p !== 'else').length - 1
    const indent = '  '.repeat(depth)
    const branch = /\/else\//.test(record.path) ? ' (else)' : ''
    const iteration = /\[(\d+)\]\/[^/]+$/.exec(record.path)?.[1]
    lines.push(
      `${indent}${MARK[record.status] ?? '?'} ${iteration !== undefined ? `[${iteration}] ` : ''}${record.name}${branch}  ${record.type}  ${record.status}${record.status === 'Skipped' ? '' : `  ${formatDuration(record.durationMs)}${record.attempts > 1 ? `, ${record.attempts} attempts` : ''}`}`,
    )
    if (record.status === 'Skipped') continue
    if (record.error) lines.push(`${indent}    error: ${record.error.code}: ${record.error.message}`)
    if (record.inputs !== null && record.inputs !== undefined)
      lines.push(
        `${indent}    inputs: ${options.full ? JSON.stringify(record.inputs) : compact(record.inputs)}`,
      )
    if (record.outputs !== null && record.outputs !== undefined)
      lines.push(
        `${indent}    outputs: ${options.full ? JSON.stringify(record.outputs) : compact(record.outputs)}`,
      )
  }
  return lines.join('\n')
}

export function registerFlowCommands(program: Command, context: CliContext): void {
  const flows = program.command('flows').description('Flows: a trigger and steps (Teams, email, HTTP, …)')
  flows
    .command('list', { isDefault: true })
    .description('Every flow with its trigger and whether it is on')
    .action(async () => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const { value } = await client.request<{
          value: {
            name: string
            enabled: boolean
            origin: string
            definition: { trigger: { type: string; parameters: unknown }; actions: Record<string, unknown> }
          }[]
        }>('GET', `/api/v1/instances/${instanceId}/flows`)
        printTable(
          value.map((f) => ({
            name: f.name,
            on: f.enabled ? 'yes' : 'no',
            trigger: `${f.definition.trigger.type} ${compact(f.definition.trigger.parameters, 60)}`,
            actions: Object.keys(f.definition.actions).join(', '),
            origin: f.origin,
          })),
          ['name', 'on', 'trigger', 'actions', 'origin'],
        )
      })
    })
  flows
    .command('templates')
    .description('The templates flows add --template installs')
    .action(async () => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const { value } = await client.request<{
          value: { id: string; title: string; parameters: Record<string, { required: boolean }> }[]
        }>('GET', `/api/v1/instances/${instanceId}/flow-templates`)
        printTable(
          value.map((t) => ({
            id: t.id,
            title: t.title,
            parameters: Object.entries(t.parameters)
              .map(([k, p]) => (p.required ? k : `[${k}]`))
              .join(' '),
          })),
          ['id', 'title', 'parameters'],
        )
      })
    })
  flows
    .command('add [name]')
    .description(
      'Add a flow from a template (--template ID --set k=v…) or a definition file (--file FLOW.json)',
    )
    .option('-t, --template <id>', 'a template: teams-on-refresh-failure, email-on-segment-threshold')
    .option('--set <name=value>', 'a template parameter (repeatable)', collect, [])
    .option('-f, --file <file>', 'a JSON workflow definition')
    .option('--replace', 'replace the flow of that name if there is one', false)
    .action(
      async (
        name: string | undefined,
        options: { template?: string; set: string[]; file?: string; replace: boolean },
      ) => {
        await context.withApi({}, async (client) => {
          const instanceId = await context.instanceId(client)
          if (options.template) {
            const added = await client.request<{ name: string; action: string }>(
              'POST',
              `/api/v1/instances/${instanceId}/flow-templates/${options.template}`,
              {
                body: { ...(name ? { name } : {}), values: parseSets(options.set), replace: options.replace },
              },
            )
            process.stdout.write(`${added.action}: flow "${added.name}" from template ${options.template}\n`)
            return
          }
          if (!options.file || !name)
            throw new AppError('MissingOption', 'give --template ID, or a NAME and --file FLOW.json', {
              target: '--template',
            })
          let definition: unknown
          try {
            definition = JSON.parse(readFileSync(options.file, 'utf8'))
          } catch (error) {
            throw new AppError(
              'UnreadableFile',
              `${options.file}: ${(error as Error).message}; give a JSON workflow definition`,
              { target: options.file },
            )
          }
          if (!options.replace) {
            const { value } = await client.request<{ value: { name: string }[] }>(
              'GET',
              `/api/v1/instances/${instanceId}/flows`,
            )
            if (value.some((flow) => flow.name === name))
              throw new AppError(
                'FlowExists',
                `a flow named '${name}' exists; choose another name, or add --replace to replace it`,
                { target: 'name' },
              )
          }
          const saved = await client.request<{ action: string }>(
            'PUT',
            `/api/v1/instances/${instanceId}/flows/${encodeURIComponent(name)}`,
            { body: definition },
          )
          process.stdout.write(`${saved.action}: flow "${name}"\n`)
        })
      },
    )
  flows
    .command('show <name>')
    .description('The flow definition as JSON')
    .action(async (name: string) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const flow = await client.request<{ definition: unknown }>(
          'GET',
          `/api/v1/instances/${instanceId}/flows/${encodeURIComponent(name)}`,
        )
        process.stdout.write(`${JSON.stringify(flow.definition, null, 2)}\n`)
      })
    })
  flows
    .command('delete <name>')
    .description('Delete a flow (its runs stay in the history)')
    .action(async (name: string) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        await client.request('DELETE', `/api/v1/instances/${instanceId}/flows/${encodeURIComponent(name)}`)
        process.stdout.write(`deleted flow "${name}"\n`)
      })
    })
  flows
    .command('run <name>')
    .description('Run a flow now with a trigger body of --set name=value pairs (a test run)')
    .option('--set <name=value>', 'a field of the trigger body (repeatable)', collect, [])
    .action(async (name: string, options: { set: string[] }) => {
      await context.withApi({ needsWorkers: true }, async (client) => {
        const instanceId = await context.instanceId(client)
        const started = await client.request<FlowRun>(
          'POST',
          `/api/v1/instances/${instanceId}/flows/${encodeURIComponent(name)}/runs`,
          { body: parseSets(options.set) },
        )
        process.stderr.write(`run ${started.id} queued\n`)
        for (;;) {
          const current = await client.request<
            FlowRun & { actions: ActionRecord[]; trigger: Record<string, unknown> }
          >('GET', `/api/v1/instances/${instanceId}/flow-runs/${started.id}`)
          if (current.state !== 'queued' && current.state !== 'running') {
            process.stdout.write(`${runTree(current)}\n`)
            if (current.state !== 'succeeded') process.exitCode = 1
            return
          }
          await new Promise((resolve) => setTimeout(resolve, 250))
        }
      })
    })

  const runs = program.command('runs').description('Flow run history')
  runs
    .command('list', { isDefault: true })
    .description('Flow runs, newest first')
    .option('--flow <name>', 'only this flow')
    .option('--state <state>', 'queued, running, succeeded, failed or cancelled')
    .option('-n, --top <n>', 'how many', '20')
    .action(async (options: { flow?: string; state?: string; top: string }) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const { value } = await client.request<{ value: FlowRun[] }>(
          'GET',
          `/api/v1/instances/${instanceId}/flow-runs`,
          {
            query: { flow: options.flow, state: options.state, $top: options.top },
          },
        )
        printTable(
          value.map((r) => ({
            id: r.id,
            flow: r.flowName,
            state: r.state,
            duration: formatDuration(r.durationMs),
            started: (r.startedAt ?? r.requestedAt).replace('T', ' ').slice(0, 19),
            error: r.error ? `${r.error.code}: ${r.error.message}` : '',
          })),
          ['id', 'flow', 'state', 'duration', 'started', 'error'],
        )
      })
    })
  runs
    .command('show <id>')
    .description("A run as a tree: the trigger and each action's inputs, outputs, status and timing")
    .option('--full', 'whole inputs and outputs, not cut to one line', false)
    .action(async (id: string, options: { full: boolean }) => {
      await context.withApi({}, async (client) => {
        const instanceId = await context.instanceId(client)
        const found = await client.request<
          FlowRun & { actions: ActionRecord[]; trigger: Record<string, unknown> }
        >('GET', `/api/v1/instances/${instanceId}/flow-runs/${id}`)
        process.stdout.write(`${runTree(found, options)}\n`)
      })
    })
  runs
    .command('rerun <id>')
    .description('Run a finished run again, from the start or (--from-failed) from its failed action')
    .option('--from-failed', 'keep the actions that succeeded', false)
    .action(async (id: string, options: { fromFailed: boolean }) => {
      await context.withApi({ needsWorkers: true }, async (client) => {
        const instanceId = await context.instanceId(client)
        const again = await client.request<FlowRun>(
          'POST',
          `/api/v1/instances/${instanceId}/flow-runs/${id}/rerun`,
          {
            body: { from: options.fromFailed ? 'failed' : 'start' },
          },
        )
        process.stdout.write(`run ${again.id} queued (re-run of ${id})\n`)
      })
    })

  program
    .command('smtp')
    .description("The instance's SMTP server for email.send")
    .command('set')
    .description('Set it (stored sealed)')
    .requiredOption('--host <host>', 'server name')
    .option('--port <port>', 'port', '587')
    .option('--secure', 'TLS from the start (port 465)', false)
    .option('--user <user>', 'login')
    .option('--password <password>', 'password (or OPENINSIGHTS_SMTP_PASSWORD)')
    .requiredOption('--from <from>', 'sender, e.g. "Insights <insights@contoso.com>"')
    .action(
      async (options: {
        host: string
        port: string
        secure: boolean
        user?: string
        password?: string
        from: string
      }) => {
        await context.withApi({}, async (client) => {
          const instanceId = await context.instanceId(client)
          const password = options.password ?? process.env.OPENINSIGHTS_SMTP_PASSWORD
          await client.request('PUT', `/api/v1/instances/${instanceId}/settings/smtp`, {
            body: {
              host: options.host,
              port: Number(options.port),
              secure: options.secure,
              ...(options.user ? { user: options.user } : {}),
              ...(password ? { password } : {}),
              from: options.from,
            },
          })
          process.stdout.write(`SMTP server set: ${options.host}:${options.port}\n`)
        })
      },
    )
}

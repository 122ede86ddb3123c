import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { validateAdaptiveCard } from './helpers/adaptive-cards.js'
import { freshHome, runCli, type ServerProcess, startServer } from './helpers/processes.js'
import { type SmtpSink, startSmtpSink } from './helpers/smtp-sink.js'
import { waitFor } from './helpers/wait.js'
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js'

let server: ServerProcess | undefined
let receiver: WebhookReceiver | undefined
let smtp: SmtpSink | undefined
afterAll(async () => {
  await server?.stop()
  await receiver?.close()
  await smtp?.close()
})

describe('flow templates on the demo, from the CLI', () => {
  const home = freshHome({ store: 'empty' })
  const env = {
    OPENINSIGHTS_HOME: home,
    OPENINSIGHTS_REFRESH_RETRIES: '0',
    OPENINSIGHTS_OUTBOUND_ALLOW: '127.0.0.0/8',
    OPENINSIGHTS_FLOW_LEASE: '2',
  }
  const mails = () => smtp?.mails ?? []

  it('(a) posts one valid Adaptive Card to Teams when a demo source refresh fails, naming the source and the error', async () => {
    receiver = await startWebhookReceiver()
    // As Teams' incoming webhooks answer.
    receiver.on('/teams/webhookb2/TOKEN-123', () => ({ status: 200, body: '1' }))
    server = await startServer(['--demo'], env)
    await server.waitForOutput(/ready in [\d.]+ s/, 60_000)
    const added = await runCli(
      [
        'flows',
        'add',
        '--template',
        'teams-on-refresh-failure',
        '--set',
        `webhookUrl=${receiver.url}/teams/webhookb2/TOKEN-123`,
      ],
      env,
    )
    expect(added.code, added.stderr).toBe(0)
    expect(added.stdout).toMatch(/created: flow "Teams on refresh failure"/)

    const file = join(home, 'demo-data', 'crm-contacts.csv')
    const original = readFileSync(file)
    writeFileSync(file, 'this is not a CSV export\n')
    try {
      const refreshed = await runCli(['refresh', '--source', 'crm_contacts', '--wait'], env)
      expect(refreshed.code).toBe(1)
      const r = receiver
      await waitFor(
        async () => (r.requestsTo('/teams/webhookb2/TOKEN-123').length > 0 ? true : undefined),
        'the Teams message',
      )
      await new Promise((resolve) => setTimeout(resolve, 500))
      const posts = r.requestsTo('/teams/webhookb2/TOKEN-123')
      expect(posts).toHaveLength(1)
      const message = JSON.parse(posts[0]!.body)
      expect(message).toMatchObject({
        type: 'message',
        attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive' }],
      })
      const content = message.attachments[0].content
      const { problems, items } = validateAdaptiveCard(content)
      expect(problems).toEqual([])
      expect(items).toBe(3)
      const text = JSON.stringify(content)
      expect(text).toContain('Refresh of crm_contacts failed')
      expect(text).toContain('ColumnNotFound')
      expect(text).toContain("column 'contact_id' named as its primary key is not in the data")
    } finally {
      writeFileSync(file, original)
    }
    // The run history reads like Power Automate's, and never shows the webhook's token.
    const runs = await runCli(['runs'], env)
    const runId = runs.stdout.split('\n')[1]?.split(/\s+/)[0] as string
    const shown = await runCli(['runs', 'show', runId, '--full'], env)
    expect(shown.stdout).toMatch(/^Run \w+ of "Teams on refresh failure": Succeeded in /)
    expect(shown.stdout).toMatch(/⚡ Trigger datasource\.refresh\.failed \(event \w+\)/)
    expect(shown.stdout).toMatch(/✓ Post_message {2}teams\.postMessage {2}Succeeded/)
    expect(shown.stdout).not.toContain('TOKEN-123')
  }, 180_000)

  it('(b) emails the data owners with the segment name and count when it crosses the threshold', async () => {
    smtp = await startSmtpSink()
    const port = smtp.port
    expect(
      (
        await runCli(
          [
            'smtp',
            'set',
            '--host',
            '127.0.0.1',
            '--port',
            String(port),
            '--from',
            'Insights <insights@contoso.test>',
          ],
          env,
        )
      ).code,
    ).toBe(0)

    // The demo's own first computation (after its first unification) must have ended first.
    const before = await waitFor(
      async () => {
        const runs = (await server!.fetchJson('/api/v1/instances/demo/insights/runs')).value as {
          state: string
        }[]
        const segments = await server!.fetchJson('/api/v1/instances/demo/segments')
        const count = segments.value.find(
          (s: { name: string }) => s.name === 'HighValueCustomers',
        ).memberCount
        return runs.length > 0 &&
          runs.every((r) => r.state === 'succeeded' || r.state === 'failed') &&
          count !== null
          ? (count as number)
          : undefined
      },
      'the demo segments',
      60_000,
    )
    const threshold = before + 1
    const added = await runCli(
      [
        'flows',
        'add',
        '--template',
        'email-on-segment-threshold',
        '--set',
        'to=owners@contoso.test',
        '--set',
        'segment=HighValueCustomers',
        '--set',
        `threshold=${threshold}`,
      ],
      env,
    )
    expect(added.code, added.stderr).toBe(0)
    // Loosen the segment and recompute: its count goes past the threshold.
    const put = await fetch(`${server!.url}/api/v1/instances/demo/segments/HighValueCustomers`, {
      method: 'PUT',
      headers: { 'x-api-key': server!.adminKey, 'content-type': 'application/json' },
      body: JSON.stringify({ filter: 'LifetimeValue ge 5000' }),
    })
    expect(put.status).toBe(200)
    await server!.fetchJson('/api/v1/instances/demo/insights/runs', { method: 'POST' })
    await waitFor(async () => (mails().length > 0 ? true : undefined), 'the email', 60_000)
    const after = (await server!.fetchJson('/api/v1/instances/demo/segments')).value.find(
      (s: { name: string }) => s.name === 'HighValueCustomers',
    ).memberCount as number
    expect(after).toBeGreaterThanOrEqual(threshold)
    expect(mails()).toHaveLength(1)
    expect(mails()[0]).toMatchObject({ to: 'owners@contoso.test' })
    expect(mails()[0]!.subject).toBe(`Segment HighValueCustomers went up past ${threshold} members`)
    expect(mails()[0]!.html).toContain(`<b>${after.toLocaleString('en-US')}</b> members`)
    expect(mails()[0]!.html).toContain(`before: ${before.toLocaleString('en-US')}`)
    // The members who joined at that refresh, as an HTML table (a looser filter only adds members).
    const joined = after - before
    expect(mails()[0]!.html).toContain(`${joined.toLocaleString('en-US')} joined at the last refresh`)
    expect(mails()[0]!.html).toContain('<table><thead><tr><th>CustomerId</th>')
    expect(mails()[0]!.html.match(/<tr><td>/g)?.length).toBe(Math.min(joined, 100))

    // The daily digest: Recurrence → Get items → Create HTML table → email; tested now.
    const digest = await runCli(
      [
        'flows',
        'add',
        '--template',
        'daily-segment-digest',
        '--set',
        'to=owners@contoso.test',
        '--set',
        'segment=HighValueCustomers',
        '--set',
        'hour=7',
        '--set',
        'timeZone=W. Europe Standard Time',
      ],
      env,
    )
    expect(digest.code, digest.stderr).toBe(0)
    const flow = await server!.fetchJson('/api/v1/instances/demo/flows/Daily%20segment%20digest')
    expect(flow.definition.trigger).toEqual({
      type: 'Recurrence',
      recurrence: {
        frequency: 'Day',
        interval: 1,
        timeZone: 'W. Europe Standard Time',
        schedule: { hours: [7], minutes: [0] },
      },
      parameters: {},
    })
    await server!.fetchJson('/api/v1/instances/demo/flows/Daily%20segment%20digest/test', { method: 'POST' })
    await waitFor(async () => (mails().length > 1 ? true : undefined), 'the digest', 60_000)
    expect(mails()[1]!.subject).toBe(`Segment HighValueCustomers: ${after.toLocaleString('en-US')} members`)
    expect(mails()[1]!.html).toContain(`${joined.toLocaleString('en-US')} joined at the last refresh`)
    expect(mails()[1]!.html.match(/<tr><td>/g)?.length).toBe(Math.min(joined, 100))
  }, 180_000)

  it('resumes a run after its worker is killed during a slow HTTP action, without repeating finished actions', async () => {
    const r = receiver as WebhookReceiver
    r.on('/slow', () => ({ status: 200, body: 'slow done', delayMs: 4000 }))
    const definition = {
      trigger: { type: 'unify.completed' },
      actions: {
        First: { type: 'http', inputs: { method: 'POST', uri: `${r.url}/first` } },
        Slow: {
          type: 'http',
          runAfter: { First: ['Succeeded'] },
          inputs: { method: 'POST', uri: `${r.url}/slow` },
        },
        Third: {
          type: 'http',
          runAfter: { Slow: ['Succeeded'] },
          inputs: { method: 'POST', uri: `${r.url}/third`, body: "@body('Slow')" },
        },
      },
    }
    const saved = await fetch(`${server!.url}/api/v1/instances/demo/flows/Slow%20one`, {
      method: 'PUT',
      headers: { 'x-api-key': server!.adminKey, 'content-type': 'application/json' },
      body: JSON.stringify(definition),
    })
    expect(saved.status).toBe(200)
    const run = await server!.fetchJson('/api/v1/instances/demo/flows/Slow%20one/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    await waitFor(async () => (r.requestsTo('/slow').length > 0 ? true : undefined), 'the slow request')
    server!.child.kill('SIGKILL')
    await server!.stop()
    server = await startServer([], env)
    await waitFor(
      async () => {
        const current = await server!.fetchJson(`/api/v1/instances/demo/flow-runs/${run.id}`)
        return current.state === 'succeeded' ? current : undefined
      },
      'the resumed run',
      60_000,
    )
    expect(r.requestsTo('/first')).toHaveLength(1)
    expect(r.requestsTo('/third').map((q) => q.body)).toEqual(['slow done'])
    const finished = await server!.fetchJson(`/api/v1/instances/demo/flow-runs/${run.id}`)
    expect(finished.actions.map((a: { path: string; status: string }) => [a.path, a.status])).toEqual([
      ['First', 'Succeeded'],
      ['Slow', 'Succeeded'],
      ['Third', 'Succeeded'],
    ])
  }, 180_000)

  it('runs a scheduled flow with variables, a loop, a scope and its catch, a switch and an HTML table, and survives kill -9 mid-run', async () => {
    const r = receiver as WebhookReceiver
    r.on('/slow-built-ins', () => ({ status: 200, body: 'slow done', delayMs: 4000 }))
    r.on('/refuse', () => ({ status: 500, body: 'refused' }))
    const definition = {
      trigger: { type: 'Recurrence', recurrence: { frequency: 'Minute', interval: 1 } },
      actions: {
        Init_count: {
          type: 'InitializeVariable',
          inputs: { variables: [{ name: 'count', type: 'integer', value: 0 }] },
        },
        Init_log: {
          type: 'InitializeVariable',
          inputs: { variables: [{ name: 'log', type: 'string', value: 'start' }] },
          runAfter: { Init_count: ['Succeeded'] },
        },
        Get_members: {
          type: 'connector.getItems',
          inputs: { entity: 'SegmentHighValueCustomers', $top: 5 },
          runAfter: { Init_log: ['Succeeded'] },
        },
        Each_member: {
          type: 'Foreach',
          foreach: "@body('Get_members')?['value']",
          actions: { Count: { type: 'IncrementVariable', inputs: { name: 'count', value: 1 } } },
          runAfter: { Get_members: ['Succeeded'] },
        },
        Try: {
          type: 'Scope',
          actions: {
            Slow: { type: 'Http', inputs: { method: 'POST', uri: `${r.url}/slow-built-ins` } },
            Refused: {
              type: 'Http',
              inputs: { method: 'POST', uri: `${r.url}/refuse` },
              retryPolicy: { type: 'none' },
              runAfter: { Slow: ['Succeeded'] },
            },
          },
          runAfter: { Each_member: ['Succeeded'] },
        },
        Catch: {
          type: 'Scope',
          actions: {
            Note: {
              type: 'AppendToStringVariable',
              inputs: {
                name: 'log',
                value: "@{' | caught '}@{first(skip(result('Try'), 1))?['name']}",
              },
            },
          },
          runAfter: { Try: ['Failed', 'TimedOut'] },
        },
        Route: {
          type: 'Switch',
          expression: "@variables('count')",
          cases: {
            Five: {
              case: 5,
              actions: {
                Five_members: { type: 'AppendToStringVariable', inputs: { name: 'log', value: ' | five' } },
              },
            },
          },
          default: {
            actions: {
              Other: { type: 'AppendToStringVariable', inputs: { name: 'log', value: ' | other' } },
            },
          },
          runAfter: { Catch: ['Succeeded'] },
        },
        Table: {
          type: 'Table',
          inputs: {
            from: "@body('Get_members')?['value']",
            format: 'HTML',
            columns: [{ header: 'Customer', value: "@item()?['CustomerId']" }],
          },
          runAfter: { Route: ['Succeeded'] },
        },
        Report: {
          type: 'Http',
          inputs: {
            method: 'POST',
            uri: `${r.url}/built-ins-report`,
            body: { count: "@variables('count')", log: "@variables('log')", table: "@body('Table')" },
          },
          runAfter: { Table: ['Succeeded'] },
        },
      },
    }
    const put = (body: unknown) =>
      fetch(`${server!.url}/api/v1/instances/demo/flows/Built-ins%20every%20minute`, {
        method: 'PUT',
        headers: { 'x-api-key': server!.adminKey, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect((await put(definition)).status).toBe(200)
    // The scheduler starts it at the next minute; it is killed while the scope's slow call runs.
    await waitFor(
      async () => (r.requestsTo('/slow-built-ins').length > 0 ? true : undefined),
      'the scheduled run',
      90_000,
    )
    server!.child.kill('SIGKILL')
    await server!.stop()
    server = await startServer([], env)
    const report = await waitFor(
      async () => r.requestsTo('/built-ins-report')[0],
      'the report of the resumed run',
      90_000,
    )
    // Stop the schedule before anything else runs.
    expect((await put({ ...definition, enabled: false })).status).toBe(200)
    const body = JSON.parse(report.body) as { count: number; log: string; table: string }
    expect(body.count).toBe(5)
    expect(body.log).toBe('start | caught Refused | five')
    expect(body.table.match(/<tr><td>/g)).toHaveLength(5)
    const runs = (await server!.fetchJson('/api/v1/instances/demo/flow-runs?flow=Built-ins%20every%20minute'))
      .value as { id: string; state: string }[]
    const resumed = runs.find((run) => run.state === 'succeeded')
    const finished = await server!.fetchJson(`/api/v1/instances/demo/flow-runs/${resumed?.id}`)
    expect(finished.trigger.type).toBe('Recurrence')
    const statusOf = (path: string) =>
      (finished.actions as { path: string; status: string }[]).find((a) => a.path === path)?.status
    expect(statusOf('Each_member[4]/Count')).toBe('Succeeded')
    expect(statusOf('Try/actions/Refused')).toBe('Failed')
    expect(statusOf('Try')).toBe('Failed')
    expect(statusOf('Catch')).toBe('Succeeded')
    expect(statusOf('Route/cases/Five/actions/Five_members')).toBe('Succeeded')
  }, 240_000)
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startManualRun } from '../src/flows/flow-runs.js'
import { flowDefinitionSchema, runDueRecurrences, saveFlow } from '../src/flows/index.js'
import type { Runtime } from '../src/runtime/index.js'
import { listActionRecords } from '../src/store/flow-run-actions.js'
import { getFlowRun } from '../src/store/flow-runs.js'
import { getFlow } from '../src/store/flows.js'
import { upsertInstance } from '../src/store/instances.js'
import { resumeAbandonedRun } from './helpers/abandoned-run.js'
import { createTestStore, type TestStore } from './helpers/test-store.js'
import { waitFor } from './helpers/wait.js'
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js'

/**
 * Power Automate's built-in actions, in the shapes its "Peek code" and Logic Apps exports write
 * (PascalCase types, the designer's condition objects, Wait's count and unit), run end to end.
 */
describe("Power Automate's built-in actions", () => {
  let store: TestStore
  let runtime: Runtime
  let sink: WebhookReceiver

  beforeAll(async () => {
    store = await createTestStore('pglite', { OPENINSIGHTS_OUTBOUND_ALLOW: '127.0.0.0/8' })
    runtime = await store.open()
    await upsertInstance(runtime.db, { id: 'shop', name: 'Shop' })
    sink = await startWebhookReceiver()
  }, 60_000)
  afterAll(async () => {
    await sink?.close()
    await store?.dispose()
  })

  const runFlow = async (
    name: string,
    actions: Record<string, unknown>,
    body: Record<string, unknown> = {},
  ) => {
    await saveFlow(
      runtime.db,
      'shop',
      name,
      { enabled: false, trigger: { type: 'datasource.refresh.failed' }, actions } as never,
      'api',
    )
    const started = await startManualRun(runtime.db, runtime.nudgeFlowRuns, 'shop', name, body)
    const run = await waitFor(async () => {
      const found = await getFlowRun(runtime.db, started.id)
      return found && !['queued', 'running'].includes(found.state) ? found : undefined
    }, `the run of ${name}`)
    const records = Object.fromEntries((await listActionRecords(runtime.db, run.id)).map((r) => [r.path, r]))
    return { run, records }
  }

  it('runs variables, a switch, a scope with try/catch, an HTML table and a Do until, as Peek code writes them', async () => {
    const { run, records } = await runFlow('Built-ins', {
      Initialize_count: {
        type: 'InitializeVariable',
        inputs: { variables: [{ name: 'count', type: 'integer', value: 0 }] },
        runAfter: {},
      },
      Initialize_log: {
        type: 'InitializeVariable',
        inputs: { variables: [{ name: 'log', type: 'string', value: 'start' }] },
        runAfter: { Initialize_count: ['Succeeded'] },
      },
      Initialize_names: {
        type: 'InitializeVariable',
        inputs: { variables: [{ name: 'names', type: 'array' }] },
        runAfter: { Initialize_log: ['Succeeded'] },
      },
      Customers: {
        type: 'Compose',
        inputs: [
          { name: 'Ada', tier: 'gold', spend: 1200 },
          { name: 'Bob <b>', tier: 'silver', spend: 300 },
          { name: 'Cy', tier: 'gold', spend: 950 },
        ],
        runAfter: { Initialize_names: ['Succeeded'] },
      },
      Gold: {
        type: 'Query',
        inputs: { from: "@outputs('Customers')", where: "@equals(item()?['tier'], 'gold')" },
        runAfter: { Customers: ['Succeeded'] },
      },
      Names: {
        type: 'Select',
        inputs: { from: "@body('Gold')", select: { who: "@item()?['name']", spend: "@item()?['spend']" } },
        runAfter: { Gold: ['Succeeded'] },
      },
      Joined: {
        type: 'Join',
        inputs: { from: "@outputs('Customers')", joinWith: ', ' },
        runAfter: { Customers: ['Succeeded'] },
      },
      Table: {
        type: 'Table',
        inputs: {
          from: "@outputs('Customers')",
          format: 'HTML',
          columns: [
            { header: 'Name', value: "@item()?['name']" },
            { header: 'Spend', value: "@formatNumber(item()?['spend'], 'C0')" },
          ],
        },
        runAfter: { Customers: ['Succeeded'] },
      },
      Csv: {
        type: 'Table',
        inputs: { from: "@body('Names')", format: 'CSV' },
        runAfter: { Names: ['Succeeded'] },
      },
      Each_gold: {
        type: 'Foreach',
        foreach: "@body('Gold')",
        actions: {
          Add: { type: 'IncrementVariable', inputs: { name: 'count', value: 1 }, runAfter: {} },
          Remember: {
            type: 'AppendToArrayVariable',
            inputs: { name: 'names', value: "@items('Each_gold')?['name']" },
            runAfter: { Add: ['Succeeded'] },
          },
        },
        runAfter: { Names: ['Succeeded'] },
      },
      Try: {
        type: 'Scope',
        actions: {
          Parse: {
            type: 'ParseJson',
            inputs: {
              content: '{"tier": 3}',
              schema: { type: 'object', properties: { tier: { type: 'string' } } },
            },
            runAfter: {},
          },
        },
        runAfter: { Each_gold: ['Succeeded'] },
      },
      Catch: {
        type: 'Scope',
        actions: {
          Note_failure: {
            type: 'AppendToStringVariable',
            inputs: {
              name: 'log',
              value:
                "@concat(' | caught ', first(result('Try'))?['name'], ' ', first(result('Try'))?['status'])",
            },
            runAfter: {},
          },
        },
        runAfter: { Try: ['Failed', 'TimedOut'] },
      },
      Route: {
        type: 'Switch',
        expression: "@variables('count')",
        cases: {
          One: { case: 1, actions: { Say_one: { type: 'Compose', inputs: 'one', runAfter: {} } } },
          Two: {
            case: 2,
            actions: {
              Say_two: {
                type: 'AppendToStringVariable',
                inputs: { name: 'log', value: ' | two gold' },
                runAfter: {},
              },
            },
          },
        },
        default: { actions: { Say_other: { type: 'Compose', inputs: 'other', runAfter: {} } } },
        runAfter: { Catch: ['Succeeded', 'Skipped'] },
      },
      Countdown: {
        type: 'Until',
        expression: "@lessOrEquals(variables('count'), 0)",
        limit: { count: 10, timeout: 'PT1M' },
        actions: {
          Down: { type: 'DecrementVariable', inputs: { name: 'count' }, runAfter: {} },
          Index: {
            type: 'Compose',
            inputs: "@iterationIndexes('Countdown')",
            runAfter: { Down: ['Succeeded'] },
          },
        },
        runAfter: { Route: ['Succeeded'] },
      },
      Pause: {
        type: 'Wait',
        inputs: { interval: { count: 1, unit: 'Second' } },
        runAfter: { Countdown: ['Succeeded'] },
      },
      Check: {
        type: 'If',
        expression: {
          and: [
            { equals: ["@variables('count')", 0] },
            { not: { equals: ["@length(variables('names'))", 0] } },
          ],
        },
        actions: {
          Report: {
            type: 'Http',
            inputs: {
              method: 'POST',
              uri: `${sink.url}/report`,
              body: {
                log: "@variables('log')",
                names: "@variables('names')",
                joined: "@body('Joined')",
                table: "@body('Table')",
                csv: "@body('Csv')",
                iterations: "@outputs('Countdown')?['iterations']",
              },
            },
            runAfter: {},
          },
        },
        else: { actions: {} },
        runAfter: { Pause: ['Succeeded'] },
      },
    })
    expect(run.state, JSON.stringify(run.error)).toBe('succeeded')
    const [report] = sink.requestsTo('/report').map((r) => JSON.parse(r.body))
    expect(report.names).toEqual(['Ada', 'Cy'])
    expect(report.log).toBe('start | caught Parse Failed | two gold')
    expect(report.iterations).toBe(2)
    expect(report.joined).toContain('"name":"Ada"')
    expect(report.table).toBe(
      '<table><thead><tr><th>Name</th><th>Spend</th></tr></thead><tbody><tr><td>Ada</td><td>$1,200</td></tr><tr><td>Bob &lt;b&gt;</td><td>$300</td></tr><tr><td>Cy</td><td>$950</td></tr></tbody></table>',
    )
    expect(report.csv).toBe('who,spend\r\nAda,1200\r\nCy,950')
    // Run history shows each change of a variable and the case a switch took.
    expect(records['Each_gold[1]/Add']?.outputs).toEqual({ name: 'count', value: 2 })
    expect(records.Route?.outputs).toEqual({ expression: 2, case: 'Two' })
    expect(records['Try/actions/Parse']?.status).toBe('Failed')
    expect(records['Try/actions/Parse']?.error?.message).toMatch(/does not match the schema/)
    expect(records.Try?.status).toBe('Failed')
    expect(records['Countdown[1]/Index']?.outputs).toBe(1)
  })

  it('refuses what Power Automate refuses, with the path', () => {
    const parse = (actions: Record<string, unknown>) =>
      flowDefinitionSchema.safeParse({ trigger: { type: 'datasource.refresh.failed' }, actions })
    const concurrent = parse({
      Init: { type: 'InitializeVariable', inputs: { variables: [{ name: 'n', type: 'Integer' }] } },
      Each: {
        type: 'Foreach',
        foreach: '@createArray(1, 2)',
        runtimeConfiguration: { concurrency: { repetitions: 5 } },
        actions: { Add: { type: 'IncrementVariable', inputs: { name: 'n' } } },
        runAfter: { Init: ['Succeeded'] },
      },
    })
    expect(concurrent.success).toBe(false)
    expect(JSON.stringify(concurrent.error?.issues)).toMatch(/one at a time/)
    const nested = parse({
      Scope: {
        type: 'Scope',
        actions: {
          Init: { type: 'InitializeVariable', inputs: { variables: [{ name: 'n', type: 'Integer' }] } },
        },
      },
    })
    expect(JSON.stringify(nested.error?.issues)).toMatch(/top level/)
    const badType = parse({
      Init: { type: 'InitializeVariable', inputs: { variables: [{ name: 'n', type: 'Decimal' }] } },
    })
    expect(badType.success).toBe(false)
    const badCase = parse({
      Route: {
        type: 'Switch',
        expression: '@true',
        cases: {
          A: { case: 1, actions: { X: { type: 'Compose', inputs: 1, runAfter: { Nope: ['Succeeded'] } } } },
        },
      },
    })
    expect(JSON.stringify(badCase.error?.issues)).toMatch(/cases.*A.*actions.*X.*runAfter/)
  })

  it('fails a variable action of the wrong type with a clear message, and catches it with runAfter', async () => {
    const { run, records } = await runFlow('Wrong type', {
      Init: { type: 'InitializeVariable', inputs: { variables: [{ name: 'n', type: 'Integer', value: 1 }] } },
      Set: { type: 'SetVariable', inputs: { name: 'n', value: 'ten' }, runAfter: { Init: ['Succeeded'] } },
      Unknown: { type: 'SetVariable', inputs: { name: 'm', value: 1 }, runAfter: { Init: ['Succeeded'] } },
      Handled: { type: 'Compose', inputs: 'handled', runAfter: { Set: ['Failed'], Unknown: ['Failed'] } },
    })
    expect(run.state).toBe('succeeded')
    expect(records.Set?.error?.message).toBe('\'n\' is Integer; cannot set it to string "ten"')
    expect(records.Unknown?.error?.message).toMatch(/no variable 'm' \(there are n\)/)
    expect(records.Handled?.status).toBe('Succeeded')
  })

  it('a resumed run has the variables its finished actions set', async () => {
    const definition = {
      trigger: { type: 'datasource.refresh.failed' },
      actions: {
        Init: {
          type: 'InitializeVariable',
          inputs: { variables: [{ name: 'total', type: 'Integer', value: 5 }] },
        },
        Add: {
          type: 'IncrementVariable',
          inputs: { name: 'total', value: 10 },
          runAfter: { Init: ['Succeeded'] },
        },
        Send: {
          type: 'Http',
          inputs: { method: 'POST', uri: `${sink.url}/total`, body: "@variables('total')" },
          runAfter: { Add: ['Succeeded'] },
        },
      },
    }
    const { definition: parsed } = await saveFlow(
      runtime.db,
      'shop',
      'Resume variables',
      { ...definition, enabled: false } as never,
      'api',
    )
    // Its worker died after Init and Add: both recorded, the run still running.
    await resumeAbandonedRun(runtime, 'Resume variables', parsed as unknown as Record<string, unknown>, [
      { path: 'Init', type: 'initializeVariable', outputs: { name: 'total', type: 'Integer', value: 5 } },
      { path: 'Add', type: 'incrementVariable', outputs: { name: 'total', value: 15 } },
    ])
    expect(sink.requestsTo('/total').map((r) => r.body)).toEqual(['15'])
  })

  it('runs a Recurrence flow once per slot, however many workers see the slot', async () => {
    await saveFlow(
      runtime.db,
      'shop',
      'Every five minutes',
      {
        trigger: {
          type: 'recurrence',
          recurrence: { frequency: 'Minute', interval: 5, timeZone: 'Romance Standard Time' },
        },
        actions: {
          Post: {
            type: 'Http',
            inputs: {
              method: 'POST',
              uri: `${sink.url}/scheduled`,
              body: "@triggerBody()?['scheduledTime']",
            },
          },
        },
      } as never,
      'api',
    )
    const later = new Date(Date.now() + 10 * 60_000)
    // Three workers tick at once: one run starts.
    const started = (await Promise.all([1, 2, 3].map(() => runDueRecurrences(runtime.db, later)))).flat()
    expect(started).toHaveLength(1)
    expect(await runDueRecurrences(runtime.db, later)).toEqual([])
    const run = await waitFor(async () => {
      const found = await getFlowRun(runtime.db, started[0] as string)
      return found && !['queued', 'running'].includes(found.state) ? found : undefined
    }, 'the scheduled run')
    expect(run.state).toBe('succeeded')
    const slot = sink.requestsTo('/scheduled')[0]?.body ?? ''
    expect(new Date(slot).getUTCMinutes() % 5).toBe(0)
    expect(Date.parse(slot)).toBeLessThanOrEqual(later.getTime())
    // Nothing runs for a slot from before the flow was saved.
    expect(await runDueRecurrences(runtime.db, new Date(Date.now() - 60_000))).toEqual([])
  })

  it('runs a definition as a Logic Apps export writes it (triggers map, $schema, $connections, metadata)', async () => {
    const exported = {
      definition: {
        $schema:
          'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#',
        contentVersion: '1.0.0.0',
        parameters: { $connections: { defaultValue: {}, type: 'Object' } },
        triggers: {
          Recurrence: {
            type: 'Recurrence',
            recurrence: {
              frequency: 'Day',
              interval: 1,
              timeZone: 'W. Europe Standard Time',
              schedule: { hours: ['8'], minutes: [0] },
            },
            evaluatedRecurrence: { frequency: 'Day', interval: 1 },
          },
        },
        actions: {
          Initialize_variable: {
            type: 'InitializeVariable',
            inputs: { variables: [{ name: 'greeting', type: 'string', value: 'Hello' }] },
            runAfter: {},
            metadata: { operationMetadataId: '7c1c2a4e-0000-0000-0000-000000000000' },
          },
          Condition: {
            type: 'If',
            expression: { and: [{ equals: ["@variables('greeting')", 'Hello'] }] },
            actions: {
              Compose: { type: 'Compose', inputs: "@concat(variables('greeting'), ' world')", runAfter: {} },
            },
            else: { actions: {} },
            runAfter: { Initialize_variable: ['Succeeded'] },
          },
          Delay: {
            type: 'Wait',
            inputs: { interval: { count: 1, unit: 'Second' } },
            runAfter: { Condition: ['Succeeded'] },
          },
          HTTP: {
            type: 'Http',
            inputs: { method: 'POST', uri: `${sink.url}/logic-apps`, body: "@outputs('Compose')" },
            runAfter: { Delay: ['Succeeded'] },
            operationOptions: 'DisableAsyncPattern',
          },
        },
        outputs: {},
      },
    }
    await saveFlow(
      runtime.db,
      'shop',
      'Logic Apps export',
      { ...exported, state: 'Disabled' } as never,
      'api',
    )
    const started = await startManualRun(runtime.db, runtime.nudgeFlowRuns, 'shop', 'Logic Apps export', {})
    const run = await waitFor(async () => {
      const found = await getFlowRun(runtime.db, started.id)
      return found && !['queued', 'running'].includes(found.state) ? found : undefined
    }, 'the run')
    const records = Object.fromEntries((await listActionRecords(runtime.db, run.id)).map((r) => [r.path, r]))
    const stored = await getFlow(runtime.db, 'shop', 'Logic Apps export')
    expect(stored?.enabled).toBe(false)
    expect(stored?.definition.trigger).toMatchObject({
      type: 'Recurrence',
      recurrence: { schedule: { hours: [8] } },
    })
    expect(run.state, JSON.stringify(run.error)).toBe('succeeded')
    expect(sink.requestsTo('/logic-apps').map((r) => r.body)).toEqual(['Hello world'])
    expect(records.Delay?.status).toBe('Succeeded')
    expect(
      Date.parse(records.Delay?.completedAt as string) - Date.parse(records.Delay?.startedAt as string),
    ).toBeGreaterThanOrEqual(900)
    // More than one trigger is refused, as Power Automate has one.
    const two = flowDefinitionSchema.safeParse({
      triggers: {
        A: { type: 'Recurrence', recurrence: { frequency: 'Day' } },
        B: { type: 'Recurrence', recurrence: { frequency: 'Hour' } },
      },
      actions: { X: { type: 'Compose', inputs: 1 } },
    })
    expect(two.success).toBe(false)
  })
})

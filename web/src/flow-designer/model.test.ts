import { describe, expect, it } from 'vitest'
import { TRIGGERS } from '../../../src/connector/export/index.js'
import { flowDefinitionSchema } from '../../../src/flows/definition/flow-definition.js'
import { checkExpressions } from '../../../src/flows/expressions/index.js'
import {
  addCase,
  type DesignerState,
  dynamicContent,
  fromDefinition,
  newStep,
  operand,
  ownContent,
  pickListOptions,
  pickListPath,
  RECURRENCE_TRIGGER,
  readable,
  secretsToSeal,
  type TriggerInfo,
  toDefinition,
  tokenText,
  validate,
  withBranch,
} from './model'

const expressionProblems = (value: unknown) => {
  const problems: { path: string; message: string }[] = []
  checkExpressions(value as never, '', problems)
  return problems
}
const triggers = TRIGGERS as unknown as TriggerInfo[]
const refreshFailed = triggers.find((t) => t.eventType === 'datasource.refresh.failed') as TriggerInfo

function teamsFlow(): DesignerState {
  const post = newStep('teams.postMessage', [])
  const tokens = dynamicContent(refreshFailed, [])
  const source = tokens.find((t) => t.label === 'Data source name')
  const message = tokens.find((t) => t.label === 'Error message')
  post.fields.webhookUrl = 'https://example.webhook.office.com/webhookb2/abc'
  post.fields.title = `Refresh of ${tokenText(source!)} failed`
  post.fields.text = tokenText(message!)
  return {
    flowName: 'Teams on failure',
    triggerType: refreshFailed.eventType,
    triggerParameters: {},
    steps: [post],
  }
}

describe('the flow designer model', () => {
  it('reads a pick list from the listing route, with the parameters it needs filled in', () => {
    const measure = triggers.find((t) => t.eventType === 'measure.threshold.crossed') as TriggerInfo
    const withPath = (name: string, path: string) => ({
      ...measure.parameters[name],
      'x-openinsights-list-path': path,
    })
    const measures = withPath('measureName', '/api/v1/instances/:instanceId/measures')
    expect(pickListPath(measures, 'demo', {})).toBe('/api/v1/instances/demo/measures')
    const dimension = withPath('dimension', '/api/v1/instances/:instanceId/measures/:name/dimensions')
    // No measure chosen yet: nothing to list.
    expect(pickListPath(dimension, 'demo', {})).toBeNull()
    expect(pickListPath(dimension, 'my instance', { measureName: 'Revenue by/country' })).toBe(
      '/api/v1/instances/my%20instance/measures/Revenue%20by%2Fcountry/dimensions',
    )
    expect(pickListPath(refreshFailed.parameters.dataSourceName ?? {}, 'demo', {})).toBeNull()
    expect(
      pickListOptions(dimension, {
        value: [{ value: 'DK', latestValue: 3 }, { value: null }, { value: 'SE', latestValue: 1 }],
      }),
    ).toEqual([
      { value: 'DK', title: 'DK' },
      { value: 'SE', title: 'SE' },
    ])
    expect(pickListOptions(measures, { error: { code: 'NotFound' } })).toEqual([])
  })

  it('lists the trigger outputs as dynamic content, nested fields included', () => {
    const tokens = dynamicContent(refreshFailed, [])
    expect(tokens.find((t) => t.label === 'Data source name')?.expression).toBe(
      "triggerBody()?['dataSourceName']",
    )
    expect(tokens.find((t) => t.label === 'Error message')?.expression).toBe(
      "triggerBody()?['error']?['message']",
    )
    const http = newStep('http', [])
    expect(dynamicContent(refreshFailed, [http]).map((t) => t.expression)).toContain(
      "outputs('HTTP')?['statusCode']",
    )
  })

  it('makes a definition the server accepts, with the webhook URL sealed as a secret', () => {
    const state = teamsFlow()
    const definition = toDefinition(state)
    const parsed = flowDefinitionSchema.parse(definition)
    expect(expressionProblems(parsed)).toEqual([])
    const post = (
      definition.actions as Record<
        string,
        { inputs: { webhookUrl: string; card: { body: { text: string }[] } } }
      >
    ).Post_message
    expect(post?.inputs.webhookUrl).toBe("@secret('flow:Teams on failure:Post_message.webhookUrl')")
    expect(post?.inputs.card.body[0]?.text).toBe("Refresh of @{triggerBody()?['dataSourceName']} failed")
    expect(secretsToSeal(state)).toEqual([
      expect.objectContaining({
        name: 'flow:Teams on failure:Post_message.webhookUrl',
        value: 'https://example.webhook.office.com/webhookb2/abc',
      }),
    ])
  })

  it('reads a field back with its tokens by name', () => {
    const tokens = dynamicContent(refreshFailed, [])
    expect(readable("Refresh of @{triggerBody()?['dataSourceName']} failed @{utcNow()}", tokens)).toEqual([
      { text: 'Refresh of ' },
      { token: 'Data source name', expression: "triggerBody()?['dataSourceName']" },
      { text: ' failed ' },
      { token: 'fx utcNow()', expression: 'utcNow()' },
    ])
  })

  it('reads an expression as fx with the tokens it uses by name, and HTML as its text', () => {
    const tokens = dynamicContent(refreshFailed, [])
    const body =
      "<h2>Refresh of @{triggerBody()?['dataSourceName']}</h2>\n<p>It read <b>@{formatNumber(triggerBody()?['rowCount'], 'N0')}</b> rows</p>"
    expect(readable(body, tokens, { html: true })).toEqual([
      { text: 'Refresh of ' },
      { token: 'Data source name', expression: "triggerBody()?['dataSourceName']" },
      { text: '\n\nIt read ' },
      {
        token: expect.stringMatching(/^fx formatNumber\(Row count|^fx formatNumber\([A-Z][a-z]+/),
        expression: "formatNumber(triggerBody()?['rowCount'], 'N0')",
      },
      { text: ' rows\n' },
    ])
  })

  it('chains steps with runAfter and builds conditions with typed operands', () => {
    const state = teamsFlow()
    const condition = newStep('condition', state.steps)
    condition.fields = { left: "@{triggerBody()?['rejectedRowCount']}", operator: 'greater', right: '100' }
    condition.yes = [newStep('http', [...state.steps, condition])]
    ;(condition.yes[0] as { fields: Record<string, string> }).fields.uri = 'https://example.com/hook'
    state.steps.push(condition)
    const definition = toDefinition(state)
    const parsed = flowDefinitionSchema.parse(definition)
    expect(expressionProblems(parsed)).toEqual([])
    const actions = definition.actions as Record<string, { runAfter: unknown; expression?: string }>
    expect(actions.Condition?.runAfter).toEqual({ Post_message: ['Succeeded'] })
    expect(actions.Condition?.expression).toBe("@greater(triggerBody()?['rejectedRowCount'], 100)")
    expect(operand("Hi @{triggerBody()?['name']}!")).toBe(
      "concat('Hi ', string(triggerBody()?['name']), '!')",
    )
    expect(operand("it's")).toBe("'it''s'")
  })

  it('names what is missing before saving, and reads a saved flow back', () => {
    const empty: DesignerState = {
      flowName: 'x',
      triggerType: 'segment.threshold.crossed',
      triggerParameters: {},
      steps: [],
    }
    const segment = triggers.find((t) => t.eventType === 'segment.threshold.crossed')
    expect(validate(empty, segment)).toEqual(
      expect.arrayContaining(['Trigger: Segment name is required', 'Add at least one step']),
    )
    const state = teamsFlow()
    expect(validate(state, refreshFailed)).toEqual([])
    const back = fromDefinition(state.flowName, toDefinition(state))
    expect(back?.steps[0]?.fields.title).toBe(state.steps[0]?.fields.title)
  })

  it('marks a step’s inputs or outputs secure, as the engine reads it, and reads the setting back', () => {
    const state = teamsFlow()
    const compose = newStep('compose', state.steps)
    compose.fields.inputs = 'token'
    compose.secure = { inputs: false, outputs: true }
    state.steps.push(compose)
    const definition = toDefinition(state)
    const action = (definition.actions as Record<string, Record<string, unknown>>)[compose.name]
    expect(action?.runtimeConfiguration).toEqual({ secureData: { properties: ['outputs'] } })
    expect(flowDefinitionSchema.safeParse(definition).success).toBe(true)
    expect(fromDefinition(state.flowName, definition)?.steps[1]?.secure).toEqual({
      inputs: false,
      outputs: true,
    })
    // A runtime setting the designer does not draw means: edit as code, not lose it.
    const custom = structuredClone(definition) as { actions: Record<string, Record<string, unknown>> }
    ;(custom.actions[compose.name] as Record<string, unknown>).runtimeConfiguration = {
      concurrency: { repetitions: 2 },
    }
    expect(fromDefinition(state.flowName, custom)).toBeUndefined()
  })

  it('builds variables, a switch, a scope with its catch, a Do until and an HTML table, and reads them back', () => {
    const steps: DesignerState['steps'] = []
    const init = newStep('initializeVariable', steps)
    init.fields = { name: 'count', varType: 'Integer', value: '0' }
    steps.push(init)
    const parse = newStep('parseJson', steps)
    parse.fields = {
      content: "@{triggerBody()?['error']?['message']}",
      schema: JSON.stringify({
        type: 'object',
        properties: {
          tier: { type: 'string' },
          address: { type: 'object', properties: { city: { type: 'string' } } },
        },
      }),
    }
    steps.push(parse)
    const table = newStep('table', steps)
    table.fields = { from: '@{createArray(1, 2)}', format: 'HTML', columns: 'Value = @{item()}' }
    steps.push(table)
    let route = newStep('switch', steps)
    route.fields.on = "@{variables('count')}"
    route = addCase(route)
    const [first, second] = route.cases ?? []
    route.cases = [
      { ...(first as NonNullable<typeof first>), value: '0' },
      { ...(second as NonNullable<typeof second>), value: 'gold' },
    ]
    const bump = newStep('incrementVariable', [...steps, route])
    bump.fields = { name: 'count', value: '2' }
    route = withBranch(route, `case:${first?.uid}`, [bump])
    steps.push(route)
    const attempt = newStep('scope', steps)
    const set = newStep('setVariable', [...steps, attempt])
    set.fields = { name: 'count', value: "@{add(variables('count'), 1)}" }
    steps.push(withBranch(attempt, 'children', [set]))
    const catcher = newStep('compose', steps)
    catcher.fields = { inputs: "@{result('Scope')}" }
    catcher.runAfter = ['Failed', 'TimedOut']
    steps.push(catcher)
    const loop = newStep('until', steps)
    loop.fields = {
      left: "@{variables('count')}",
      operator: 'greaterOrEquals',
      right: '5',
      count: '10',
      timeout: '',
    }
    const more = newStep('incrementVariable', [...steps, loop])
    more.fields = { name: 'count', value: '' }
    steps.push(withBranch(loop, 'children', [more]))
    const state: DesignerState = {
      flowName: 'Built-ins',
      triggerType: refreshFailed.eventType,
      triggerParameters: {},
      steps,
    }
    expect(validate(state, refreshFailed)).toEqual([])
    const definition = toDefinition(state)
    const parsed = flowDefinitionSchema.parse(definition)
    expect(expressionProblems(parsed)).toEqual([])
    const actions = definition.actions as Record<string, Record<string, unknown>>
    expect(actions.Initialize_variable?.inputs).toEqual({
      variables: [{ name: 'count', type: 'Integer', value: 0 }],
    })
    expect(actions.Switch?.expression).toBe("@variables('count')")
    const cases = (actions.Switch?.cases ?? {}) as Record<string, { case: unknown }>
    expect(cases.Case_2?.case).toBe('gold')
    expect(cases.Case?.case).toBe(0)
    expect(actions.Do_until?.expression).toBe("@greaterOrEquals(variables('count'), 5)")
    expect(actions.Compose?.runAfter).toEqual({ Scope: ['Failed', 'TimedOut'] })
    expect(actions.Do_until?.runAfter).toEqual({ Compose: ['Succeeded'] })
    expect(actions.Create_HTML_table?.inputs).toEqual({
      from: '@createArray(1, 2)',
      format: 'HTML',
      columns: [{ header: 'Value', value: '@item()' }],
    })
    // Dynamic content: the variable, Parse JSON's properties (nested ones by path), the scope's result.
    const tokens = dynamicContent(refreshFailed, steps).map((t) => `${t.label} = ${t.expression}`)
    expect(tokens).toContain("count = variables('count')")
    expect(tokens).toContain("tier = body('Parse_JSON')?['tier']")
    expect(tokens).toContain("address city = body('Parse_JSON')?['address']?['city']")
    expect(tokens).toContain("Result = result('Scope')")
    expect(ownContent(table).map((t) => t.expression)).toEqual(['item()'])
    // Read back, the designer shows the same steps: saving again gives the same definition.
    const back = fromDefinition('Built-ins', parsed as unknown as Record<string, unknown>)
    expect(back).toBeDefined()
    expect(toDefinition(back as DesignerState)).toEqual(definition)
  })

  it('makes a Recurrence trigger the server accepts, and reads it back', () => {
    const compose = newStep('compose', [])
    compose.fields.inputs = "@{triggerBody()?['scheduledTime']}"
    const state: DesignerState = {
      flowName: 'Daily',
      triggerType: 'Recurrence',
      triggerParameters: {
        frequency: 'Week',
        interval: '2',
        timeZone: 'W. Europe Standard Time',
        hours: '8, 17',
        minutes: '0',
        weekDays: 'Monday,Friday',
      },
      steps: [compose],
    }
    expect(validate(state, RECURRENCE_TRIGGER)).toEqual([])
    const definition = toDefinition(state)
    expect(definition.trigger).toEqual({
      type: 'Recurrence',
      recurrence: {
        frequency: 'Week',
        interval: 2,
        timeZone: 'W. Europe Standard Time',
        schedule: { hours: [8, 17], minutes: [0], weekDays: ['Monday', 'Friday'] },
      },
    })
    flowDefinitionSchema.parse(definition)
    expect(dynamicContent(RECURRENCE_TRIGGER, []).map((t) => t.expression)).toContain(
      "triggerBody()?['scheduledTime']",
    )
    const back = fromDefinition('Daily', definition) as DesignerState
    expect(toDefinition(back).trigger).toEqual(definition.trigger)
    // Defaults: daily, every 1.
    expect(toDefinition({ ...state, triggerParameters: {} }).trigger).toEqual({
      type: 'Recurrence',
      recurrence: { frequency: 'Day', interval: 1 },
    })
  })

  it('writes and reads back the retry policy and timeout of a step, and names bad ones', () => {
    const http = newStep('http', [])
    http.fields.uri = 'https://example.com/hook'
    http.retry = { type: 'fixed', count: '3', interval: 'PT10S' }
    http.timeout = 'PT30S'
    const state: DesignerState = {
      flowName: 'Retries',
      triggerType: refreshFailed.eventType,
      triggerParameters: {},
      steps: [http],
    }
    expect(validate(state, refreshFailed)).toEqual([])
    const definition = toDefinition(state)
    const action = (definition.actions as Record<string, Record<string, unknown>>).HTTP
    expect(action?.retryPolicy).toEqual({ type: 'fixed', count: 3, interval: 'PT10S' })
    expect(action?.timeout).toBe('PT30S')
    flowDefinitionSchema.parse(definition)
    expect(toDefinition(fromDefinition('Retries', definition) as DesignerState)).toEqual(definition)
    http.timeout = '30 seconds'
    http.retry = { type: 'exponential', count: 'three', interval: '' }
    expect(validate(state, refreshFailed)).toEqual([
      'HTTP: Timeout is an ISO 8601 duration such as PT30S or PT5M',
      'HTTP: Retry count is a whole number',
    ])
  })

  it('builds Apply to each with its current item and concurrency, and reads it back', () => {
    const loop = newStep('foreach', [])
    loop.fields = { from: "@{body('Get_items')?['value']}", concurrency: '5' }
    const post = newStep('http', [loop])
    post.fields.uri = 'https://example.com/hook'
    post.fields.body = `@{${ownContent(loop)[0]?.expression}?['email']}`
    const state: DesignerState = {
      flowName: 'Loop',
      triggerType: refreshFailed.eventType,
      triggerParameters: {},
      steps: [withBranch(loop, 'children', [post])],
    }
    expect(validate(state, refreshFailed)).toEqual([])
    const definition = toDefinition(state)
    const action = (definition.actions as Record<string, Record<string, unknown>>).Apply_to_each
    expect(action).toMatchObject({
      type: 'foreach',
      foreach: "@body('Get_items')?['value']",
      runtimeConfiguration: { concurrency: { repetitions: 5 } },
      actions: { HTTP: { inputs: { body: "@{items('Apply_to_each')?['email']}" } } },
    })
    flowDefinitionSchema.parse(definition)
    expect(toDefinition(fromDefinition('Loop', definition) as DesignerState)).toEqual(definition)
    // Items at once with a variable changed inside: refused before saving, as the server would.
    const count = newStep('incrementVariable', [])
    count.fields = { name: 'n', value: '' }
    const racing = { ...state, steps: [withBranch(loop, 'children', [count])] }
    expect(validate(racing, refreshFailed)).toContain(
      'Apply to each: steps inside change variables, so items must go one at a time (Items at once: 1)',
    )
  })
})

import { describe, expect, it } from 'vitest'
import { TRIGGERS } from '../../../src/connector/export/index.js'
import { flowDefinitionSchema } from '../../../src/flows/definition/flow-definition.js'
import { checkExpressions } from '../../../src/flows/expressions/index.js'
import {
  type DesignerState,
  dynamicContent,
  fromDefinition,
  newStep,
  operand,
  readable,
  secretsToSeal,
  type TriggerInfo,
  toDefinition,
  tokenText,
  validate,
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
})

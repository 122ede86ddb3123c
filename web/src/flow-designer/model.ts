/**
 * The flow designer's model: what a person picks and types (a trigger, its parameters, steps with
 * their fields) and the workflow definition it becomes — the same JSON the API, the CLI and
 * openinsights.yaml take. Pure functions, tested without a browser.
 */

export type StepType =
  | 'teams.postMessage'
  | 'email.send'
  | 'http'
  | 'condition'
  | 'compose'
  | 'delay'
  | 'connector.getItems'
  | 'terminate'
  | 'initializeVariable'
  | 'setVariable'
  | 'incrementVariable'
  | 'decrementVariable'
  | 'appendToStringVariable'
  | 'appendToArrayVariable'
  | 'scope'
  | 'switch'
  | 'until'
  | 'foreach'
  | 'join'
  | 'select'
  | 'query'
  | 'parseJson'
  | 'table'

/** Steps that hold steps of their own (shown as branches). */
export const CONTAINERS: StepType[] = ['condition', 'foreach', 'scope', 'switch', 'until']

export interface Step {
  /** Identifies the step while it is edited (renaming keeps it). */
  uid: string
  /** The action's name in the definition (Post_message). */
  name: string
  type: StepType
  /** Field values as typed: text that may hold @{…} dynamic content. */
  fields: Record<string, string>
  /** condition: the steps of the yes and no branches. */
  yes?: Step[]
  no?: Step[]
  /** scope and until: the steps inside. */
  children?: Step[]
  /** switch: its cases (a value each) and the default steps. */
  cases?: SwitchCase[]
  otherwise?: Step[]
  /** Settings → Secure inputs / Secure outputs: kept sealed and shown hidden in run history. */
  secure?: { inputs: boolean; outputs: boolean }
  /** Configure run after: the statuses of the step before that let this one run (Succeeded when unset). */
  runAfter?: RunAfterStatus[]
  /** Settings → Retry policy (the default, exponential ×4, when unset) and Timeout (ISO 8601). */
  retry?: { type: 'none' | 'fixed' | 'exponential'; count: string; interval: string }
  timeout?: string
}

export const RUN_AFTER_STATUSES = ['Succeeded', 'Failed', 'Skipped', 'TimedOut'] as const
export type RunAfterStatus = (typeof RUN_AFTER_STATUSES)[number]

export interface SwitchCase {
  uid: string
  /** The case's name in the definition (Case, Case_2). */
  name: string
  /** The value it matches, as typed (a number when it reads as one). */
  value: string
  steps: Step[]
}

export interface DesignerState {
  flowName: string
  triggerType: string
  triggerParameters: Record<string, string>
  steps: Step[]
}

/** A trigger as GET /api/v1/flow-triggers describes it. */
export interface TriggerInfo {
  eventType: string
  summary: string
  description: string
  parameters: Record<string, SchemaField>
  required: string[]
  data: Record<string, SchemaField>
}
export interface SchemaField {
  type?: string
  description?: string
  'x-ms-summary'?: string
  properties?: Record<string, SchemaField>
  enum?: (string | number)[]
  default?: unknown
  /** Power Automate's pick list: which operation lists the values, and with what. */
  'x-ms-dynamic-values'?: {
    operationId: string
    parameters?: Record<string, string | { parameter: string }>
    'value-collection'?: string
    'value-path': string
    'value-title'?: string
  }
  /** The route of that operation (GET /api/v1/flow-triggers adds it), e.g. /api/v1/instances/:instanceId/segments. */
  'x-openinsights-list-path'?: string
}

/**
 * Where a parameter's pick list is read: the listing route with its parameters filled from the
 * instance and the other parameters typed so far; null when there is no list or a value it
 * needs is still empty (a measure's dimension values need the measure).
 */
export function pickListPath(
  field: SchemaField,
  instanceId: string,
  values: Record<string, string>,
): string | null {
  const hint = field['x-ms-dynamic-values']
  const path = field['x-openinsights-list-path']
  if (!hint || !path) return null
  const given: Record<string, string> = {}
  for (const [name, source] of Object.entries(hint.parameters ?? {})) {
    const value =
      typeof source === 'string'
        ? source
        : source.parameter === 'instanceId'
          ? instanceId
          : values[source.parameter]?.trim()
    if (!value) return null
    given[name] = value
  }
  let complete = true
  const filled = path.replace(/:(\w+)/g, (_, name: string) => {
    const value = given[name]
    if (value === undefined) complete = false
    delete given[name]
    return encodeURIComponent(value ?? '')
  })
  if (!complete) return null
  const query = new URLSearchParams(given).toString()
  return query ? `${filled}?${query}` : filled
}

/** The choices in a pick list's answer: each item's value and the title shown for it. */
export function pickListOptions(field: SchemaField, answer: unknown): { value: string; title: string }[] {
  const hint = field['x-ms-dynamic-values']
  if (!hint || typeof answer !== 'object' || answer === null) return []
  const items = (answer as Record<string, unknown>)[hint['value-collection'] ?? 'value']
  if (!Array.isArray(items)) return []
  return items.flatMap((item) => {
    const value = (item as Record<string, unknown>)?.[hint['value-path']]
    if (value === undefined || value === null) return []
    const title = (item as Record<string, unknown>)[hint['value-title'] ?? hint['value-path']]
    return [{ value: String(value), title: String(title ?? value) }]
  })
}

/** The schedule trigger, offered next to the connector's event triggers (as Power Automate does). */
export const RECURRENCE_TRIGGER: TriggerInfo = {
  eventType: 'Recurrence',
  summary: 'Recurrence',
  description: 'Run on a schedule: every so many minutes, hours, days, weeks or months',
  parameters: {
    interval: { type: 'integer', 'x-ms-summary': 'Interval', description: 'Every this many (1 when empty)' },
    frequency: {
      type: 'string',
      'x-ms-summary': 'Frequency',
      enum: ['Day', 'Week', 'Month', 'Hour', 'Minute'],
      default: 'Day',
    },
    timeZone: {
      type: 'string',
      'x-ms-summary': 'Time zone',
      description: 'A Windows name, e.g. W. Europe Standard Time (UTC when empty)',
    },
    startTime: { type: 'string', 'x-ms-summary': 'Start time', description: 'e.g. 2026-01-05T08:00:00' },
    hours: {
      type: 'string',
      'x-ms-summary': 'At these hours',
      description: 'e.g. 8 or 8,17 (daily, weekly, monthly)',
    },
    minutes: { type: 'string', 'x-ms-summary': 'At these minutes', description: 'e.g. 0 or 0,30' },
    weekDays: { type: 'string', 'x-ms-summary': 'On these days', description: 'e.g. Monday,Friday (weekly)' },
  },
  required: [],
  data: {
    scheduledTime: {
      type: 'string',
      'x-ms-summary': 'Scheduled time',
      description: 'The slot this run is for',
    },
  },
}

const numberList = (text: string | undefined) =>
  (text ?? '')
    .split(/[,\s]+/)
    .filter(Boolean)
    .map(Number)

/** The designer's Recurrence parameters as the trigger's recurrence object. */
function recurrenceOf(parameters: Record<string, string>): Record<string, unknown> {
  const p = (key: string) => parameters[key]?.trim() ?? ''
  const schedule: Record<string, unknown> = {}
  if (p('hours')) schedule.hours = numberList(p('hours'))
  if (p('minutes')) schedule.minutes = numberList(p('minutes'))
  if (p('weekDays'))
    schedule.weekDays = p('weekDays')
      .split(/[,\s]+/)
      .filter(Boolean)
  return {
    frequency: p('frequency') || 'Day',
    interval: Number(p('interval') || 1),
    ...(p('timeZone') ? { timeZone: p('timeZone') } : {}),
    ...(p('startTime') ? { startTime: p('startTime') } : {}),
    ...(Object.keys(schedule).length ? { schedule } : {}),
  }
}

export interface FieldSpec {
  key: string
  label: string
  hint?: string
  multiline?: boolean
  /** HTML (an email body): read back as its text, tags left out. */
  html?: boolean
  required?: boolean
  options?: string[]
  /** A value people should not see again once saved (kept sealed as a secret). */
  secret?: boolean
}

const OPERATORS = ['equals', 'not equals', 'greater', 'greaterOrEquals', 'less', 'lessOrEquals', 'contains']
const VARIABLE_TYPES = ['Integer', 'Float', 'String', 'Boolean', 'Array', 'Object']
const variableName: FieldSpec = { key: 'name', label: 'Name', hint: 'The variable', required: true }

export const STEP_TYPES: { type: StepType; label: string; description: string; fields: FieldSpec[] }[] = [
  {
    type: 'teams.postMessage',
    label: 'Post message in a Teams channel',
    description: 'An Adaptive Card to a Teams incoming-webhook or Workflows URL',
    fields: [
      {
        key: 'webhookUrl',
        label: 'Webhook URL',
        hint: "The channel's incoming-webhook or Workflows URL; kept encrypted",
        required: true,
        secret: true,
      },
      { key: 'title', label: 'Title', required: true },
      { key: 'text', label: 'Message', multiline: true, required: true },
    ],
  },
  {
    type: 'email.send',
    label: 'Send an email',
    description: "Through the instance's SMTP server",
    fields: [
      { key: 'to', label: 'To', hint: 'Addresses separated by ;', required: true },
      { key: 'cc', label: 'CC' },
      { key: 'subject', label: 'Subject', required: true },
      { key: 'body', label: 'Body (HTML)', multiline: true, html: true, required: true },
    ],
  },
  {
    type: 'http',
    label: 'HTTP',
    description: 'Call any HTTP API',
    fields: [
      { key: 'method', label: 'Method', options: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], required: true },
      { key: 'uri', label: 'URI', required: true },
      { key: 'headers', label: 'Headers (JSON)', hint: '{"x-key": "value"}', multiline: true },
      { key: 'body', label: 'Body', hint: 'JSON or text', multiline: true },
    ],
  },
  {
    type: 'condition',
    label: 'Condition',
    description: 'Run the yes or the no branch',
    fields: [
      { key: 'left', label: 'Value', required: true },
      {
        key: 'operator',
        label: 'is',
        options: ['equals', 'not equals', 'greater', 'greaterOrEquals', 'less', 'lessOrEquals', 'contains'],
        required: true,
      },
      { key: 'right', label: 'Value to compare', required: true },
    ],
  },
  {
    type: 'connector.getItems',
    label: 'Get items from an entity',
    description: 'OData $filter, $select, $orderby and $top on an entity of this instance',
    fields: [
      { key: 'entity', label: 'Entity', required: true },
      { key: '$filter', label: 'Filter query', hint: "e.g. Country eq 'DK'" },
      { key: '$select', label: 'Select' },
      { key: '$orderby', label: 'Order by' },
      { key: '$top', label: 'Top count' },
    ],
  },
  {
    type: 'compose',
    label: 'Compose',
    description: 'Make a value',
    fields: [{ key: 'inputs', label: 'Inputs', multiline: true, required: true }],
  },
  {
    type: 'delay',
    label: 'Delay',
    description: 'Wait, e.g. PT30S',
    fields: [{ key: 'interval', label: 'Wait for (ISO 8601, e.g. PT5M)', required: true }],
  },
  {
    type: 'initializeVariable',
    label: 'Initialize variable',
    description: 'Declare a variable with a type and a first value',
    fields: [
      { key: 'name', label: 'Name', required: true },
      { key: 'varType', label: 'Type', options: VARIABLE_TYPES, required: true },
      { key: 'value', label: 'Value', hint: 'Text, a number, JSON, or dynamic content' },
    ],
  },
  {
    type: 'setVariable',
    label: 'Set variable',
    description: 'Give a variable a new value',
    fields: [variableName, { key: 'value', label: 'Value', required: true }],
  },
  {
    type: 'incrementVariable',
    label: 'Increment variable',
    description: 'Add to an Integer or Float variable',
    fields: [variableName, { key: 'value', label: 'Value', hint: '1 when empty' }],
  },
  {
    type: 'decrementVariable',
    label: 'Decrement variable',
    description: 'Subtract from an Integer or Float variable',
    fields: [variableName, { key: 'value', label: 'Value', hint: '1 when empty' }],
  },
  {
    type: 'appendToStringVariable',
    label: 'Append to string variable',
    description: 'Add text to the end of a String variable',
    fields: [variableName, { key: 'value', label: 'Value', multiline: true, required: true }],
  },
  {
    type: 'appendToArrayVariable',
    label: 'Append to array variable',
    description: 'Add an item to an Array variable',
    fields: [variableName, { key: 'value', label: 'Value', required: true }],
  },
  {
    type: 'scope',
    label: 'Scope',
    description: 'Group steps: run a catch scope after it on failure (result() lists what failed)',
    fields: [],
  },
  {
    type: 'foreach',
    label: 'Apply to each',
    description: 'Run steps for each item of an array (use Current item)',
    fields: [
      { key: 'from', label: 'Select an output from previous steps', required: true },
      {
        key: 'concurrency',
        label: 'Items at once',
        hint: '1 when empty (one at a time); up to 50. Steps that change variables need 1.',
      },
    ],
  },
  {
    type: 'switch',
    label: 'Switch',
    description: 'Run the steps of the case that matches a value',
    fields: [{ key: 'on', label: 'On', required: true }],
  },
  {
    type: 'until',
    label: 'Do until',
    description: 'Repeat steps until a condition is true',
    fields: [
      { key: 'left', label: 'Value', required: true },
      { key: 'operator', label: 'is', options: OPERATORS, required: true },
      { key: 'right', label: 'Value to compare', required: true },
      { key: 'count', label: 'Count limit', hint: '60 when empty' },
      { key: 'timeout', label: 'Timeout', hint: 'ISO 8601, PT1H when empty' },
    ],
  },
  {
    type: 'join',
    label: 'Join',
    description: 'Make text of an array, items separated',
    fields: [
      { key: 'from', label: 'From', required: true },
      { key: 'joinWith', label: 'Join with', required: true },
    ],
  },
  {
    type: 'select',
    label: 'Select',
    description: 'Make each item of an array into a new shape (use Item)',
    fields: [
      { key: 'from', label: 'From', required: true },
      {
        key: 'map',
        label: 'Map (JSON)',
        hint: '{"Name": "@{item()?[\'Name\']}"}',
        multiline: true,
        required: true,
      },
    ],
  },
  {
    type: 'query',
    label: 'Filter array',
    description: 'Keep the items of an array that meet a condition (use Item)',
    fields: [
      { key: 'from', label: 'From', required: true },
      { key: 'left', label: 'Value', required: true },
      { key: 'operator', label: 'is', options: OPERATORS, required: true },
      { key: 'right', label: 'Value to compare', required: true },
    ],
  },
  {
    type: 'parseJson',
    label: 'Parse JSON',
    description: 'Check JSON against a schema; its properties become dynamic content',
    fields: [
      { key: 'content', label: 'Content', required: true },
      { key: 'schema', label: 'Schema (JSON Schema)', multiline: true, required: true },
    ],
  },
  {
    type: 'table',
    label: 'Create HTML table',
    description: 'An HTML (or CSV) table of an array of objects',
    fields: [
      { key: 'from', label: 'From', required: true },
      { key: 'format', label: 'Format', options: ['HTML', 'CSV'], required: true },
      {
        key: 'columns',
        label: 'Columns',
        hint: 'Automatic when empty; or one per line: Header = value (dynamic content of Item)',
        multiline: true,
      },
    ],
  },
  {
    type: 'terminate',
    label: 'Terminate',
    description: 'End the run with a status',
    fields: [
      { key: 'runStatus', label: 'Status', options: ['Succeeded', 'Failed', 'Cancelled'], required: true },
      { key: 'message', label: 'Message' },
    ],
  },
]

export const stepSpec = (type: StepType) =>
  STEP_TYPES.find((s) => s.type === type) ?? (STEP_TYPES[0] as (typeof STEP_TYPES)[number])

const DEFAULT_NAMES: Record<StepType, string> = {
  'teams.postMessage': 'Post_message',
  'email.send': 'Send_an_email',
  http: 'HTTP',
  condition: 'Condition',
  compose: 'Compose',
  delay: 'Delay',
  'connector.getItems': 'Get_items',
  terminate: 'Terminate',
  initializeVariable: 'Initialize_variable',
  setVariable: 'Set_variable',
  incrementVariable: 'Increment_variable',
  decrementVariable: 'Decrement_variable',
  appendToStringVariable: 'Append_to_string_variable',
  appendToArrayVariable: 'Append_to_array_variable',
  scope: 'Scope',
  switch: 'Switch',
  until: 'Do_until',
  foreach: 'Apply_to_each',
  join: 'Join',
  select: 'Select',
  query: 'Filter_array',
  parseJson: 'Parse_JSON',
  table: 'Create_HTML_table',
}

/** Every step name in the flow, branches included. */
export function allSteps(steps: Step[]): Step[] {
  return steps.flatMap((s) => [s, ...branchesOf(s).flatMap((b) => allSteps(b.steps))])
}

/** The branches a container shows, each with its steps. */
export function branchesOf(step: Step): { key: string; title: string; steps: Step[] }[] {
  switch (step.type) {
    case 'condition':
      return [
        { key: 'yes', title: 'If yes', steps: step.yes ?? [] },
        { key: 'no', title: 'If no', steps: step.no ?? [] },
      ]
    case 'scope':
    case 'until':
    case 'foreach':
      return [
        {
          key: 'children',
          title:
            step.type === 'scope' ? 'Inside the scope' : step.type === 'until' ? 'Repeat' : 'For each item',
          steps: step.children ?? [],
        },
      ]
    case 'switch':
      return [
        ...(step.cases ?? []).map((c) => ({
          key: `case:${c.uid}`,
          title: c.name.replaceAll('_', ' '),
          steps: c.steps,
        })),
        { key: 'otherwise', title: 'Default', steps: step.otherwise ?? [] },
      ]
    default:
      return []
  }
}

/** The step with one branch's steps replaced. */
export function withBranch(step: Step, key: string, steps: Step[]): Step {
  if (key === 'yes' || key === 'no' || key === 'children' || key === 'otherwise')
    return { ...step, [key]: steps }
  const uidOf = key.slice('case:'.length)
  return { ...step, cases: (step.cases ?? []).map((c) => (c.uid === uidOf ? { ...c, steps } : c)) }
}

/** A switch with one more case (Case, Case_2, …). */
export function addCase(step: Step): Step {
  const taken = new Set((step.cases ?? []).map((c) => c.name))
  let name = 'Case'
  for (let i = 2; taken.has(name); i++) name = `Case_${i}`
  return { ...step, cases: [...(step.cases ?? []), { uid: uid(), name, value: '', steps: [] }] }
}

/** A new step with a name not used yet (Post_message, Post_message_2, …). */
export function newStep(type: StepType, existing: Step[]): Step {
  const taken = new Set(allSteps(existing).map((s) => s.name))
  const base = DEFAULT_NAMES[type]
  let name = base
  for (let i = 2; taken.has(name); i++) name = `${base}_${i}`
  const fields: Record<string, string> = {}
  for (const f of stepSpec(type).fields) if (f.options) fields[f.key] = f.options[0] as string
  if (type === 'http') fields.method = 'POST'
  const nested =
    type === 'condition'
      ? { yes: [], no: [] }
      : type === 'scope' || type === 'until' || type === 'foreach'
        ? { children: [] }
        : type === 'switch'
          ? { cases: [{ uid: uid(), name: 'Case', value: '', steps: [] }], otherwise: [] }
          : {}
  return { uid: uid(), name, type, fields, ...nested }
}

let uids = 0
const uid = () => `step-${++uids}`

/** A dynamic-content token: what the list shows, and the expression it inserts. */
export interface Token {
  label: string
  description: string
  group: string
  expression: string
}

/** The trigger's outputs and earlier steps' outputs, as Power Automate's dynamic-content list. */
export function dynamicContent(trigger: TriggerInfo | undefined, before: Step[]): Token[] {
  const tokens: Token[] = []
  if (trigger) {
    const walk = (fields: Record<string, SchemaField>, path: string[], prefix: string) => {
      for (const [key, field] of Object.entries(fields)) {
        const at = [...path, key]
        const label = field['x-ms-summary'] ?? key
        if (field.type === 'object' && field.properties) walk(field.properties, at, `${label} `)
        else
          tokens.push({
            label: prefix && !label.startsWith(prefix.trim()) ? `${prefix}${label}` : label,
            description: field.description ?? '',
            group: trigger.summary,
            expression: `triggerBody()${at.map((k) => `?['${k}']`).join('')}`,
          })
      }
    }
    walk(trigger.data, [], '')
    tokens.push(
      {
        label: 'Event ID',
        description: 'Identifies the event',
        group: trigger.summary,
        expression: "triggerOutputs()?['id']",
      },
      {
        label: 'Occurred at',
        description: 'When the event happened',
        group: trigger.summary,
        expression: "triggerOutputs()?['occurredAt']",
      },
    )
  }
  for (const step of before) {
    const group = step.name.replaceAll('_', ' ')
    const out = (label: string, expression: string, description: string) =>
      tokens.push({ label, expression, description, group })
    if (step.type === 'http') {
      out('Status code', `outputs('${step.name}')?['statusCode']`, 'The HTTP status the API answered')
      out('Body', `body('${step.name}')`, 'What the API answered')
    } else if (step.type === 'connector.getItems') {
      out('value', `body('${step.name}')?['value']`, 'The items found')
      out('Count', `length(body('${step.name}')?['value'])`, 'How many items were found')
    } else if (step.type === 'compose') out('Outputs', `outputs('${step.name}')`, 'The composed value')
    else if (step.type === 'initializeVariable' && step.fields.name?.trim())
      tokens.push({
        label: step.fields.name.trim(),
        expression: `variables('${step.fields.name.trim().replaceAll("'", "''")}')`,
        description: `The variable (${step.fields.varType ?? 'String'})`,
        group: 'Variables',
      })
    else if (step.type === 'join') out('Output', `body('${step.name}')`, 'The joined text')
    else if (step.type === 'select') out('Output', `body('${step.name}')`, 'The array of new items')
    else if (step.type === 'query') {
      out('Body', `body('${step.name}')`, 'The items that met the condition')
      out('Count', `length(body('${step.name}'))`, 'How many items met the condition')
    } else if (step.type === 'table') out('Output', `body('${step.name}')`, 'The table')
    else if (step.type === 'parseJson') {
      out('Body', `body('${step.name}')`, 'The parsed JSON')
      for (const [path, field] of schemaProperties(parseJsonOr(step.fields.schema)))
        out(
          path.join(' '),
          `body('${step.name}')${path.map((k) => `?['${k.replaceAll("'", "''")}']`).join('')}`,
          field.description ?? field.type ?? '',
        )
    } else if (step.type === 'scope' || step.type === 'until' || step.type === 'switch') {
      if (step.type !== 'switch')
        out('Result', `result('${step.name}')`, 'Each action inside: name, status, outputs, error')
    }
    // Steps inside a container that ran before are dynamic content too (Power Automate lists them).
    for (const branch of branchesOf(step))
      for (const token of dynamicContent(undefined, branch.steps))
        if (token.group !== 'Variables') tokens.push(token)
  }
  return tokens
}

/** Dynamic content inside a step: the current item of Select, Filter array and table columns, the index of a Do until. */
export function ownContent(step: Step): Token[] {
  if (step.type === 'select' || step.type === 'query' || step.type === 'table')
    return [
      { label: 'Item', expression: 'item()', description: 'The current item of From', group: 'Current item' },
    ]
  if (step.type === 'foreach')
    return [
      {
        label: 'Current item',
        expression: `items('${step.name}')`,
        description: 'The item of this repetition',
        group: step.name.replaceAll('_', ' '),
      },
    ]
  if (step.type === 'until')
    return [
      {
        label: 'Iteration index',
        expression: `iterationIndexes('${step.name}')`,
        description: 'Counts the repetitions from 0',
        group: step.name.replaceAll('_', ' '),
      },
    ]
  return []
}

/** The properties of a JSON Schema, nested ones by their path. */
function schemaProperties(schema: unknown, path: string[] = []): [string[], SchemaField][] {
  const properties = (schema as { properties?: Record<string, SchemaField> } | undefined)?.properties
  if (!properties || typeof properties !== 'object' || path.length > 4) return []
  return Object.entries(properties).flatMap(([key, field]) => [
    [[...path, key], field] as [string[], SchemaField],
    ...schemaProperties(field, [...path, key]),
  ])
}

/** A field's text as a person reads it: plain text, and tokens shown by their labels. */
export function readable(
  text: string,
  tokens: Token[],
  options: { html?: boolean } = {},
): ({ text: string } | { token: string; expression: string })[] {
  const parts: ({ text: string } | { token: string; expression: string })[] = []
  const plain = (t: string) => (options.html ? htmlText(t) : t)
  // Longest first, so a token's expression is not replaced by a shorter one inside it.
  const byLength = [...tokens].sort((a, b) => b.expression.length - a.expression.length)
  let rest = text
  for (let m = /@\{([^{}]*)\}/.exec(rest); m; m = /@\{([^{}]*)\}/.exec(rest)) {
    if (m.index > 0) parts.push({ text: plain(rest.slice(0, m.index)) })
    const expression = m[1] as string
    const token = tokens.find((t) => t.expression === expression)
    // An expression reads as Power Automate shows it: fx, with the tokens it uses by their names.
    let shown = expression
    for (const t of byLength) shown = shown.split(t.expression).join(t.label)
    parts.push({ token: token?.label ?? `fx ${shown}`, expression })
    rest = rest.slice(m.index + m[0].length)
  }
  if (rest) parts.push({ text: plain(rest) })
  return parts.filter((p) => !('text' in p) || p.text !== '')
}

/** HTML as the text it shows: line breaks for paragraphs, headings and <br>, other tags left out. */
export function htmlText(html: string): string {
  return html
    .replace(/<\s*br\s*\/?>/gi, '\n')
    .replace(/<\/\s*(p|h[1-6]|div|li|tr)\s*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
}

/** The text a token inserts into a field: string interpolation, as Power Automate inserts it. */
export const tokenText = (token: Token) => `@{${token.expression}}`

const parseJsonOr = (text: string | undefined): unknown => {
  if (text === undefined || text.trim() === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

const CONDITION_FUNCTIONS: Record<string, (l: string, r: string) => string> = {
  equals: (l, r) => `equals(${l}, ${r})`,
  'not equals': (l, r) => `not(equals(${l}, ${r}))`,
  greater: (l, r) => `greater(${l}, ${r})`,
  greaterOrEquals: (l, r) => `greaterOrEquals(${l}, ${r})`,
  less: (l, r) => `less(${l}, ${r})`,
  lessOrEquals: (l, r) => `lessOrEquals(${l}, ${r})`,
  contains: (l, r) => `contains(${l}, ${r})`,
}

/**
 * An operand of a condition as an expression: a lone token is its expression, a number is a
 * number, other text is a string literal (with tokens inside it concatenated).
 */
export function operand(text: string): string {
  const trimmed = text.trim()
  const lone = /^@\{([^{}]*)\}$/.exec(trimmed)
  if (lone) return lone[1] as string
  if (trimmed !== '' && !Number.isNaN(Number(trimmed))) return trimmed
  if (trimmed === 'true' || trimmed === 'false' || trimmed === 'null') return trimmed
  const parts: string[] = []
  let rest = text
  for (let m = /@\{([^{}]*)\}/.exec(rest); m; m = /@\{([^{}]*)\}/.exec(rest)) {
    if (m.index > 0) parts.push(`'${rest.slice(0, m.index).replaceAll("'", "''")}'`)
    parts.push(`string(${m[1]})`)
    rest = rest.slice(m.index + m[0].length)
  }
  if (rest || parts.length === 0) parts.push(`'${rest.replaceAll("'", "''")}'`)
  return parts.length === 1 ? (parts[0] as string) : `concat(${parts.join(', ')})`
}

/** An HTML-escaped body would hide the tokens; people type HTML on purpose here. */
function stepAction(step: Step, secretRef: (step: Step) => string | undefined): Record<string, unknown> {
  const f = step.fields
  switch (step.type) {
    case 'teams.postMessage':
      return {
        type: step.type,
        inputs: {
          webhookUrl: secretRef(step) ?? f.webhookUrl ?? '',
          card: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body: [
              { type: 'TextBlock', text: f.title ?? '', weight: 'Bolder', size: 'Medium', wrap: true },
              { type: 'TextBlock', text: f.text ?? '', wrap: true },
            ],
          },
        },
      }
    case 'email.send': {
      const list = (text: string | undefined) =>
        (text ?? '')
          .split(/[;,]/)
          .map((a) => a.trim())
          .filter(Boolean)
      const cc = list(f.cc)
      return {
        type: step.type,
        inputs: {
          to: list(f.to),
          ...(cc.length ? { cc } : {}),
          subject: f.subject ?? '',
          body: f.body ?? '',
        },
      }
    }
    case 'http': {
      const headers = parseJsonOr(f.headers)
      const body = parseJsonOr(f.body)
      return {
        type: step.type,
        inputs: {
          method: f.method || 'GET',
          uri: f.uri ?? '',
          ...(headers && typeof headers === 'object' ? { headers } : {}),
          ...(body === undefined ? {} : { body }),
        },
      }
    }
    case 'condition': {
      return {
        type: step.type,
        expression: conditionExpression(f),
        actions: sequence(step.yes ?? [], secretRef),
        else: { actions: sequence(step.no ?? [], secretRef) },
      }
    }
    case 'connector.getItems': {
      const inputs: Record<string, unknown> = { entity: f.entity ?? '' }
      for (const key of ['$filter', '$select', '$orderby'] as const)
        if (f[key]?.trim()) inputs[key] = f[key]?.trim()
      if (f.$top?.trim()) inputs.$top = Number.isInteger(Number(f.$top)) ? Number(f.$top) : f.$top
      return { type: step.type, inputs }
    }
    case 'compose':
      return { type: step.type, inputs: parseJsonOr(f.inputs) ?? '' }
    case 'delay':
      return { type: step.type, inputs: { interval: f.interval ?? 'PT1M' } }
    case 'terminate':
      return {
        type: step.type,
        inputs: {
          runStatus: f.runStatus || 'Failed',
          ...(f.message ? { runError: { message: f.message } } : {}),
        },
      }
    case 'initializeVariable': {
      const type = f.varType || 'String'
      const value = f.value?.trim() ? typedValue(f.value, type) : undefined
      return {
        type: step.type,
        inputs: {
          variables: [{ name: f.name?.trim() ?? '', type, ...(value === undefined ? {} : { value }) }],
        },
      }
    }
    case 'setVariable':
    case 'appendToArrayVariable':
      return { type: step.type, inputs: { name: f.name?.trim() ?? '', value: typedValue(f.value ?? '') } }
    case 'appendToStringVariable':
      return { type: step.type, inputs: { name: f.name?.trim() ?? '', value: f.value ?? '' } }
    case 'incrementVariable':
    case 'decrementVariable':
      return {
        type: step.type,
        inputs: { name: f.name?.trim() ?? '', ...(f.value?.trim() ? { value: typedValue(f.value) } : {}) },
      }
    case 'scope':
      return { type: step.type, actions: sequence(step.children ?? [], secretRef) }
    case 'foreach': {
      const repetitions = Number(f.concurrency)
      return {
        type: step.type,
        foreach: `@${operand(f.from ?? '')}`,
        actions: sequence(step.children ?? [], secretRef),
        ...(Number.isInteger(repetitions) && repetitions > 1
          ? { runtimeConfiguration: { concurrency: { repetitions: Math.min(repetitions, 50) } } }
          : {}),
      }
    }
    case 'switch':
      return {
        type: step.type,
        expression: typedValue(f.on ?? ''),
        cases: Object.fromEntries(
          (step.cases ?? []).map((c) => [
            c.name,
            { case: typedValue(c.value, 'case'), actions: sequence(c.steps, secretRef) },
          ]),
        ),
        default: { actions: sequence(step.otherwise ?? [], secretRef) },
      }
    case 'until':
      return {
        type: step.type,
        expression: conditionExpression(f),
        limit: {
          count: Number.isInteger(Number(f.count)) && Number(f.count) > 0 ? Number(f.count) : 60,
          timeout: f.timeout?.trim() || 'PT1H',
        },
        actions: sequence(step.children ?? [], secretRef),
      }
    case 'join':
      return { type: step.type, inputs: { from: typedValue(f.from ?? ''), joinWith: f.joinWith ?? '' } }
    case 'select':
      return { type: step.type, inputs: { from: typedValue(f.from ?? ''), select: typedValue(f.map ?? '') } }
    case 'query':
      return { type: step.type, inputs: { from: typedValue(f.from ?? ''), where: conditionExpression(f) } }
    case 'parseJson':
      return {
        type: step.type,
        inputs: { content: typedValue(f.content ?? ''), schema: parseJsonOr(f.schema) ?? {} },
      }
    case 'table': {
      const columns = (f.columns ?? '')
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean)
        .map((line) => {
          const at = line.indexOf('=')
          return at < 0
            ? { header: line, value: `@item()?['${line.replaceAll("'", "''")}']` }
            : { header: line.slice(0, at).trim(), value: typedValue(line.slice(at + 1).trim()) }
        })
      return {
        type: step.type,
        inputs: {
          from: typedValue(f.from ?? ''),
          format: f.format || 'HTML',
          ...(columns.length ? { columns } : {}),
        },
      }
    }
  }
}

/** The condition fields of a step (left, operator, right) as an expression. */
function conditionExpression(f: Record<string, string>): string {
  const make = CONDITION_FUNCTIONS[f.operator ?? 'equals'] ?? CONDITION_FUNCTIONS.equals
  return `@${(make as (l: string, r: string) => string)(operand(f.left ?? ''), operand(f.right ?? ''))}`
}

/**
 * A typed value as a definition holds it: a lone token keeps its type (@variables('n'), not
 * "@{…}" text), JSON reads as JSON (numbers, arrays, objects), other text stays text.
 */
export function typedValue(text: string, type?: string): unknown {
  const trimmed = text.trim()
  const lone = /^@\{([^{}]*)\}$/.exec(trimmed)
  if (lone) return `@${lone[1]}`
  if (type === 'String') return text
  const parsed = parseJsonOr(trimmed)
  if (type === 'case' && typeof parsed !== 'number' && typeof parsed !== 'boolean') return text
  return parsed === undefined ? '' : parsed
}

/** A typed value back as the text a field shows. */
function fieldText(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'string') return /^@[^{@]/.test(value) ? `@{${value.slice(1)}}` : value
  return JSON.stringify(value)
}

/** Steps one after another: each runs after the one before it succeeded. */
function sequence(steps: Step[], secretRef: (step: Step) => string | undefined): Record<string, unknown> {
  const actions: Record<string, unknown> = {}
  steps.forEach((step, i) => {
    const previous = steps[i - 1]
    const secure = secureProperties(step)
    const retry = step.retry
    actions[step.name] = {
      ...stepAction(step, secretRef),
      ...(retry
        ? {
            retryPolicy:
              retry.type === 'none'
                ? { type: 'none' }
                : {
                    type: retry.type,
                    ...(retry.count.trim() ? { count: Number(retry.count) } : {}),
                    ...(retry.interval.trim() ? { interval: retry.interval.trim() } : {}),
                  },
          }
        : {}),
      ...(step.timeout?.trim() ? { timeout: step.timeout.trim() } : {}),
      runAfter: previous ? { [previous.name]: step.runAfter?.length ? step.runAfter : ['Succeeded'] } : {},
      ...(secure.length ? { runtimeConfiguration: { secureData: { properties: secure } } } : {}),
    }
  })
  return actions
}

function secureProperties(step: Step): ('inputs' | 'outputs')[] {
  return [
    ...(step.secure?.inputs ? (['inputs'] as const) : []),
    ...(step.secure?.outputs ? (['outputs'] as const) : []),
  ]
}

/** The secret a step's sealed field is kept in. */
export const secretName = (flowName: string, step: Step, field: string) =>
  `flow:${flowName}:${step.name}.${field}`

/** Fields a save must seal first: typed values that are not already a reference. */
export function secretsToSeal(state: DesignerState): { name: string; value: string; step: Step }[] {
  return allSteps(state.steps)
    .filter(
      (s) => s.type === 'teams.postMessage' && s.fields.webhookUrl && !s.fields.webhookUrl.startsWith('@'),
    )
    .map((s) => ({
      name: secretName(state.flowName, s, 'webhookUrl'),
      value: s.fields.webhookUrl as string,
      step: s,
    }))
}

/** The workflow definition the designer's state stands for; sealed fields as secret('…'). */
export function toDefinition(state: DesignerState): Record<string, unknown> {
  const parameters: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(state.triggerParameters)) {
    if (value.trim() === '') continue
    parameters[key] = key === 'threshold' && !Number.isNaN(Number(value)) ? Number(value) : value.trim()
  }
  const sealed = new Set(secretsToSeal(state).map((s) => s.step))
  return {
    trigger:
      state.triggerType === 'Recurrence'
        ? { type: 'Recurrence', recurrence: recurrenceOf(state.triggerParameters) }
        : { type: state.triggerType, parameters },
    actions: sequence(state.steps, (step) =>
      sealed.has(step) ? `@secret('${secretName(state.flowName, step, 'webhookUrl')}')` : undefined,
    ),
  }
}

const ISO_DURATION = /^P(?=\d|T\d)(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/

/** Problems a person can fix before saving, each naming the step and the field. */
export function validate(state: DesignerState, trigger: TriggerInfo | undefined): string[] {
  const problems: string[] = []
  if (!/^[A-Za-z0-9][A-Za-z0-9 _-]{0,99}$/.test(state.flowName))
    problems.push('Flow name: use letters, digits, spaces, - and _ (starting with a letter or digit)')
  if (!trigger) problems.push('Choose a trigger')
  for (const key of trigger?.required ?? [])
    if (!state.triggerParameters[key]?.trim())
      problems.push(`Trigger: ${trigger?.parameters[key]?.['x-ms-summary'] ?? key} is required`)
  if (state.steps.length === 0) problems.push('Add at least one step')
  const names = new Set<string>()
  for (const step of allSteps(state.steps)) {
    if (names.has(step.name)) problems.push(`Two steps are named ${step.name}; rename one`)
    names.add(step.name)
    if (!/^[A-Za-z0-9_][A-Za-z0-9_ -]{0,79}$/.test(step.name))
      problems.push(`${step.name}: a step name uses letters, digits, _, - and spaces`)
    if (
      step.type === 'foreach' &&
      Number(step.fields.concurrency) > 1 &&
      allSteps(step.children ?? []).some((s) => /Variable$/.test(s.type) && s.type !== 'initializeVariable')
    )
      problems.push(
        `${step.name.replaceAll('_', ' ')}: steps inside change variables, so items must go one at a time (Items at once: 1)`,
      )
    if (step.timeout?.trim() && !ISO_DURATION.test(step.timeout.trim()))
      problems.push(
        `${step.name.replaceAll('_', ' ')}: Timeout is an ISO 8601 duration such as PT30S or PT5M`,
      )
    if (step.retry && step.retry.type !== 'none') {
      if (step.retry.count.trim() && !/^\d+$/.test(step.retry.count.trim()))
        problems.push(`${step.name.replaceAll('_', ' ')}: Retry count is a whole number`)
      if (step.retry.interval.trim() && !ISO_DURATION.test(step.retry.interval.trim()))
        problems.push(
          `${step.name.replaceAll('_', ' ')}: Retry interval is an ISO 8601 duration such as PT7S`,
        )
    }
    for (const field of stepSpec(step.type).fields)
      if (field.required && !step.fields[field.key]?.trim())
        problems.push(`${step.name.replaceAll('_', ' ')}: ${field.label} is required`)
  }
  return problems
}

/**
 * A stored definition back in the designer, when it has the designer's shape (a sequence of
 * steps it knows); undefined otherwise (edit it as code).
 */
export function fromDefinition(
  flowName: string,
  definition: Record<string, unknown>,
): DesignerState | undefined {
  const trigger = definition.trigger as
    | { type?: string; parameters?: Record<string, unknown>; recurrence?: Record<string, unknown> }
    | undefined
  if (!trigger?.type) return undefined
  let parameters = trigger.parameters ?? {}
  if (trigger.type === 'Recurrence' && trigger.recurrence) {
    const { schedule, ...rest } = trigger.recurrence as { schedule?: Record<string, unknown[]> }
    parameters = {
      ...rest,
      ...Object.fromEntries(Object.entries(schedule ?? {}).map(([k, v]) => [k, (v ?? []).join(',')])),
    }
  }
  const steps = stepsFrom(definition.actions as Record<string, Record<string, unknown>> | undefined)
  if (!steps) return undefined
  return {
    flowName,
    triggerType: trigger.type,
    triggerParameters: Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, String(v)])),
    steps,
  }
}

function stepsFrom(actions: Record<string, Record<string, unknown>> | undefined): Step[] | undefined {
  const entries = Object.entries(actions ?? {})
  const steps: Step[] = []
  for (const [name, action] of entries) {
    // Secure inputs/outputs are settings the designer shows; other runtime settings mean: edit as code.
    const { runtimeConfiguration, retryPolicy, timeout, ...rest } = action as {
      runtimeConfiguration?: unknown
      retryPolicy?: { type?: string; count?: number; interval?: string }
      timeout?: string
    }
    const settings = parseSecureSettings(
      runtimeConfiguration,
      (action as { type?: unknown }).type === 'foreach',
    )
    if (settings === null) return undefined
    const before = steps.length
    const previous = steps[before - 1]
    const parsed = stepsFromOne(
      name,
      { ...(rest as Record<string, unknown>), ...(runtimeConfiguration ? { runtimeConfiguration } : {}) },
      steps,
    )
    if (!parsed) return undefined
    const added = steps[steps.length - 1] as Step
    if (settings && steps.length > before) added.secure = settings
    if (retryPolicy)
      added.retry = {
        type: (retryPolicy.type ?? 'exponential') as 'none' | 'fixed' | 'exponential',
        count: retryPolicy.count === undefined ? '' : String(retryPolicy.count),
        interval: retryPolicy.interval ?? '',
      }
    if (timeout) added.timeout = timeout
    const after = (action as { runAfter?: Record<string, RunAfterStatus[]> }).runAfter ?? {}
    const statuses = previous ? after[previous.name] : undefined
    if (statuses && !(statuses.length === 1 && statuses[0] === 'Succeeded')) added.runAfter = statuses
  }
  return steps
}

/** runtimeConfiguration as the designer knows it: secure data only (null: something else). */
function parseSecureSettings(value: unknown, loop = false): Step['secure'] | null {
  if (value === undefined) return undefined
  const config = value as { secureData?: { properties?: string[] } }
  // A loop's concurrency is a field of the Apply to each step.
  if (Object.keys(config).some((k) => k !== 'secureData' && !(loop && k === 'concurrency'))) return null
  const properties = config.secureData?.properties ?? []
  return { inputs: properties.includes('inputs'), outputs: properties.includes('outputs') }
}

function stepsFromOne(name: string, action: Record<string, unknown>, steps: Step[]): boolean {
  const inputs = (action.inputs ?? {}) as Record<string, unknown>
  const text = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v))
  switch (action.type) {
    case 'teams.postMessage': {
      const body = ((inputs.card as { body?: { text?: string }[] } | undefined)?.body ?? []) as {
        text?: string
      }[]
      steps.push({
        uid: uid(),
        name,
        type: 'teams.postMessage',
        fields: {
          webhookUrl: text(inputs.webhookUrl),
          title: text(inputs.title ?? body[0]?.text),
          text: text(
            inputs.text ??
              body
                .slice(1)
                .map((b) => b.text ?? '')
                .join('\n'),
          ),
        },
      })
      break
    }
    case 'email.send': {
      const list = (v: unknown) => (Array.isArray(v) ? v.join('; ') : text(v))
      steps.push({
        uid: uid(),
        name,
        type: 'email.send',
        fields: {
          to: list(inputs.to),
          cc: list(inputs.cc),
          subject: text(inputs.subject),
          body: text(inputs.body),
        },
      })
      break
    }
    case 'http':
      steps.push({
        uid: uid(),
        name,
        type: 'http',
        fields: {
          method: text(inputs.method ?? 'GET'),
          uri: text(inputs.uri),
          headers: inputs.headers ? JSON.stringify(inputs.headers) : '',
          body: text(inputs.body),
        },
      })
      break
    case 'compose':
      steps.push({ uid: uid(), name, type: 'compose', fields: { inputs: text(action.inputs) } })
      break
    case 'delay':
      steps.push({ uid: uid(), name, type: 'delay', fields: { interval: text(inputs.interval) } })
      break
    case 'connector.getItems':
      steps.push({
        uid: uid(),
        name,
        type: 'connector.getItems',
        fields: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, text(v)])),
      })
      break
    case 'initializeVariable': {
      const [variable] = (inputs.variables ?? []) as { name?: string; type?: string; value?: unknown }[]
      if (!variable) return false
      steps.push({
        uid: uid(),
        name,
        type: 'initializeVariable',
        fields: {
          name: variable.name ?? '',
          varType: variable.type ?? 'String',
          value: fieldText(variable.value),
        },
      })
      break
    }
    case 'setVariable':
    case 'incrementVariable':
    case 'decrementVariable':
    case 'appendToStringVariable':
    case 'appendToArrayVariable':
      steps.push({
        uid: uid(),
        name,
        type: action.type,
        fields: { name: text(inputs.name), value: fieldText(inputs.value) },
      })
      break
    case 'join':
      steps.push({
        uid: uid(),
        name,
        type: 'join',
        fields: { from: fieldText(inputs.from), joinWith: text(inputs.joinWith) },
      })
      break
    case 'select':
      steps.push({
        uid: uid(),
        name,
        type: 'select',
        fields: { from: fieldText(inputs.from), map: fieldText(inputs.select) },
      })
      break
    case 'parseJson':
      steps.push({
        uid: uid(),
        name,
        type: 'parseJson',
        fields: { content: fieldText(inputs.content), schema: JSON.stringify(inputs.schema ?? {}, null, 2) },
      })
      break
    case 'table': {
      const columns = (inputs.columns ?? []) as { header?: string; value?: unknown }[]
      steps.push({
        uid: uid(),
        name,
        type: 'table',
        fields: {
          from: fieldText(inputs.from),
          format: text(inputs.format ?? 'HTML'),
          columns: columns.map((c) => `${c.header ?? ''} = ${fieldText(c.value)}`).join('\n'),
        },
      })
      break
    }
    case 'condition': {
      const condition = conditionFields(action.expression)
      const yes = stepsFrom(action.actions as Record<string, Record<string, unknown>> | undefined)
      const no = stepsFrom(
        (action.else as { actions?: Record<string, Record<string, unknown>> } | undefined)?.actions,
      )
      if (!condition || !yes || !no) return false
      steps.push({ uid: uid(), name, type: 'condition', fields: condition, yes, no })
      break
    }
    case 'query':
    case 'until': {
      const condition = conditionFields(action.type === 'query' ? inputs.where : action.expression)
      if (!condition) return false
      const limit = (action.limit ?? {}) as { count?: number; timeout?: string }
      const step: Step = {
        uid: uid(),
        name,
        type: action.type,
        fields:
          action.type === 'query'
            ? { from: fieldText(inputs.from), ...condition }
            : { ...condition, count: limit.count ? String(limit.count) : '', timeout: limit.timeout ?? '' },
      }
      if (action.type === 'until') {
        const children = stepsFrom(action.actions as Record<string, Record<string, unknown>> | undefined)
        if (!children) return false
        step.children = children
      }
      steps.push(step)
      break
    }
    case 'scope': {
      const children = stepsFrom(action.actions as Record<string, Record<string, unknown>> | undefined)
      if (!children) return false
      steps.push({ uid: uid(), name, type: 'scope', fields: {}, children })
      break
    }
    case 'foreach': {
      const children = stepsFrom(action.actions as Record<string, Record<string, unknown>> | undefined)
      const repetitions = (
        action.runtimeConfiguration as { concurrency?: { repetitions?: number } } | undefined
      )?.concurrency?.repetitions
      if (!children || typeof action.foreach !== 'string') return false
      steps.push({
        uid: uid(),
        name,
        type: 'foreach',
        fields: { from: fieldText(action.foreach), concurrency: repetitions ? String(repetitions) : '' },
        children,
      })
      break
    }
    case 'switch': {
      const cases: SwitchCase[] = []
      for (const [caseName, c] of Object.entries(
        (action.cases ?? {}) as Record<string, { case?: unknown; actions?: unknown }>,
      )) {
        const caseSteps = stepsFrom(c.actions as Record<string, Record<string, unknown>> | undefined)
        if (!caseSteps) return false
        cases.push({ uid: uid(), name: caseName, value: fieldText(c.case), steps: caseSteps })
      }
      const otherwise = stepsFrom(
        (action.default as { actions?: Record<string, Record<string, unknown>> } | undefined)?.actions,
      )
      if (!otherwise) return false
      steps.push({
        uid: uid(),
        name,
        type: 'switch',
        fields: { on: fieldText(action.expression) },
        cases,
        otherwise,
      })
      break
    }
    default:
      return false
  }
  return true
}

/** A condition the designer wrote (@fn(left, right)) back as its fields; undefined for any other. */
function conditionFields(expression: unknown): Record<string, string> | undefined {
  if (typeof expression !== 'string') return undefined
  const negated = /^@not\(equals\((.*)\)\)$/s.exec(expression)
  const plain = /^@(equals|greater|greaterOrEquals|less|lessOrEquals|contains)\((.*)\)$/s.exec(expression)
  const [operator, args] = negated
    ? ['not equals', negated[1] as string]
    : plain
      ? [plain[1] as string, plain[2] as string]
      : []
  if (!operator || args === undefined) return undefined
  const split = splitArguments(args)
  if (split.length !== 2) return undefined
  return { operator, left: operandText(split[0] as string), right: operandText(split[1] as string) }
}

/** Top-level arguments of a call, respecting quotes and brackets. */
function splitArguments(text: string): string[] {
  const out: string[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === "'") quoted = !quoted
    else if (!quoted && (c === '(' || c === '[')) depth++
    else if (!quoted && (c === ')' || c === ']')) depth--
    else if (!quoted && depth === 0 && c === ',') {
      out.push(text.slice(start, i).trim())
      start = i + 1
    }
  }
  out.push(text.slice(start).trim())
  return out
}

/** An operand expression back as the text a person typed (the inverse of operand()). */
function operandText(expression: string): string {
  if (/^'(?:[^']|'')*'$/.test(expression)) return expression.slice(1, -1).replaceAll("''", "'")
  if (/^-?\d+(\.\d+)?$/.test(expression) || ['true', 'false', 'null'].includes(expression)) return expression
  return `@{${expression}}`
}

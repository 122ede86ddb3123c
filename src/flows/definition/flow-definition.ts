/**
 * A flow in the shape of a Power Automate / Logic Apps workflow definition: one trigger (a
 * connector trigger with its parameters) and named actions ordered by `runAfter`. Condition and
 * foreach actions hold actions of their own.
 */
import { z } from 'zod'
import { EVENT_TYPES, triggerOf } from '../../events/index.js'
import { checkExpressions } from '../expressions/index.js'
import { recurrenceSchema } from './recurrence.js'

export const ACTION_STATUSES = ['Succeeded', 'Failed', 'Skipped', 'TimedOut'] as const
export type ActionStatus = (typeof ACTION_STATUSES)[number]

export const ACTION_TYPES = [
  'teams.postMessage',
  'email.send',
  'http',
  'condition',
  'foreach',
  'compose',
  'delay',
  'terminate',
  'connector.getItems',
  'connector.getItem',
  'connector.createItem',
  'connector.updateItem',
  // Power Automate's built-in actions, by their workflow-definition names.
  'switch',
  'until',
  'scope',
  'initializeVariable',
  'setVariable',
  'incrementVariable',
  'decrementVariable',
  'appendToStringVariable',
  'appendToArrayVariable',
  'join',
  'select',
  'query',
  'parseJson',
  'table',
] as const
export type ActionType = (typeof ACTION_TYPES)[number]

/**
 * The built-in action types as Power Automate's "Peek code" and Logic Apps exports write them
 * (case does not matter there): If, Foreach, Switch, Until, Scope, InitializeVariable, …, Wait.
 */
const WORKFLOW_TYPE_NAMES: Record<string, ActionType> = {
  if: 'condition',
  foreach: 'foreach',
  compose: 'compose',
  wait: 'delay',
  terminate: 'terminate',
  http: 'http',
  ...Object.fromEntries(
    ACTION_TYPES.filter((t) => /^[a-z]+[A-Z]?[A-Za-z]*$/.test(t) && !t.includes('.')).map((t) => [
      t.toLowerCase(),
      t,
    ]),
  ),
}

const WAIT_UNITS: Record<string, string> = { second: 'S', minute: 'M', hour: 'H', day: 'D', week: 'W' }

/**
 * An action as a workflow definition may write it, in ours: the type name mapped, Wait's
 * { count, unit } written as a duration, and the designer's bookkeeping (metadata,
 * trackedProperties) dropped. Anything else is left for the schema to judge.
 */
function normalizeAction(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw
  const {
    metadata: _m,
    trackedProperties: _t,
    operationOptions: _o,
    ...action
  } = raw as Record<string, unknown>
  const type = typeof action.type === 'string' ? WORKFLOW_TYPE_NAMES[action.type.toLowerCase()] : undefined
  if (!type) return action
  const out: Record<string, unknown> = { ...action, type }
  const inputs = out.inputs as Record<string, unknown> | undefined
  const interval = inputs?.interval as { count?: unknown; unit?: unknown } | undefined
  if (type === 'delay' && interval && typeof interval === 'object' && typeof interval.unit === 'string') {
    const unit = WAIT_UNITS[interval.unit.toLowerCase()]
    const count = Number(interval.count)
    if (unit && Number.isFinite(count) && count >= 0) {
      const iso = unit === 'W' ? `P${count * 7}D` : unit === 'D' ? `P${count}D` : `PT${count}${unit}`
      out.inputs = { ...inputs, interval: iso }
    }
  }
  return out
}

/** The actions an action holds, with the path under it where each set lives. */
export function childScopes(action: ActionDefinition): [string, Record<string, ActionDefinition>][] {
  const scopes: [string, Record<string, ActionDefinition>][] = []
  if (action.actions) scopes.push(['actions', action.actions])
  if (action.else) scopes.push(['else.actions', action.else.actions])
  for (const [name, c] of Object.entries(action.cases ?? {}))
    scopes.push([`cases.${name}.actions`, c.actions])
  if (action.default) scopes.push(['default.actions', action.default.actions])
  return scopes
}

/** ISO 8601 durations as Power Automate writes them: PT10S, PT1M, P1D. */
export const isoDurationSchema = z
  .string()
  .regex(
    /^P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$/,
    'an ISO 8601 duration such as PT10S, PT5M or P1D',
  )
  .refine((v) => v !== 'P' && v !== 'PT', 'an ISO 8601 duration such as PT10S, PT5M or P1D')

export function durationMs(iso: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(iso)
  if (!m) throw new Error(`not an ISO 8601 duration: ${iso}`)
  return (
    ((Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 60_000 +
    Number(m[4] ?? 0) * 1000
  )
}

export const retryPolicySchema = z
  .object({
    type: z.enum(['exponential', 'fixed', 'none']).default('exponential'),
    count: z.number().int().min(0).max(90).default(4),
    interval: isoDurationSchema.default('PT7S').describe('Fixed: the wait; exponential: the base wait'),
    maximumInterval: isoDurationSchema.default('PT1H'),
  })
  .strict()
  .describe(
    "When an action fails with a transient error (timeouts, 408, 429, 5xx): Power Automate's default is exponential, 4 retries",
  )

/** Power Automate's "Secure inputs" / "Secure outputs" settings of an action. */
const secureDataSchema = z
  .object({ properties: z.array(z.enum(['inputs', 'outputs'])).min(1) })
  .strict()
  .describe(
    'Secure inputs and/or outputs: kept sealed in run history and shown as hidden (actions that read a secret get both)',
  )

const actionBase = {
  description: z.string().max(500).optional(),
  runAfter: z
    .record(z.string(), z.array(z.enum(ACTION_STATUSES)).min(1))
    .default({})
    .describe('Actions (in the same scope) this one waits for, and the statuses that let it run'),
  retryPolicy: retryPolicySchema.optional(),
  timeout: isoDurationSchema.optional().describe('The action fails as TimedOut after this long'),
  runtimeConfiguration: z.object({ secureData: secureDataSchema.optional() }).strict().optional(),
}

export type ActionDefinition = {
  type: ActionType
  description?: string | undefined
  runAfter: Record<string, ActionStatus[]>
  retryPolicy?: z.infer<typeof retryPolicySchema> | undefined
  timeout?: string | undefined
  inputs?: unknown
  /**
   * condition: the boolean expression (or the designer's object form, {"and": [{"equals": [a, b]}]});
   * then-actions in `actions`, else-actions in `else.actions`. switch: the value to match;
   * until: the condition that ends the loop.
   */
  expression?: unknown
  /** switch: its cases, each a value and actions; `default` when none matches. */
  cases?: Record<string, { case: unknown; actions: Record<string, ActionDefinition> }>
  default?: { actions: Record<string, ActionDefinition> }
  /** until: at most this many iterations, for at most this long. */
  limit?: { count: number; timeout: string }
  /** foreach: the array to iterate. */
  foreach?: unknown
  actions?: Record<string, ActionDefinition>
  else?: { actions: Record<string, ActionDefinition> }
  runtimeConfiguration?:
    | {
        concurrency?: { repetitions: number } | undefined
        secureData?: { properties: ('inputs' | 'outputs')[] } | undefined
      }
    | undefined
}

export const actionsSchema: z.ZodType<Record<string, ActionDefinition>> = z.lazy(() =>
  z.record(
    z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_ -]{0,79}$/, 'letters, digits, _, - and spaces (e.g. Post_message)'),
    actionSchema,
  ),
)

const conditionSchema = z
  .union([z.string(), z.boolean(), z.record(z.string(), z.unknown())])
  .describe(
    'A boolean expression, e.g. @greater(triggerBody()?[\'value\'], 100), or the designer\'s form {"and": [{"greater": [a, b]}]}',
  )
const variableName = z.string().min(1).max(80)
const VARIABLE_TYPES = ['Boolean', 'Integer', 'Float', 'String', 'Object', 'Array'] as const
export type VariableType = (typeof VARIABLE_TYPES)[number]
const variableType = z
  .string()
  .transform((t) => VARIABLE_TYPES.find((v) => v.toLowerCase() === t.toLowerCase()) ?? t)
  .pipe(z.enum(VARIABLE_TYPES))
const variableChange = (valueRequired: boolean) =>
  z.object({ name: variableName, value: valueRequired ? z.unknown() : z.unknown().optional() }).strict()
const caseValue = z.union([z.string(), z.number(), z.boolean()])

export const actionSchema: z.ZodType<ActionDefinition> = z.lazy(() =>
  z.preprocess(normalizeAction, actionUnion),
)

const actionUnion: z.ZodType<ActionDefinition> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('teams.postMessage'), inputs: teamsInputs, ...actionBase }).strict(),
    z.object({ type: z.literal('email.send'), inputs: emailInputs, ...actionBase }).strict(),
    z.object({ type: z.literal('http'), inputs: httpInputs, ...actionBase }).strict(),
    z
      .object({
        type: z.literal('condition'),
        expression: conditionSchema,
        actions: actionsSchema.default({}),
        else: z
          .object({ actions: actionsSchema.default({}) })
          .strict()
          .optional(),
        ...actionBase,
      })
      .strict(),
    z
      .object({
        type: z.literal('foreach'),
        foreach: z.string().describe("The array to go through, e.g. @body('Get_items')?['value']"),
        actions: actionsSchema,
        ...actionBase,
        runtimeConfiguration: z
          .object({
            concurrency: z
              .object({ repetitions: z.number().int().min(1).max(50) })
              .strict()
              .optional(),
            secureData: secureDataSchema.optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
    z.object({ type: z.literal('compose'), inputs: z.unknown(), ...actionBase }).strict(),
    z
      .object({
        type: z.literal('delay'),
        inputs: z.object({ interval: isoDurationSchema.describe('How long to wait, e.g. PT30S') }).strict(),
        ...actionBase,
      })
      .strict(),
    z
      .object({
        type: z.literal('terminate'),
        inputs: z
          .object({
            runStatus: z.enum(['Succeeded', 'Failed', 'Cancelled']),
            runError: z
              .object({ code: z.string().optional(), message: z.string().optional() })
              .strict()
              .optional(),
          })
          .strict(),
        ...actionBase,
      })
      .strict(),
    z.object({ type: z.literal('connector.getItems'), inputs: getItemsInputs, ...actionBase }).strict(),
    z.object({ type: z.literal('connector.getItem'), inputs: itemInputs, ...actionBase }).strict(),
    z.object({ type: z.literal('connector.createItem'), inputs: writeInputs, ...actionBase }).strict(),
    z
      .object({
        type: z.literal('connector.updateItem'),
        inputs: writeInputs.extend({ key: z.string() }).strict(),
        ...actionBase,
      })
      .strict(),
    z
      .object({
        type: z.literal('switch'),
        expression: caseValue.describe("The value to match, e.g. @triggerBody()?['segmentName']"),
        cases: z
          .record(z.string(), z.object({ case: caseValue, actions: actionsSchema.default({}) }).strict())
          .default({}),
        default: z
          .object({ actions: actionsSchema.default({}) })
          .strict()
          .optional(),
        ...actionBase,
      })
      .strict(),
    z
      .object({
        type: z.literal('until'),
        expression: conditionSchema.describe(
          'The loop ends when this is true (checked after each iteration)',
        ),
        limit: z
          .object({
            count: z.number().int().min(1).max(5000).default(60),
            timeout: isoDurationSchema.default('PT1H'),
          })
          .strict()
          .default({ count: 60, timeout: 'PT1H' }),
        actions: actionsSchema,
        ...actionBase,
      })
      .strict(),
    z.object({ type: z.literal('scope'), actions: actionsSchema, ...actionBase }).strict(),
    z
      .object({
        type: z.literal('initializeVariable'),
        inputs: z
          .object({
            variables: z
              .array(
                z.object({ name: variableName, type: variableType, value: z.unknown().optional() }).strict(),
              )
              .length(1, 'one variable per action, as in Power Automate'),
          })
          .strict(),
        ...actionBase,
      })
      .strict(),
    z.object({ type: z.literal('setVariable'), inputs: variableChange(true), ...actionBase }).strict(),
    z.object({ type: z.literal('incrementVariable'), inputs: variableChange(false), ...actionBase }).strict(),
    z.object({ type: z.literal('decrementVariable'), inputs: variableChange(false), ...actionBase }).strict(),
    z
      .object({ type: z.literal('appendToStringVariable'), inputs: variableChange(true), ...actionBase })
      .strict(),
    z
      .object({ type: z.literal('appendToArrayVariable'), inputs: variableChange(true), ...actionBase })
      .strict(),
    z
      .object({
        type: z.literal('join'),
        inputs: z.object({ from: z.unknown(), joinWith: z.string() }).strict(),
        ...actionBase,
      })
      .strict(),
    z
      .object({
        type: z.literal('select'),
        inputs: z
          .object({
            from: z.unknown(),
            select: z
              .unknown()
              .describe('An object (a map of keys to values) or a value, with item() for each item'),
          })
          .strict(),
        ...actionBase,
      })
      .strict(),
    z
      .object({
        type: z.literal('query'),
        inputs: z
          .object({
            from: z.unknown(),
            where: conditionSchema.describe('Keeps the items for which this is true'),
          })
          .strict(),
        ...actionBase,
      })
      .strict(),
    z
      .object({
        type: z.literal('parseJson'),
        inputs: z
          .object({ content: z.unknown(), schema: z.record(z.string(), z.unknown()).default({}) })
          .strict(),
        ...actionBase,
      })
      .strict(),
    z
      .object({
        type: z.literal('table'),
        inputs: z
          .object({
            from: z.unknown(),
            format: z
              .string()
              .transform((f) => f.toUpperCase())
              .pipe(z.enum(['CSV', 'HTML'])),
            columns: z
              .array(z.object({ header: z.string().optional(), value: z.unknown() }).strict())
              .optional()
              .describe('Custom columns; without them, one column per key of the first item'),
          })
          .strict(),
        ...actionBase,
      })
      .strict(),
  ]),
)

// Inputs: strings may hold expressions, so they are checked for shape here and for values when they run.
const text = z.string()
const teamsInputs = z
  .object({
    webhookUrl: text.describe(
      "A Teams incoming-webhook or Workflows URL (stored encrypted), or @secrets('name')",
    ),
    text: text.optional().describe('Plain text, when no card is given'),
    title: text.optional(),
    card: z.unknown().optional().describe('An Adaptive Card (the "content" of the attachment)'),
  })
  .strict()
const emailInputs = z
  .object({
    to: z.union([text, z.array(text)]),
    cc: z.union([text, z.array(text)]).optional(),
    subject: text,
    body: text.describe('HTML'),
  })
  .strict()
const httpInputs = z
  .object({
    method: z.union([z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']), text]).default('GET'),
    uri: text,
    headers: z.record(z.string(), z.unknown()).optional(),
    queries: z.record(z.string(), z.unknown()).optional(),
    body: z.unknown().optional(),
    authentication: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('Basic'), username: text, password: text }).strict(),
        z.object({ type: z.literal('Bearer'), token: text }).strict(),
      ])
      .optional(),
  })
  .strict()
const getItemsInputs = z
  .object({
    entity: text,
    $filter: text.optional(),
    $select: text.optional(),
    $orderby: text.optional(),
    $top: z.union([z.number().int(), text]).optional(),
    $skip: z.union([z.number().int(), text]).optional(),
    $count: z
      .union([z.boolean(), text])
      .optional()
      .describe('Also give the count of every matching item (@odata.count)'),
    changes: z
      .enum(['added', 'removed'])
      .optional()
      .describe(
        'Only the items the last refresh added (e.g. the members who joined a segment) or removed, compared with the version before',
      ),
  })
  .strict()
const itemInputs = z.object({ entity: text, key: text }).strict()
const writeInputs = z.object({ entity: text, item: z.record(z.string(), z.unknown()) }).strict()

/**
 * A whole workflow definition as a Logic Apps export or Power Automate's flow package writes it —
 * `{ $schema, contentVersion, parameters: { $connections }, triggers: { Name: {...} }, actions,
 * outputs }`, possibly wrapped as `{ definition: {...} }` or `{ properties: { definition } }` —
 * in ours: its one trigger as `trigger`, the bookkeeping dropped. Ours passes through as it is.
 */
function normalizeFlow(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw
  let flow = raw as Record<string, unknown>
  const wrapper = (flow.properties as Record<string, unknown> | undefined) ?? flow
  const inner = wrapper.definition
  if (inner && typeof inner === 'object' && !('trigger' in flow) && !('actions' in flow)) {
    // The wrapper's own switch: ours (`enabled`) or the Logic Apps resource's (`state`).
    const state = wrapper.state ?? flow.state
    const enabled =
      flow.enabled ?? (typeof state === 'string' ? state.toLowerCase() === 'enabled' : undefined)
    flow = { ...(inner as Record<string, unknown>), ...(enabled === undefined ? {} : { enabled }) }
  }
  if (!('triggers' in flow) && !('$schema' in flow)) return flow
  const {
    $schema: _s,
    contentVersion: _c,
    outputs: _o,
    staticResults: _r,
    triggers,
    parameters,
    ...rest
  } = flow
  const out: Record<string, unknown> = { ...rest }
  if (triggers && typeof triggers === 'object' && !('trigger' in rest)) {
    const entries = Object.values(triggers as Record<string, unknown>)
    // One trigger, as in Power Automate; several are left for the schema to refuse.
    if (entries.length === 1 && entries[0] && typeof entries[0] === 'object') {
      const {
        metadata: _m,
        evaluatedRecurrence: _e,
        runtimeConfiguration: _rc,
        ...trigger
      } = entries[0] as Record<string, unknown>
      out.trigger = trigger
    } else out.triggers = triggers
  }
  // Connection references ($connections, $authentication) mean nothing here; other parameters do.
  const own = Object.keys((parameters as Record<string, unknown> | undefined) ?? {}).filter(
    (k) => !k.startsWith('$'),
  )
  if (own.length) out.parameters = parameters
  return out
}

export const flowDefinitionSchema = z.preprocess(
  normalizeFlow,
  z
    .object({
      description: z.string().max(1000).optional(),
      enabled: z.boolean().default(true),
      trigger: z.preprocess(
        // Logic Apps writes the type in any case ("recurrence").
        (t) =>
          t && typeof t === 'object' && String((t as { type?: unknown }).type).toLowerCase() === 'recurrence'
            ? { ...t, type: 'Recurrence' }
            : t,
        z.discriminatedUnion('type', [
          z
            .object({
              type: z.literal('Recurrence').describe('Runs on a schedule'),
              recurrence: recurrenceSchema,
              parameters: z.record(z.string(), z.unknown()).default({}),
            })
            .strict(),
          z
            .object({
              type: z.enum(EVENT_TYPES).describe('One of the connector triggers'),
              parameters: z.record(z.string(), z.unknown()).default({}),
            })
            .strict(),
        ]),
      ),
      actions: actionsSchema,
      concurrency: z
        .number()
        .int()
        .min(1)
        .max(100)
        .default(10)
        .describe('Runs of this flow at once; more wait their turn'),
    })
    .strict()
    .superRefine((flow, ctx) => {
      const issue = (path: (string | number)[], message: string, fix: string) =>
        ctx.addIssue({ code: 'custom', path, message, params: { fix } })
      const parameters =
        flow.trigger.type === 'Recurrence'
          ? undefined
          : triggerOf(flow.trigger.type)?.parameters.safeParse(flow.trigger.parameters)
      if (parameters && !parameters.success)
        for (const problem of parameters.error.issues)
          issue(
            ['trigger', 'parameters', ...problem.path.map(String)],
            problem.message,
            'set the trigger parameters its type takes',
          )
      const scope = (actions: Record<string, ActionDefinition>, path: (string | number)[]) => {
        const names = Object.keys(actions)
        if (names.length === 0 && path.length === 1)
          issue(path, 'a flow needs at least one action', 'add an action')
        for (const [name, action] of Object.entries(actions)) {
          for (const before of Object.keys(action.runAfter))
            if (!names.includes(before))
              issue(
                [...path, name, 'runAfter', before],
                `'${before}' is not an action in the same scope`,
                `run after one of: ${names.filter((n) => n !== name).join(', ') || '(none: remove runAfter)'}`,
              )
          for (const [under, children] of childScopes(action))
            scope(children, [...path, name, ...under.split('.')])
          if (action.type === 'initializeVariable' && path.length > 1)
            issue(
              [...path, name],
              'variables are initialized at the top level of a flow, not inside a condition, loop or scope',
              'move this action to the top level, before the actions that use the variable',
            )
          const repetitions = action.runtimeConfiguration?.concurrency?.repetitions ?? 1
          if (action.type === 'foreach' && repetitions > 1 && setsVariables(action.actions ?? {}))
            issue(
              [...path, name, 'runtimeConfiguration', 'concurrency'],
              'a foreach that changes variables must run its iterations one at a time (they would race)',
              'remove the concurrency setting, or set repetitions to 1',
            )
        }
        // No cycles: every action must be reachable from one without runAfter.
        const done = new Set<string>()
        let progress = true
        while (progress) {
          progress = false
          for (const [name, action] of Object.entries(actions))
            if (
              !done.has(name) &&
              Object.keys(action.runAfter).every((b) => done.has(b) || !names.includes(b))
            ) {
              done.add(name)
              progress = true
            }
        }
        for (const name of names)
          if (!done.has(name))
            issue(
              [...path, name, 'runAfter'],
              'runAfter forms a cycle',
              'make the order of these actions a tree',
            )
      }
      scope(flow.actions, ['actions'])
      const problems: { path: string; message: string }[] = []
      checkExpressions(flow.actions, 'actions', problems)
      for (const p of problems) issue(p.path.split('.'), p.message, 'fix the expression')
    }),
)

/** Actions that change a variable; with InitializeVariable, every variable action. */
const VARIABLE_CHANGES = new Set<ActionType>([
  'setVariable',
  'incrementVariable',
  'decrementVariable',
  'appendToStringVariable',
  'appendToArrayVariable',
])
export const VARIABLE_ACTIONS = new Set<string>([...VARIABLE_CHANGES, 'initializeVariable'])
function setsVariables(actions: Record<string, ActionDefinition>): boolean {
  return Object.values(actions).some(
    (a) => VARIABLE_CHANGES.has(a.type) || childScopes(a).some(([, children]) => setsVariables(children)),
  )
}

export type FlowDefinition = z.output<typeof flowDefinitionSchema>
export type FlowDefinitionInput = z.input<(typeof flowDefinitionSchema)['out']>

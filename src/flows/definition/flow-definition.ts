/**
 * A flow in the shape of a Power Automate / Logic Apps workflow definition: one trigger (a
 * connector trigger with its parameters) and named actions ordered by `runAfter`. Condition and
 * foreach actions hold actions of their own.
 */
import { z } from 'zod'
import { EVENT_TYPES, triggerOf } from '../../events/index.js'
import { checkExpressions } from '../expressions/index.js'

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
] as const
export type ActionType = (typeof ACTION_TYPES)[number]

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
  /** condition: the boolean expression; then-actions in `actions`, else-actions in `else.actions`. */
  expression?: unknown
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

export const actionSchema: z.ZodType<ActionDefinition> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('teams.postMessage'), inputs: teamsInputs, ...actionBase }).strict(),
    z.object({ type: z.literal('email.send'), inputs: emailInputs, ...actionBase }).strict(),
    z.object({ type: z.literal('http'), inputs: httpInputs, ...actionBase }).strict(),
    z
      .object({
        type: z.literal('condition'),
        expression: z
          .union([z.string(), z.boolean()])
          .describe("A boolean expression, e.g. @greater(triggerBody()?['value'], 100)"),
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
  })
  .strict()
const itemInputs = z.object({ entity: text, key: text }).strict()
const writeInputs = z.object({ entity: text, item: z.record(z.string(), z.unknown()) }).strict()

export const flowDefinitionSchema = z
  .object({
    description: z.string().max(1000).optional(),
    enabled: z.boolean().default(true),
    trigger: z
      .object({
        type: z.enum(EVENT_TYPES).describe('One of the connector triggers'),
        parameters: z.record(z.string(), z.unknown()).default({}),
      })
      .strict(),
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
    const parameters = triggerOf(flow.trigger.type)?.parameters.safeParse(flow.trigger.parameters)
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
        if (action.actions) scope(action.actions, [...path, name, 'actions'])
        if (action.else) scope(action.else.actions, [...path, name, 'else', 'actions'])
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
  })

export type FlowDefinition = z.infer<typeof flowDefinitionSchema>
export type FlowDefinitionInput = z.input<typeof flowDefinitionSchema>

import { z } from 'zod'
import { TRIGGERS } from '../../connector/export/index.js'
import { CONNECTOR_ACTIONS } from '../../connector/operations/index.js'
import { notFound } from '../../errors.js'
import { rerunFlowRun, startManualRun, startTestRun } from '../../flows/flow-runs.js'
import type { ActionDefinition } from '../../flows/index.js'
import { childScopes, FLOW_TEMPLATES, hideSecure, installTemplate, saveFlow } from '../../flows/index.js'
import { type OutboundGuard, OutboundRefused } from '../../outbound/index.js'
import type { Runtime } from '../../runtime/index.js'
import { listActionRecords } from '../../store/flow-run-actions.js'
import { getFlowRun, listFlowRuns } from '../../store/flow-runs.js'
import { deleteFlow, getFlow, listFlows } from '../../store/flows.js'
import { getInstance } from '../../store/instances.js'
import { type ApiApp, errorResponses, instanceParams } from '../api-types.js'

const flowOut = z.object({
  name: z.string(),
  enabled: z.boolean(),
  origin: z.string(),
  definition: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
})
const runOut = z.object({
  id: z.string(),
  flowName: z.string(),
  eventId: z.string().nullable(),
  state: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
  rerunOf: z.string().nullable(),
  rerunFrom: z.string().nullable(),
  requestedAt: z.string(),
  startedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
})
const actionOut = z.object({
  path: z.string(),
  name: z.string(),
  type: z.string(),
  status: z.enum(['Succeeded', 'Failed', 'Skipped', 'TimedOut']),
  inputs: z.unknown(),
  outputs: z.unknown(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  attempts: z.number(),
  startedAt: z.string(),
  completedAt: z.string(),
  durationMs: z.number(),
})
const flowParams = instanceParams.extend({ name: z.string().min(1).max(100) })
const tags = ['flows']

/**
 * The triggers for the designer: a parameter with a pick list (x-ms-dynamic-values) also names
 * the route of the operation it lists from, so the web designer offers the same choices as
 * Power Automate does.
 */
const TRIGGERS_WITH_LISTS = TRIGGERS.map((trigger) => ({
  ...trigger,
  parameters: Object.fromEntries(
    Object.entries(trigger.parameters).map(([name, parameter]) => {
      const hint = parameter['x-ms-dynamic-values'] as { operationId?: string } | undefined
      const operation = CONNECTOR_ACTIONS.find((o) => o.schema.operationId === hint?.operationId)
      return [name, operation ? { ...parameter, 'x-openinsights-list-path': operation.path } : parameter]
    }),
  ),
})) as unknown as Record<string, unknown>[]

export function registerFlowRoutes(app: ApiApp, runtime: Runtime): void {
  const base = '/api/v1/instances/:instanceId'
  const box = () => runtime.secrets
  const instanceOrThrow = async (instanceId: string) => {
    if (!(await getInstance(runtime.db, instanceId))) throw notFound('Instance', instanceId)
  }
  const run = (r: Awaited<ReturnType<typeof getFlowRun>> & object) => {
    const { definition: _d, trigger: _t, instanceId: _i, ...rest } = r
    return rest
  }

  app.get(
    `${base}/flows`,
    {
      config: { scope: 'read' },
      schema: {
        summary: 'List flows',
        tags,
        params: instanceParams,
        response: { 200: z.object({ value: z.array(flowOut) }), ...errorResponses },
      },
    },
    async (request) => ({
      value: (await listFlows(runtime.db, request.params.instanceId)).map(({ instanceId: _, ...f }) => f),
    }),
  )
  app.get(
    `${base}/flows/:name`,
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Get a flow',
        tags,
        params: flowParams,
        response: { 200: flowOut, ...errorResponses },
      },
    },
    async (request) => {
      const flow = await getFlow(runtime.db, request.params.instanceId, request.params.name)
      if (!flow) throw notFound('Flow', request.params.name)
      const { instanceId: _, ...rest } = flow
      return rest
    },
  )
  app.put(
    `${base}/flows/:name`,
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Create or replace a flow',
        description:
          'A trigger and named actions with runAfter, as a workflow definition; validated whole (trigger parameters, runAfter, expressions).',
        tags,
        params: flowParams,
        body: z.record(z.string(), z.unknown()),
        response: {
          200: z.object({
            name: z.string(),
            action: z.string(),
            definition: z.record(z.string(), z.unknown()),
            warnings: z
              .array(z.object({ target: z.string(), message: z.string() }))
              .describe(
                'What will fail when the flow runs, though the definition is valid: URLs the outbound guard refuses',
              ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await instanceOrThrow(request.params.instanceId)
      const saved = await saveFlow(
        runtime.db,
        request.params.instanceId,
        request.params.name,
        request.body,
        'api',
      )
      return {
        name: request.params.name,
        action: saved.action,
        definition: saved.definition as unknown as Record<string, unknown>,
        warnings: await refusedUrls(runtime.outbound, saved.definition.actions),
      }
    },
  )
  app.delete(
    `${base}/flows/:name`,
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Delete a flow',
        description: 'Its run history stays.',
        tags,
        params: flowParams,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!(await deleteFlow(runtime.db, request.params.instanceId, request.params.name)))
        throw notFound('Flow', request.params.name)
      return reply.status(204).send(null)
    },
  )
  app.post(
    `${base}/flows/:name/runs`,
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Run a flow now',
        description: 'With the given trigger body, as if its event had happened (a test run).',
        tags,
        params: flowParams,
        body: z.record(z.string(), z.unknown()).default({}),
        response: { 202: runOut, ...errorResponses },
      },
    },
    async (request, reply) => {
      const started = await startManualRun(
        runtime.db,
        runtime.nudgeFlowRuns,
        request.params.instanceId,
        request.params.name,
        request.body,
      )
      void reply.status(202)
      return run(started)
    },
  )

  app.get(
    `${base}/flow-templates`,
    {
      config: { scope: 'read' },
      schema: {
        summary: 'List flow templates',
        tags,
        params: instanceParams,
        response: {
          200: z.object({
            value: z.array(
              z.object({
                id: z.string(),
                title: z.string(),
                description: z.string(),
                parameters: z.record(
                  z.string(),
                  z.object({ description: z.string(), required: z.boolean() }).passthrough(),
                ),
              }),
            ),
          }),
        },
      },
    },
    async () => ({ value: FLOW_TEMPLATES.map(({ definition: _, defaultName: __, ...t }) => t) }),
  )
  app.post(
    `${base}/flow-templates/:templateId`,
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Install a flow template',
        description:
          "Stores a new flow from the template with these values; secret values (webhook URLs) are sealed. Without a name the template's is used, numbered when taken; a name that is taken answers 409 unless replace is true.",
        tags,
        params: instanceParams.extend({ templateId: z.string() }),
        body: z.object({
          name: z.string().min(1).max(100).optional(),
          values: z.record(z.string(), z.string()).default({}),
          replace: z.boolean().default(false).describe('Replace the flow of that name if there is one'),
        }),
        response: { 201: z.object({ name: z.string(), action: z.string() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      await instanceOrThrow(request.params.instanceId)
      const installed = await installTemplate(
        runtime.db,
        box(),
        request.params.instanceId,
        request.params.templateId,
        request.body.values,
        request.body.name,
        { replace: request.body.replace },
      )
      void reply.status(201)
      return { name: installed.name, action: installed.action }
    },
  )

  app.post(
    `${base}/flows/:name/test`,
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Test a flow with the last event',
        description:
          "Runs the flow on the newest stored event of its trigger's type (one its parameters match, if any), as Power Automate's test does.",
        tags,
        params: flowParams,
        response: { 202: runOut.extend({ testedWithEvent: z.string() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { run: started, eventId } = await startTestRun(
        runtime.db,
        runtime.nudgeFlowRuns,
        request.params.instanceId,
        request.params.name,
      )
      void reply.status(202)
      return { ...run(started), testedWithEvent: eventId }
    },
  )
  app.get(
    '/api/v1/flow-triggers',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'List the triggers a flow can start from',
        description:
          'The six connector triggers: their parameters and the fields of their body (the dynamic content of a flow designer).',
        tags,
        response: { 200: z.object({ value: z.array(z.record(z.string(), z.unknown())) }) },
      },
    },
    async () => ({ value: TRIGGERS_WITH_LISTS }),
  )
  app.get(
    `${base}/flow-runs`,
    {
      config: { scope: 'read' },
      schema: {
        summary: 'List flow runs',
        description: 'Newest first; filter by flow and state.',
        tags,
        params: instanceParams,
        querystring: z.object({
          flow: z.string().optional(),
          state: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']).optional(),
          $top: z.coerce.number().int().min(1).max(1000).default(20),
        }),
        response: { 200: z.object({ value: z.array(runOut) }), ...errorResponses },
      },
    },
    async (request) => ({
      value: (
        await listFlowRuns(runtime.db, request.params.instanceId, {
          flowName: request.query.flow,
          state: request.query.state,
          limit: request.query.$top,
        })
      ).map(run),
    }),
  )
  app.get(
    `${base}/flow-runs/:runId`,
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Get a flow run with its actions',
        description:
          "The trigger and every action's inputs, outputs, status, timings and error (secrets shown as ***).",
        tags,
        params: instanceParams.extend({ runId: z.string() }),
        response: {
          200: runOut.extend({ trigger: z.unknown(), actions: z.array(actionOut) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const found = await getFlowRun(runtime.db, request.params.runId)
      if (!found || found.instanceId !== request.params.instanceId)
        throw notFound('Flow run', request.params.runId)
      const actions = (await listActionRecords(runtime.db, found.id)).map((a) => ({
        ...a,
        inputs: hideSecure(a.inputs),
        outputs: hideSecure(a.outputs),
      }))
      return { ...run(found), trigger: found.trigger, actions }
    },
  )
  app.post(
    `${base}/flow-runs/:runId/rerun`,
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Run a finished run again',
        description:
          'From the start, or from the failed action (actions that succeeded are kept, not executed again).',
        tags,
        params: instanceParams.extend({ runId: z.string() }),
        body: z.object({ from: z.enum(['start', 'failed']).default('start') }).default({ from: 'start' }),
        response: { 202: runOut, ...errorResponses },
      },
    },
    async (request, reply) => {
      const again = await rerunFlowRun(
        runtime.db,
        runtime.nudgeFlowRuns,
        request.params.instanceId,
        request.params.runId,
        request.body.from,
      )
      void reply.status(202)
      return run(again)
    },
  )
}

/**
 * The URLs written into a flow's actions (not expressions) that the outbound guard would refuse
 * when the flow runs — a private address, a host that resolves to one — so the designer can say
 * so on save. A host that does not resolve within 2 s is left to the run.
 */
async function refusedUrls(
  guard: OutboundGuard,
  actions: Record<string, ActionDefinition>,
): Promise<{ target: string; message: string }[]> {
  const urls: { target: string; url: string }[] = []
  const collect = (scope: Record<string, ActionDefinition>, path: string) => {
    for (const [name, action] of Object.entries(scope)) {
      const inputs = (action.inputs ?? {}) as Record<string, unknown>
      for (const key of ['uri', 'webhookUrl']) {
        const url = inputs[key]
        if (typeof url === 'string' && !url.includes('@'))
          urls.push({ target: `${path}.${name}.inputs.${key}`, url })
      }
      for (const [under, children] of childScopes(action)) collect(children, `${path}.${name}.${under}`)
    }
  }
  collect(actions, 'actions')
  // All at once: a flow with many URLs waits about 2 s at most, not 2 s for each.
  const outcomes = await Promise.all(
    urls.map(async ({ target, url }) => {
      // Settled either way, so an answer after the 2 s is not an unhandled rejection.
      const check = guard.checkUrlNow(url, target).then(
        () => undefined,
        (error: unknown) => error,
      )
      const outcome = await Promise.race([check, new Promise((resolve) => setTimeout(resolve, 2000).unref())])
      return outcome instanceof OutboundRefused ? { target, message: outcome.message } : undefined
    }),
  )
  return outcomes.filter((w): w is { target: string; message: string } => w !== undefined)
}

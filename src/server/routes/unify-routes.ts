import { z } from 'zod'
import { applyConfig, configSchema, exportConfig } from '../../config/index.js'
import { notFound } from '../../errors.js'
import { requestRun } from '../../pipeline/index.js'
import { explainCustomer, proposeUnify } from '../../pipeline/unify/index.js'
import type { Runtime } from '../../runtime/index.js'
import { getInstance } from '../../store/instances.js'
import { getRun, listRuns } from '../../store/runs.js'
import { type ApiApp, errorResponses, instanceParams } from '../api-types.js'

const unifyRunSchema = z
  .object({
    id: z.string(),
    instanceId: z.string(),
    state: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
    reason: z.string().describe("What asked for it: 'api', or 'refresh:<refreshId>'"),
    requestedAt: z.string(),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    stats: z.record(z.string(), z.number()).nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .describe('One unification run (map, match, merge)')

export function registerUnifyRoutes(app: ApiApp, runtime: Runtime): void {
  const base = '/api/v1/instances/:instanceId/unify/runs'
  app.post(
    base,
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Run unification',
        description:
          'Queues map, match and merge over the current data of the mapped sources (or joins the run already queued). A refresh of a mapped source queues one by itself.',
        tags: ['unify'],
        params: instanceParams,
        response: { 202: unifyRunSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { instanceId } = request.params
      if (!(await getInstance(runtime.db, instanceId))) throw notFound('Instance', instanceId)
      const run = await runtime.db
        .transaction()
        .execute((tx) => requestRun(tx, runtime.jobs, 'unify', instanceId, 'api'))
      runtime.jobs.nudge('unify')
      void reply.status(202).header('location', `/api/v1/instances/${instanceId}/unify/runs/${run.id}`)
      return run
    },
  )
  app.get(
    base,
    {
      config: { scope: 'read' },
      schema: {
        summary: 'List unification runs',
        description: 'Newest first, with their statistics or the reason they failed.',
        tags: ['unify'],
        params: instanceParams,
        querystring: z.object({ $top: z.coerce.number().int().min(1).max(1000).default(20) }),
        response: { 200: z.object({ value: z.array(unifyRunSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      value: await listRuns(runtime.db, 'unify', request.params.instanceId, request.query.$top),
    }),
  )
  app.get(
    `${base}/:runId`,
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Get a unification run',
        description: 'Its state, statistics (records, profiles, match pairs, duration) or error.',
        tags: ['unify'],
        params: instanceParams.extend({ runId: z.string().min(1).max(64) }),
        response: { 200: unifyRunSchema, ...errorResponses },
      },
    },
    async (request) => {
      const run = await getRun(runtime.db, 'unify', request.params.instanceId, request.params.runId)
      if (!run) throw notFound('Unify run', request.params.runId)
      return run
    },
  )

  app.get(
    '/api/v1/instances/:instanceId/unify/customers/:customerId/explain',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Explain a customer profile',
        description:
          'The merged profile, every source record that forms it (as it is in its source), and the match pairs that joined them: rule, score and per-attribute similarities.',
        tags: ['unify'],
        params: instanceParams.extend({ customerId: z.string().min(1).max(64) }),
        response: {
          200: z.object({
            customer: z.record(z.string(), z.unknown()),
            records: z.array(
              z.object({
                source: z.string(),
                key: z.string(),
                record: z.record(z.string(), z.unknown()).nullable(),
              }),
            ),
            matches: z.array(
              z.object({
                sourceA: z.string(),
                keyA: z.string(),
                sourceB: z.string(),
                keyB: z.string(),
                rule: z.string(),
                score: z.number(),
                similarities: z.string().nullable(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) =>
      explainCustomer(runtime.db, runtime.duck, request.params.instanceId, request.params.customerId),
  )

  const proposalSchema = z.object({
    sources: z.record(
      z.string(),
      z.object({
        published: z.boolean(),
        updatedAt: z.string().optional(),
        columns: z.array(
          z.object({ column: z.string(), attribute: z.string(), confidence: z.number(), reason: z.string() }),
        ),
      }),
    ),
    unify: z.record(z.string(), z.unknown()),
  })

  app.get(
    '/api/v1/instances/:instanceId/unify/suggestions',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Suggest a mapping, match rules and merge policies',
        description:
          "Each published source's columns mapped to profile attributes from their names (several spellings and languages) and values (emails, phones, dates, postcodes), with a confidence; and the unify section that makes, keeping what is configured.",
        tags: ['unify'],
        params: instanceParams,
        response: { 200: proposalSchema, ...errorResponses },
      },
    },
    async (request) => proposeUnify(runtime.db, runtime.duck, request.params.instanceId),
  )

  app.post(
    '/api/v1/instances/:instanceId/unify/suggestions/apply',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Apply the suggested unify section',
        description:
          'Writes the suggested unify section into the configuration (mappings of confidence ≥ 0.6) and queues a unify run.',
        tags: ['unify'],
        params: instanceParams,
        response: {
          200: proposalSchema.extend({
            changes: z.array(z.object({ kind: z.string(), name: z.string(), action: z.string() })),
            runId: z.string(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { instanceId } = request.params
      const proposal = await proposeUnify(runtime.db, runtime.duck, instanceId)
      const document = configSchema.parse({
        ...(await exportConfig(runtime, instanceId)),
        unify: proposal.unify,
      })
      const changes = await applyConfig(runtime, document)
      const run = await runtime.db
        .transaction()
        .execute((tx) => requestRun(tx, runtime.jobs, 'unify', instanceId, 'suggest'))
      runtime.jobs.nudge('unify')
      return { ...proposal, changes, runId: run.id }
    },
  )
}

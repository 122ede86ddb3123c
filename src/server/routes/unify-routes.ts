import { z } from 'zod'
import { applyConfig, configSchema, exportConfig } from '../../config/index.js'
import { AppError, notFound } from '../../errors.js'
import { requestRun } from '../../pipeline/index.js'
import {
  explainCustomer,
  explainPair,
  proposeUnify,
  reviewQueue,
  runChanges,
} from '../../pipeline/unify/index.js'
import type { Runtime } from '../../runtime/index.js'
import { getInstance } from '../../store/instances.js'
import { getRun, listRuns } from '../../store/runs.js'
import { putUnifyLabel } from '../../store/unify.js'
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
  const levelChange = z.object({ level: z.string(), bits: z.number(), previousBits: z.number().nullable() })
  app.get(
    `${base}/:runId/changes`,
    {
      config: { scope: 'read' },
      schema: {
        summary: 'What a unification run changed',
        description:
          'Since the run before it: records added, removed and moved to another CustomerId (counts, and the first $top records, moved first), and each match model beside the previous one — kept or re-estimated, its threshold, expected precision/recall and the weight of each level in bits.',
        tags: ['unify'],
        params: instanceParams.extend({ runId: z.string().min(1).max(64) }),
        querystring: z.object({ $top: z.coerce.number().int().min(0).max(1000).default(50) }),
        response: {
          200: z.object({
            runId: z.string(),
            previousRunId: z.string().nullable(),
            available: z.boolean().describe('False once the run is older than the versions kept'),
            counts: z
              .object({
                recordsAdded: z.number(),
                recordsRemoved: z.number(),
                recordsMoved: z.number(),
                customersAdded: z.number(),
                customersRemoved: z.number(),
              })
              .nullable(),
            models: z.array(
              z.object({
                rule: z.string(),
                keptFrom: z.string().nullable(),
                threshold: z.number(),
                previousThreshold: z.number().nullable(),
                expected: z.object({ precision: z.number(), recall: z.number() }),
                previousExpected: z.object({ precision: z.number(), recall: z.number() }).nullable(),
                comparisons: z.array(z.object({ attribute: z.string(), levels: z.array(levelChange) })),
              }),
            ),
            records: z.array(
              z.object({
                change: z.enum(['added', 'removed', 'moved']),
                source: z.string(),
                key: z.string(),
                customerBefore: z.string().nullable(),
                customerAfter: z.string().nullable(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) =>
      runChanges(
        runtime.duck,
        runtime.db,
        request.params.instanceId,
        request.params.runId,
        request.query.$top,
      ),
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
    activities: z
      .array(
        z.object({
          source: z.string(),
          customer: z.union([
            z.object({ source: z.string(), column: z.string() }),
            z.object({ attribute: z.string(), column: z.string() }),
          ]),
          dateColumn: z.string().optional(),
          reason: z.string(),
        }),
      )
      .describe(
        'Sources whose rows are activities of customers: linked by a customer key, not unified as people',
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
          "Each published source's columns mapped to profile attributes from their names (several spellings and languages) and values (emails, phones, dates, postcodes), with a confidence; sources of activities (rows repeating a customer key another source holds), linked instead of unified; and the unify section that makes, keeping what is configured.",
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

  const comparisonOut = z.object({
    attribute: z.string(),
    level: z.string().describe('How the two values compare, e.g. exact, one digit apart, different, missing'),
    a: z.string().nullable(),
    b: z.string().nullable(),
    bits: z.number().describe('What this comparison adds to the match weight (log2 of m/u)'),
  })
  const reviewPairOut = z
    .object({
      sourceA: z.string(),
      keyA: z.string(),
      sourceB: z.string(),
      keyB: z.string(),
      rule: z.string(),
      probability: z.number().describe('Match probability the model gives the pair'),
      weight: z.number().describe('Match weight in bits: prior + every comparison'),
      priorBits: z.number(),
      threshold: z.number().describe('The least probability that joins two records'),
      joined: z.boolean(),
      reason: z
        .string()
        .describe(
          "'joined', or why not: below the threshold, household guard, rejected in review, a never-match rule",
        ),
      comparisons: z.array(comparisonOut).describe('The waterfall: each attribute with the values compared'),
    })
    .describe('Two records as the match model saw them')
  const recordRef = z
    .string()
    .min(3)
    .max(500)
    .regex(/^[^:]+:.+$/, 'source:key, e.g. crm_contacts:1042')
  const parseRef = (ref: string) => {
    const at = ref.indexOf(':')
    return { source: ref.slice(0, at), key: ref.slice(at + 1) }
  }

  app.get(
    '/api/v1/instances/:instanceId/unify/review',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'The review queue',
        description:
          'Pairs of records the match model was least sure of (nearest its threshold, joined or not) that nobody has labelled, each with its waterfall.',
        tags: ['unify'],
        params: instanceParams,
        querystring: z.object({ $top: z.coerce.number().int().min(1).max(500).default(20) }),
        response: {
          200: z.object({ value: z.array(reviewPairOut), labelled: z.number().int() }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      if (!(await getInstance(runtime.db, request.params.instanceId)))
        throw notFound('Instance', request.params.instanceId)
      const { pairs, labelled } = await reviewQueue(
        runtime.duck,
        runtime.db,
        request.params.instanceId,
        request.query.$top,
      )
      return { value: pairs, labelled }
    },
  )

  app.post(
    '/api/v1/instances/:instanceId/unify/review',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Label a pair of records',
        description:
          'Says whether two records are the same customer. The next unification follows the label over the model (joins or keeps apart the two records) and learns from it.',
        tags: ['unify'],
        params: instanceParams,
        body: z
          .object({ a: recordRef, b: recordRef, sameCustomer: z.boolean() })
          .strict()
          .describe('The two records as source:key, and the answer'),
        response: {
          200: z.object({ a: z.string(), b: z.string(), sameCustomer: z.boolean() }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { instanceId } = request.params
      if (!(await getInstance(runtime.db, instanceId))) throw notFound('Instance', instanceId)
      const a = parseRef(request.body.a)
      const b = parseRef(request.body.b)
      if (a.source === b.source && a.key === b.key)
        throw new AppError('InvalidLabel', 'a and b name the same record; label two different records', {
          target: 'b',
        })
      await putUnifyLabel(runtime.db, instanceId, {
        sourceA: a.source,
        keyA: a.key,
        sourceB: b.source,
        keyB: b.key,
        sameCustomer: request.body.sameCustomer,
        labelledBy: null,
      })
      return { a: request.body.a, b: request.body.b, sameCustomer: request.body.sameCustomer }
    },
  )

  app.get(
    '/api/v1/instances/:instanceId/unify/pairs',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Explain a pair of records',
        description:
          "Why two records were or were not joined: the match model's waterfall for the pair — the prior, then each attribute's contribution with the values compared.",
        tags: ['unify'],
        params: instanceParams,
        querystring: z.object({ a: recordRef, b: recordRef }),
        response: { 200: reviewPairOut, ...errorResponses },
      },
    },
    async (request) => {
      const { instanceId } = request.params
      const pair = await explainPair(
        runtime.duck,
        runtime.db,
        instanceId,
        parseRef(request.query.a),
        parseRef(request.query.b),
      )
      if (!pair)
        throw new AppError(
          'NotCompared',
          `${request.query.a} and ${request.query.b} were not compared by a match model, or came out under 5 % (no blocking rule put them together, or too little agrees)`,
          { target: 'b' },
        )
      return pair
    },
  )
}

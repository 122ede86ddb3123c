import { z } from 'zod'
import { configSchema, exportConfig } from '../../config/index.js'
import { GetMeasureDimensions, GetMeasures, GetSegments } from '../../connector/operations/index.js'
import { AppError, notFound } from '../../errors.js'
import { requestRun } from '../../pipeline/index.js'
import {
  assertInsightReferences,
  computeInsights,
  currentEntityRefs,
  loadInsightDefinitions,
} from '../../pipeline/insights/index.js'
import { insightNameSchema, measureSchema } from '../../pipeline/measures/measure-config.js'
import { cancelFullRefresh, requestFullRefresh } from '../../pipeline/refresh.js'
import { segmentSchema } from '../../pipeline/segments/segment-config.js'
import type { Runtime } from '../../runtime/index.js'
import {
  type InsightConfig,
  latestMeasureValues,
  latestSegmentCounts,
  putInsightConfig,
  valueHistory,
} from '../../store/insights.js'
import { getInstance } from '../../store/instances.js'
import { getRun, listRuns } from '../../store/runs.js'
import { type ApiApp, errorResponses, instanceParams } from '../api-types.js'
import { routeOf } from '../route-of.js'

const runState = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled'])
const errorSchema = z.object({ code: z.string(), message: z.string() }).nullable()

const insightRunSchema = z
  .object({
    id: z.string(),
    instanceId: z.string(),
    state: runState,
    reason: z.string(),
    fullRefreshId: z.string().nullable(),
    requestedAt: z.string(),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    stats: z.record(z.string(), z.number()).nullable(),
    error: errorSchema,
  })
  .describe('One computation of every measure and segment')

const fullRefreshSchema = z
  .object({
    id: z.string(),
    instanceId: z.string(),
    state: runState,
    reason: z.string(),
    requestedAt: z.string(),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    fraction: z.number().describe('0..1: the share of steps that have ended'),
    steps: z.array(
      z.object({
        name: z.string(),
        kind: z.enum(['source', 'unify', 'insights']),
        state: z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled']),
        runId: z.string().nullable(),
        startedAt: z.string().nullable(),
        completedAt: z.string().nullable(),
        durationMs: z.number().nullable(),
        counts: z.record(z.string(), z.number()).nullable(),
        error: errorSchema,
      }),
    ),
    error: errorSchema,
  })
  .describe('Sources → unification → measures and segments, as one tracked run')

const historySchema = z.object({
  value: z.array(
    z.object({
      runId: z.string(),
      dimension: z.string().nullable(),
      value: z.number().nullable(),
      computedAt: z.string(),
    }),
  ),
})

const nameParams = instanceParams.extend({ name: z.string().min(1).max(100) })
const topQuery = z.object({ $top: z.coerce.number().int().min(1).max(1000).default(20) })

export function registerInsightsRoutes(app: ApiApp, runtime: Runtime): void {
  const base = '/api/v1/instances/:instanceId'
  const instanceOrThrow = async (instanceId: string) => {
    if (!(await getInstance(runtime.db, instanceId))) throw notFound('Instance', instanceId)
  }

  app.route({
    ...routeOf(GetMeasures),
    handler: async (request) => {
      const { instanceId } = request.params
      await instanceOrThrow(instanceId)
      const { measures } = await loadInsightDefinitions(runtime.db, instanceId)
      const latest = await latestMeasureValues(runtime.db, instanceId)
      return {
        value: Object.entries(measures).map(([name, definition]) => ({
          name,
          definition,
          latest: latest
            .filter((v) => v.name === name)
            .map((v) => ({ dimension: v.dimension === '' ? null : v.dimension, value: v.value })),
        })),
      }
    },
  })

  app.route({
    ...routeOf(GetMeasureDimensions),
    handler: async (request) => {
      const { instanceId, name } = request.params
      await instanceOrThrow(instanceId)
      const { measures } = await loadInsightDefinitions(runtime.db, instanceId)
      if (!(name in measures)) throw notFound('Measure', name)
      const latest = await latestMeasureValues(runtime.db, instanceId)
      return {
        value: latest
          .filter((v) => v.name === name && v.dimension !== '')
          .map((v) => ({ value: v.dimension, latestValue: v.value }))
          .sort((a, b) => a.value.localeCompare(b.value)),
      }
    },
  })

  app.route({
    ...routeOf(GetSegments),
    handler: async (request) => {
      const { instanceId } = request.params
      await instanceOrThrow(instanceId)
      const { segments } = await loadInsightDefinitions(runtime.db, instanceId)
      const latest = await latestSegmentCounts(runtime.db, instanceId)
      return {
        value: Object.entries(segments).map(([name, definition]) => ({
          name,
          entity: `Segment${name}`,
          definition,
          memberCount: latest.find((v) => v.name === name)?.value ?? null,
        })),
      }
    },
  })

  for (const kind of ['measure', 'segment'] as const)
    app.get(
      `${base}/${kind}s/:name/history`,
      {
        config: { scope: 'read' },
        schema: {
          summary: kind === 'measure' ? "A measure's recorded values" : "A segment's member counts over time",
          description: 'One entry per refresh (and dimension value), newest first.',
          tags: ['measures and segments'],
          params: nameParams,
          querystring: topQuery,
          response: { 200: historySchema, ...errorResponses },
        },
      },
      async (request) => {
        const { instanceId, name } = request.params
        await instanceOrThrow(instanceId)
        const definitions = await loadInsightDefinitions(runtime.db, instanceId)
        if (!(name in (kind === 'measure' ? definitions.measures : definitions.segments)))
          throw notFound(kind === 'measure' ? 'Measure' : 'Segment', name)
        return { value: await valueHistory(runtime.db, instanceId, kind, name, request.query.$top) }
      },
    )

  // One measure or segment at a time (the UI's way); the document is validated whole, so
  // references (filters, unified sources, names) are checked as `apply` checks them.
  for (const kind of ['measures', 'segments'] as const) {
    const itemParams = instanceParams.extend({ name: insightNameSchema })
    const save = async (instanceId: string, change: (section: Record<string, unknown>) => boolean) => {
      await instanceOrThrow(instanceId)
      const document = (await exportConfig(runtime, instanceId)) as unknown as Record<string, unknown>
      const section = { ...(document[kind] as Record<string, unknown>) }
      if (!change(section)) return false
      const parsed = configSchema.safeParse({ ...document, [kind]: section })
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        const path = issue?.path.join('.') ?? kind
        const fix = (issue as { params?: { fix?: string } } | undefined)?.params?.fix
        throw new AppError('InvalidDefinition', `${path}: ${issue?.message}${fix ? `; fix: ${fix}` : ''}`, {
          target: path,
        })
      }
      const previous = configSchema.safeParse(document)
      const before = previous.success ? previous.data : { measures: {}, segments: {} }
      await assertInsightReferences(runtime.db, instanceId, before, parsed.data)
      await putInsightConfig(runtime.db, instanceId, {
        measures: parsed.data.measures,
        segments: parsed.data.segments,
      } as InsightConfig)
      return true
    }
    app.put(
      `${base}/${kind}/:name`,
      {
        config: { scope: 'admin' },
        schema: {
          summary: kind === 'measures' ? 'Create or replace a measure' : 'Create or replace a segment',
          description: 'Validated as in openinsights.yaml; takes effect at the next computation.',
          tags: ['measures and segments'],
          params: itemParams,
          body: kind === 'measures' ? measureSchema : segmentSchema,
          response: {
            200: z.object({ name: z.string(), definition: z.record(z.string(), z.unknown()) }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const { instanceId, name } = request.params
        await save(instanceId, (section) => {
          section[name] = request.body
          return true
        })
        return { name, definition: request.body as Record<string, unknown> }
      },
    )
    app.delete(
      `${base}/${kind}/:name`,
      {
        config: { scope: 'admin' },
        schema: {
          summary: kind === 'measures' ? 'Delete a measure' : 'Delete a segment',
          description: 'Its history stays; its entity is no longer recomputed.',
          tags: ['measures and segments'],
          params: itemParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        const { instanceId, name } = request.params
        const removed = await save(instanceId, (section) => name in section && delete section[name])
        if (!removed) throw notFound(kind === 'measures' ? 'Measure' : 'Segment', name)
        return reply.status(204).send(null)
      },
    )
  }

  app.post(
    `${base}/segments/estimate`,
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Estimate a segment',
        description:
          'Counts the members a segment definition would have now, over the current profiles and customer measures, without publishing anything.',
        tags: ['measures and segments'],
        params: instanceParams,
        body: segmentSchema,
        response: { 200: z.object({ memberCount: z.number(), durationMs: z.number() }), ...errorResponses },
      },
    },
    async (request) => {
      const { instanceId } = request.params
      await instanceOrThrow(instanceId)
      const definitions = await loadInsightDefinitions(runtime.db, instanceId)
      const result = await computeInsights(runtime.duck, {
        measures: Object.fromEntries(
          Object.entries(definitions.measures).filter(([, m]) => m.kind === 'customer'),
        ),
        segments: { Estimate: request.body },
        entities: await currentEntityRefs(runtime.db, instanceId),
        unifiedSources: definitions.unifiedSources,
        activityLinks: definitions.activityLinks,
        asOf: new Date(),
        outDir: () => '',
        dryRun: true,
      })
      return { memberCount: result.segmentCounts[0]?.members ?? 0, durationMs: result.durationMs }
    },
  )

  app.post(
    `${base}/insights/runs`,
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Recompute measures and segments',
        description: 'Queues a computation over the current data (or joins the one already queued).',
        tags: ['measures and segments'],
        params: instanceParams,
        response: { 202: insightRunSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { instanceId } = request.params
      await instanceOrThrow(instanceId)
      const run = await runtime.db
        .transaction()
        .execute((tx) => requestRun(tx, runtime.jobs, 'insights', instanceId, 'api'))
      runtime.jobs.nudge('insights')
      void reply.status(202).header('location', `${request.url}/${run.id}`)
      return run
    },
  )
  app.get(
    `${base}/insights/runs`,
    {
      config: { scope: 'read' },
      schema: {
        summary: 'List measure and segment computations',
        tags: ['measures and segments'],
        params: instanceParams,
        querystring: topQuery,
        response: { 200: z.object({ value: z.array(insightRunSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      value: await listRuns(runtime.db, 'insights', request.params.instanceId, request.query.$top),
    }),
  )
  app.get(
    `${base}/insights/runs/:runId`,
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Get a measure and segment computation',
        tags: ['measures and segments'],
        params: instanceParams.extend({ runId: z.string() }),
        response: { 200: insightRunSchema, ...errorResponses },
      },
    },
    async (request) => {
      const run = await getRun(runtime.db, 'insights', request.params.instanceId, request.params.runId)
      if (!run) throw notFound('Insights run', request.params.runId)
      return run
    },
  )

  app.post(
    `${base}/full-refreshes`,
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Start a full refresh',
        description:
          'Refreshes every data source (in parallel), then unifies, then recomputes measures and segments, as one run that ends with refresh.full.completed. Joins the full refresh already under way.',
        tags: ['refreshes'],
        params: instanceParams,
        response: { 202: fullRefreshSchema, 200: fullRefreshSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { instanceId } = request.params
      await instanceOrThrow(instanceId)
      const { fullRefresh, created } = await requestFullRefresh(runtime.db, runtime.jobs, instanceId, 'api')
      void reply
        .status(created ? 202 : 200)
        .header('location', `/api/v1/instances/${instanceId}/full-refreshes/${fullRefresh.id}`)
      return fullRefresh
    },
  )
  app.get(
    `${base}/full-refreshes`,
    {
      config: { scope: 'read' },
      schema: {
        summary: 'List full refreshes',
        tags: ['refreshes'],
        params: instanceParams,
        querystring: topQuery,
        response: { 200: z.object({ value: z.array(fullRefreshSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      value: await listRuns(runtime.db, 'full-refresh', request.params.instanceId, request.query.$top),
    }),
  )
  app.get(
    `${base}/full-refreshes/:id`,
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Get a full refresh',
        description: 'Its state, progress (fraction of steps ended) and each step.',
        tags: ['refreshes'],
        params: instanceParams.extend({ id: z.string() }),
        response: { 200: fullRefreshSchema, ...errorResponses },
      },
    },
    async (request) => {
      const found = await getRun(runtime.db, 'full-refresh', request.params.instanceId, request.params.id)
      if (!found) throw notFound('Full refresh', request.params.id)
      return found
    },
  )
  app.post(
    `${base}/full-refreshes/:id/cancel`,
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Cancel a full refresh',
        description: 'Stops its unfinished steps; published data stays as it was.',
        tags: ['refreshes'],
        params: instanceParams.extend({ id: z.string() }),
        response: { 200: fullRefreshSchema, ...errorResponses },
      },
    },
    async (request) => cancelFullRefresh(runtime.db, request.params.instanceId, request.params.id),
  )
}

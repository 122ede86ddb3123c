import { createReadStream } from 'node:fs'
import { z } from 'zod'
import { nameSchema } from '../../config/index.js'
import { AppError, notFound } from '../../errors.js'
import { cancelRefresh, requestRefreshes } from '../../pipeline/index.js'
import type { Runtime } from '../../runtime/index.js'
import { getRefresh, listRefreshes } from '../../store/refreshes.js'
import { type ApiApp, errorResponses, instanceParams } from '../api-types.js'
import { refreshSchema } from './api-objects.js'

const refreshParams = instanceParams.extend({ refreshId: z.string().min(1).max(64) })

export function registerRefreshRoutes(app: ApiApp, runtime: Runtime): void {
  const { db } = runtime

  app.post(
    '/api/v1/instances/:instanceId/refreshes',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Refresh data sources',
        description: 'Queues a refresh of each named data source, or of all of them when none are named.',
        tags: ['refreshes'],
        params: instanceParams,
        body: z
          .object({
            dataSources: z.array(nameSchema).max(500).optional(),
            allowShrink: z
              .boolean()
              .default(false)
              .describe(
                "Publish even if a refresh removes more of an entity's rows than its source's maxShrink allows",
              ),
          })
          .strict()
          .default({ allowShrink: false }),
        response: {
          202: z.object({ value: z.array(refreshSchema.extend({ created: z.boolean() })) }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const results = await requestRefreshes(
        db,
        runtime.jobs,
        request.params.instanceId,
        request.body.dataSources,
        { allowShrink: request.body.allowShrink },
      )
      return reply.status(202).send({ value: results.map((r) => ({ ...r.refresh, created: r.created })) })
    },
  )

  app.get(
    '/api/v1/instances/:instanceId/refreshes',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Refresh history, newest first',
        tags: ['refreshes'],
        params: instanceParams,
        querystring: z.object({
          dataSource: nameSchema.optional().describe('Only this data source'),
          state: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']).optional(),
          before: z.string().max(64).optional().describe('Cursor: refreshes older than this id'),
          $top: z.coerce.number().int().min(1).max(1000).default(50),
        }),
        response: {
          200: z.object({ value: z.array(refreshSchema), '@odata.nextLink': z.string().optional() }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { instanceId } = request.params
      const { dataSource, state, before, $top } = request.query
      const value = await listRefreshes(db, instanceId, {
        limit: $top,
        ...(dataSource ? { dataSourceName: dataSource } : {}),
        ...(state ? { state } : {}),
        ...(before ? { before } : {}),
      })
      const last = value.at(-1)
      if (value.length < $top || !last) return { value }
      const next = new URLSearchParams({
        ...(dataSource ? { dataSource } : {}),
        ...(state ? { state } : {}),
        before: last.id,
        $top: String($top),
      })
      return { value, '@odata.nextLink': `/api/v1/instances/${instanceId}/refreshes?${next}` }
    },
  )

  app.get(
    '/api/v1/instances/:instanceId/refreshes/:refreshId',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Get a refresh with its progress',
        tags: ['refreshes'],
        params: refreshParams,
        response: { 200: refreshSchema, ...errorResponses },
      },
    },
    async (request) => {
      const refresh = await getRefresh(db, request.params.instanceId, request.params.refreshId)
      if (!refresh) throw notFound('Refresh', request.params.refreshId)
      return refresh
    },
  )

  app.post(
    '/api/v1/instances/:instanceId/refreshes/:refreshId/cancel',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Cancel a queued or running refresh',
        description: 'The data source keeps its published version.',
        tags: ['refreshes'],
        params: refreshParams,
        response: { 200: refreshSchema, ...errorResponses },
      },
    },
    async (request) => cancelRefresh(db, request.params.instanceId, request.params.refreshId),
  )

  app.get(
    '/api/v1/instances/:instanceId/refreshes/:refreshId/rejects',
    {
      config: { scope: 'read' },
      schema: {
        summary: "Download a refresh's rejected records (CSV: line, column, reason, record)",
        tags: ['refreshes'],
        params: refreshParams,
        produces: ['text/csv'],
      },
    },
    async (request, reply) => {
      const refresh = await getRefresh(db, request.params.instanceId, request.params.refreshId)
      if (!refresh) throw notFound('Refresh', request.params.refreshId)
      if (!refresh.rejectsPath) {
        throw new AppError('NoRejects', `refresh ${refresh.id} rejected no records`, {
          target: refresh.id,
        })
      }
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="${refresh.dataSourceName}-${refresh.id}-rejects.csv"`,
        )
        .send(createReadStream(refresh.rejectsPath))
    },
  )
}

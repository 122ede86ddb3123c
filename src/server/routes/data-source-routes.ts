import { z } from 'zod'
import { dataSourceSchema, nameSchema } from '../../config/index.js'
import { notFound } from '../../errors.js'
import { publicSourceOptions, requestRefreshes, sealSourceOptions } from '../../pipeline/index.js'
import type { Runtime } from '../../runtime/index.js'
import {
  deleteDataSource,
  getDataSource,
  listDataSources,
  upsertDataSource,
} from '../../store/data-sources.js'
import { getEntity, listEntities } from '../../store/entities.js'
import { getInstance } from '../../store/instances.js'
import { latestRefreshPerSource, listRefreshes, type Refresh } from '../../store/refreshes.js'
import { type ApiApp, errorResponses, instanceParams } from '../api-types.js'
import { refreshSchema } from './api-objects.js'

const dataSourceOut = z.object({
  name: z.string(),
  kind: z.string(),
  options: z.record(z.string(), z.unknown()),
  primaryKey: z.string(),
  columnTypes: z.record(z.string(), z.string()),
  rejectRatio: z.number(),
  maxShrink: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastRefresh: refreshSchema.nullable(),
  publishedRowCount: z
    .number()
    .nullable()
    .describe('Rows of the data published now (kept when a later refresh failed); null before the first'),
})

const sourceParams = instanceParams.extend({ name: nameSchema.describe('Data source name') })

export function registerDataSourceRoutes(app: ApiApp, runtime: Runtime): void {
  const { db } = runtime
  const withLastRefresh = async (instanceId: string) =>
    new Map(
      (await latestRefreshPerSource(db, instanceId)).map((r) => [r.dataSourceName, r] as [string, Refresh]),
    )

  app.get(
    '/api/v1/instances/:instanceId/datasources',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'List data sources with their last refresh',
        tags: ['data sources'],
        params: instanceParams,
        response: { 200: z.object({ value: z.array(dataSourceOut) }) },
      },
    },
    async (request) => {
      const last = await withLastRefresh(request.params.instanceId)
      const sources = await listDataSources(db, request.params.instanceId)
      const published = new Map(
        (await listEntities(db, request.params.instanceId)).map((e) => [e.name, e.current.rowCount]),
      )
      return {
        value: sources.map((s) => ({
          ...s,
          options: publicSourceOptions(s.kind, s.options, runtime.secrets),
          lastRefresh: last.get(s.name) ?? null,
          publishedRowCount: published.get(s.name) ?? null,
        })),
      }
    },
  )

  app.get(
    '/api/v1/instances/:instanceId/datasources/:name',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Get a data source',
        tags: ['data sources'],
        params: sourceParams,
        response: { 200: dataSourceOut, ...errorResponses },
      },
    },
    async (request) => {
      const { instanceId, name } = request.params
      const source = await getDataSource(db, instanceId, name)
      if (!source) throw notFound('Data source', name)
      const [last] = await listRefreshes(db, instanceId, { dataSourceName: name, limit: 1 })
      const entity = await getEntity(db, instanceId, name)
      return {
        ...source,
        options: publicSourceOptions(source.kind, source.options, runtime.secrets),
        lastRefresh: last ?? null,
        publishedRowCount: entity?.current.rowCount ?? null,
      }
    },
  )

  app.put(
    '/api/v1/instances/:instanceId/datasources/:name',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Create or replace a data source',
        tags: ['data sources'],
        params: sourceParams,
        body: dataSourceSchema,
        response: { 200: z.object({ name: z.string(), action: z.string() }), ...errorResponses },
      },
    },
    async (request) => {
      const { instanceId, name } = request.params
      const body = request.body
      const action = await db.transaction().execute(async (tx) => {
        if (!(await getInstance(tx, instanceId))) throw notFound('Instance', instanceId)
        const stored = await getDataSource(tx, instanceId, name)
        return upsertDataSource(tx, instanceId, {
          name,
          kind: body.kind,
          options: sealSourceOptions(
            { name, kind: body.kind, options: body.options },
            runtime.secrets,
            stored?.kind === body.kind ? stored.options : undefined,
          ),
          primaryKey: body.primaryKey,
          columnTypes: body.columnTypes,
          rejectRatio: body.rejectRatio,
          maxShrink: body.maxShrink,
        })
      })
      return { name, action }
    },
  )

  app.delete(
    '/api/v1/instances/:instanceId/datasources/:name',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Delete a data source (its published entity stays until replaced)',
        tags: ['data sources'],
        params: sourceParams,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { instanceId, name } = request.params
      if (!(await deleteDataSource(db, instanceId, name))) throw notFound('Data source', name)
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/api/v1/instances/:instanceId/datasources/:name/refresh',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Refresh one data source',
        description: 'Queues a refresh; if one is already queued or running, that one is returned.',
        tags: ['data sources'],
        params: sourceParams,
        querystring: z.object({
          allowShrink: z
            .enum(['true', 'false'])
            .default('false')
            .describe("Publish even if it removes more of the entity's rows than maxShrink allows"),
        }),
        response: { 202: refreshSchema.extend({ created: z.boolean() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { instanceId, name } = request.params
      const [result] = await requestRefreshes(db, runtime.jobs, instanceId, [name], {
        allowShrink: request.query.allowShrink === 'true',
      })
      if (!result) throw notFound('Data source', name)
      void reply.header('location', `/api/v1/instances/${instanceId}/refreshes/${result.refresh.id}`)
      return reply.status(202).send({ ...result.refresh, created: result.created })
    },
  )
}

import { createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { z } from 'zod'
import { dataSourceSchema, nameSchema } from '../../config/index.js'
import { dataSourceOut, GetDataSources } from '../../connector/operations/index.js'
import { AppError, notFound } from '../../errors.js'
import { newId } from '../../ids.js'
import {
  dataLayout,
  dialectText,
  previewSource,
  publicSourceOptions,
  requestRefreshes,
  SOURCE_KINDS,
  sealSourceOptions,
} from '../../pipeline/index.js'
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
import { routeOf } from '../route-of.js'
import { refreshSchema } from './api-objects.js'

/** How long a preview may read before it answers TimedOut. */
const PREVIEW_TIMEOUT_MS = 30_000

const sourceParams = instanceParams.extend({ name: nameSchema.describe('Data source name') })

export async function registerDataSourceRoutes(app: ApiApp, runtime: Runtime): Promise<void> {
  const { db } = runtime
  const withLastRefresh = async (instanceId: string) =>
    new Map(
      (await latestRefreshPerSource(db, instanceId)).map((r) => [r.dataSourceName, r] as [string, Refresh]),
    )

  app.route({
    ...routeOf(GetDataSources),
    handler: async (request) => {
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
  })

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
          schedule: body.schedule ?? null,
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

  // Uploads stream to disk: the body is not parsed, and its size is counted as it arrives.
  await app.register(async (plugin) => {
    const scoped = plugin as unknown as ApiApp
    scoped.removeAllContentTypeParsers()
    scoped.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined))
    scoped.post(
      '/api/v1/instances/:instanceId/uploads',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'Upload a file for a data source',
          description:
            "The request body is the file (any content type). Stored under the instance's uploads folder; answers the path to give a data source's options.path. At most OPENINSIGHTS_UPLOAD_LIMIT_MB (default 1024).",
          tags: ['data sources'],
          params: instanceParams,
          querystring: z.object({
            name: z.string().min(1).max(200).describe('The file name, for its extension and for people'),
          }),
          response: {
            201: z.object({ path: z.string(), name: z.string(), bytes: z.number() }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const { instanceId } = request.params
        if (!(await getInstance(db, instanceId))) throw notFound('Instance', instanceId)
        const safe = request.query.name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'upload'
        const dir = dataLayout.uploadsDir(runtime.settings.dataDir, instanceId)
        await mkdir(dir, { recursive: true })
        const path = join(dir, `${newId()}-${safe}`)
        const limit = runtime.settings.uploadLimitBytes
        let bytes = 0
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            bytes += chunk.length
            if (bytes > limit)
              callback(
                new AppError(
                  'UploadTooLarge',
                  `the file is larger than the ${Math.round(limit / 1024 / 1024)} MB uploads may be (OPENINSIGHTS_UPLOAD_LIMIT_MB); give its path instead`,
                  { target: 'body' },
                ),
              )
            else callback(null, chunk)
          },
        })
        try {
          await pipeline(request.raw, counter, createWriteStream(path, { flags: 'wx', mode: 0o600 }))
        } catch (error) {
          await rm(path, { force: true })
          throw error
        }
        void reply.status(201)
        return { path, name: request.query.name, bytes }
      },
    )
  })

  app.post(
    '/api/v1/instances/:instanceId/datasources/preview',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Preview a data source before saving it',
        description:
          'Reads the start of the file or table: its columns and types, the first 20 rows, the columns that could be its key (present and distinct in the first 10,000 rows, id-like names first) and, for CSV, the delimiter, quote, encoding, decimal mark and date format it was read with (`detected` names those not set).',
        tags: ['data sources'],
        params: instanceParams,
        body: z.object({
          kind: z.enum(SOURCE_KINDS as [string, ...string[]]),
          options: z.record(z.string(), z.unknown()),
          columnTypes: z.record(z.string(), z.string()).default({}),
        }),
        response: {
          200: z.object({
            columns: z.array(z.object({ name: z.string(), type: z.string() })),
            rows: z.array(z.record(z.string(), z.unknown())),
            keyCandidates: z.array(z.string()),
            dialect: z.record(z.string(), z.unknown()).nullable(),
            dialectText: z
              .string()
              .nullable()
              .describe('The dialect in one line, e.g. delimiter ";" (detected), …'),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { instanceId } = request.params
      if (!(await getInstance(db, instanceId))) throw notFound('Instance', instanceId)
      const preview = await previewSource(
        runtime.duck,
        {
          name: 'preview',
          kind: request.body.kind as (typeof SOURCE_KINDS)[number],
          options: request.body.options,
          columnTypes: request.body.columnTypes,
        },
        dataLayout.workDir(runtime.settings.dataDir, instanceId, `preview-${newId()}`),
        AbortSignal.timeout(PREVIEW_TIMEOUT_MS),
      )
      const dialect = (preview.dialect as Record<string, unknown> | null) ?? null
      return { ...preview, dialect, dialectText: dialect ? dialectText(dialect) : null }
    },
  )
}

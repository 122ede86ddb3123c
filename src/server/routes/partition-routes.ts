import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { nameSchema } from '../../config/index.js'
import { AppError, notFound } from '../../errors.js'
import { queryEntityRows } from '../../pipeline/index.js'
import { MAX_PAGE_SIZE, parseEntityQuery } from '../../query/index.js'
import type { Runtime } from '../../runtime/index.js'
import { type ApiApp, errorResponses, instanceParams } from '../api-types.js'
import { asQueryError, origin, requireEntity } from './entity-routes.js'

const partitionOut = z
  .object({
    name: z.string(),
    rowCount: z.number(),
    sizeBytes: z.number(),
    versionId: z.string(),
    refreshId: z.string(),
    createdAt: z.string(),
    dataUrl: z.string().describe('Get data from partition'),
  })
  .describe('One Parquet partition of the current version of an entity')

export function registerPartitionRoutes(app: ApiApp, runtime: Runtime): void {
  const params = instanceParams.extend({ entity: nameSchema })

  app.get(
    '/api/v1/instances/:instanceId/entities/:entity/partitions',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Get partitions for entity',
        description: 'The Parquet partitions of the current version, with row counts and sizes.',
        tags: ['entities'],
        operationId: 'GetPartitions',
        params,
        response: { 200: z.object({ value: z.array(partitionOut) }), ...errorResponses },
      },
    },
    async (request) => {
      const { instanceId, entity } = request.params
      const found = await requireEntity(runtime, instanceId, entity)
      const v = found.current
      return {
        value: v.partitions.map((p) => ({
          name: p.name,
          rowCount: p.rowCount,
          sizeBytes: p.sizeBytes,
          versionId: v.id,
          refreshId: v.refreshId,
          createdAt: v.createdAt,
          dataUrl: `${origin(request)}/api/v1/instances/${instanceId}/entities/${entity}/partitions/${p.name}/data`,
        })),
      }
    },
  )

  app.get(
    '/api/v1/instances/:instanceId/entities/:entity/partitions/:partition/data',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Get data from partition',
        description:
          'Rows of one partition as JSON pages ($top up to 1,000, $skip, $select; follow @odata.nextLink), or the whole Parquet file streamed with ?format=parquet.',
        tags: ['entities'],
        operationId: 'GetPartitionData',
        params: params.extend({
          partition: z.string().regex(/^part-\d{5}$/, 'a partition name such as part-00000'),
        }),
        querystring: z.object({
          $top: z.string().max(12).optional(),
          $skip: z.string().max(12).optional(),
          $select: z.string().max(4000).optional(),
          format: z.enum(['json', 'parquet']).default('json'),
        }),
        response: {
          200: z.object({
            '@odata.context': z.string(),
            value: z.array(z.record(z.string(), z.unknown())),
            '@odata.nextLink': z.string().optional(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { instanceId, entity, partition } = request.params
      const found = await requireEntity(runtime, instanceId, entity)
      const info = found.current.partitions.find((p) => p.name === partition)
      if (!info) throw notFound(`Partition of ${entity}`, partition)
      const file = join(found.current.directory, info.file)
      if (request.query.format === 'parquet') {
        return reply
          .type('application/vnd.apache.parquet')
          .header('content-disposition', `attachment; filename="${entity}-${partition}.parquet"`)
          .header('content-length', String(info.sizeBytes))
          .send(createReadStream(file) as never)
      }
      const { format: _format, ...odata } = request.query
      const query = parseEntityQuery(odata, found.current.schema, null)
      if (query.skip > info.rowCount)
        throw new AppError(
          'InvalidQuery',
          `$skip ${query.skip} is past the partition's ${info.rowCount} rows`,
          { target: '$skip' },
        )
      const { rows } = await queryEntityRows(
        runtime.duck,
        found.current,
        {
          select: query.select,
          where: undefined,
          orderBy: [],
          limit: query.pageSize,
          offset: query.skip,
          count: false,
        },
        [file],
      ).catch((e: unknown) => {
        throw asQueryError(e)
      })
      const end = query.skip + rows.length
      const wanted = query.top === undefined ? info.rowCount : Math.min(info.rowCount, query.skip + query.top)
      const path = `/api/v1/instances/${instanceId}/entities/${entity}/partitions/${partition}/data`
      return {
        '@odata.context': `${origin(request)}/api/v1/instances/${instanceId}/$metadata#${entity}`,
        value: rows,
        ...(end < wanted && rows.length === Math.min(query.pageSize, MAX_PAGE_SIZE)
          ? {
              '@odata.nextLink': `${origin(request)}${path}?${query.top === undefined ? '' : `$top=${wanted - end}&`}$skip=${end}${odata.$select ? `&$select=${encodeURIComponent(odata.$select)}` : ''}`,
            }
          : {}),
      }
    },
  )
}

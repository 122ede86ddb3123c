import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import { GetPartitionData, GetPartitions } from '../../connector/operations/index.js'
import { AppError, notFound } from '../../errors.js'
import { queryEntityRows } from '../../pipeline/index.js'
import { MAX_PAGE_SIZE, parseEntityQuery } from '../../query/index.js'
import type { Runtime } from '../../runtime/index.js'
import type { ApiApp } from '../api-types.js'
import { routeOf } from '../route-of.js'
import { asQueryError, origin, requireEntity } from './entity-routes.js'

export function registerPartitionRoutes(app: ApiApp, runtime: Runtime): void {
  app.route({
    ...routeOf(GetPartitions),
    handler: async (request) => {
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
  })

  app.route({
    ...routeOf(GetPartitionData),
    handler: async (request, reply) => {
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
        '@odata.context': `${origin(request)}/api/v1/instances/${instanceId}/data/$metadata#${entity}`,
        value: rows,
        ...(end < wanted && rows.length === Math.min(query.pageSize, MAX_PAGE_SIZE)
          ? {
              '@odata.nextLink': `${origin(request)}${path}?${query.top === undefined ? '' : `$top=${wanted - end}&`}$skip=${end}${odata.$select ? `&$select=${encodeURIComponent(odata.$select)}` : ''}`,
            }
          : {}),
      }
    },
  })
}

import { z } from 'zod'
import { nameSchema } from '../../config/index.js'
import { notFound } from '../../errors.js'
import { readEntityPage } from '../../pipeline/index.js'
import type { Runtime } from '../../runtime/index.js'
import { getEntity, listEntities } from '../../store/entities.js'
import { type ApiApp, errorResponses, instanceParams } from '../api-types.js'
import { columnSchema } from './api-objects.js'

const entityOut = z.object({
  name: z.string(),
  origin: z.string(),
  rowCount: z.number(),
  schema: z.array(columnSchema),
  versionId: z.string(),
  refreshId: z.string(),
  partitionCount: z.number(),
  updatedAt: z.string(),
})

export function registerEntityRoutes(app: ApiApp, runtime: Runtime): void {
  app.get(
    '/api/v1/instances/:instanceId/entities',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Get entities',
        description: 'Every published entity with its schema and the row count of its current version.',
        tags: ['entities'],
        params: instanceParams,
        response: { 200: z.object({ value: z.array(entityOut) }) },
      },
    },
    async (request) => {
      const entities = await listEntities(runtime.db, request.params.instanceId)
      return {
        value: entities.map((e) => ({
          name: e.name,
          origin: e.origin,
          rowCount: e.current.rowCount,
          schema: e.current.schema,
          versionId: e.current.id,
          refreshId: e.current.refreshId,
          partitionCount: e.current.partitions.length,
          updatedAt: e.updatedAt,
        })),
      }
    },
  )

  app.get(
    '/api/v1/instances/:instanceId/data/:entity',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Get items from an entity',
        description: 'Rows of the current published version, paged with $top and $skip.',
        tags: ['entities'],
        params: instanceParams.extend({ entity: nameSchema }),
        querystring: z.object({
          $top: z.coerce.number().int().min(1).max(1000).default(100),
          $skip: z.coerce.number().int().min(0).default(0),
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
    async (request) => {
      const { instanceId, entity } = request.params
      const { $top, $skip } = request.query
      const found = await getEntity(runtime.db, instanceId, entity)
      if (!found) throw notFound('Entity', entity)
      const value = await readEntityPage(runtime.duck, found.current, { top: $top, skip: $skip })
      const base = `/api/v1/instances/${instanceId}/data/${entity}`
      return {
        '@odata.context': `${base}/$metadata`,
        value,
        ...($skip + value.length < found.current.rowCount
          ? { '@odata.nextLink': `${base}?$top=${$top}&$skip=${$skip + value.length}` }
          : {}),
      }
    },
  )
}

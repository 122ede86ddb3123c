import { z } from 'zod'
import { nameSchema } from '../../config/index.js'
import { CreateItem, entityOut, UpdateItem } from '../../connector/operations/index.js'
import { defineWritableEntity, writeItem } from '../../pipeline/entities/index.js'
import { COLUMN_TYPES, isColumnType } from '../../pipeline/sql/duckdb-sql.js'
import type { Runtime } from '../../runtime/index.js'
import { type ApiApp, errorResponses, instanceParams } from '../api-types.js'
import { routeOf } from '../route-of.js'
import { origin, toEntityOut } from './entity-routes.js'

export function registerItemRoutes(app: ApiApp, runtime: Runtime): void {
  const store = { db: runtime.db, duck: runtime.duck, dataDir: runtime.settings.dataDir }

  app.put(
    '/api/v1/instances/:instanceId/entities/:entity',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Define a writable entity',
        description:
          'An entity whose items flows create and update (Create item / Update item). Idempotent for the same definition.',
        tags: ['entities'],
        params: instanceParams.extend({ entity: nameSchema }),
        body: z.object({
          keyColumn: z.string().min(1).max(63),
          columns: z
            .array(
              z.object({
                name: nameSchema,
                type: z.string().refine(isColumnType, { message: `one of ${COLUMN_TYPES.join(', ')}` }),
              }),
            )
            .min(1)
            .max(200),
        }),
        response: { 200: entityOut, 201: entityOut, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { entity, created } = await defineWritableEntity(
        store,
        request.params.instanceId,
        request.params.entity,
        {
          keyColumn: request.body.keyColumn,
          columns: request.body.columns.map((c) => ({ name: c.name, type: c.type.toUpperCase() })),
        },
      )
      void reply.status(created ? 201 : 200)
      return toEntityOut(entity)
    },
  )

  app.route({
    ...routeOf(CreateItem),
    handler: async (request, reply) => {
      const { instanceId, entity } = request.params
      const item = await writeItem(store, instanceId, entity, 'create', request.body)
      const entityRow = await runtime.db
        .selectFrom('entities')
        .innerJoin('entity_versions', 'entity_versions.id', 'entities.current_version_id')
        .select('entity_versions.key_column')
        .where('entities.instance_id', '=', instanceId)
        .where('entities.name', '=', entity)
        .executeTakeFirst()
      const key = entityRow?.key_column ? item[entityRow.key_column] : undefined
      void reply
        .status(201)
        .header(
          'location',
          `${origin(request)}/api/v1/instances/${instanceId}/data/${entity}/${encodeURIComponent(String(key))}`,
        )
      return item
    },
  })

  app.route({
    ...routeOf(UpdateItem),
    handler: async (request) =>
      writeItem(
        store,
        request.params.instanceId,
        request.params.entity,
        'update',
        request.body,
        request.params.key,
      ),
  })
}

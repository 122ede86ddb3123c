import type { FastifyRequest } from 'fastify'
import { nameSchema } from '../../config/index.js'
import { GetEntities, GetItem, GetItems } from '../../connector/operations/index.js'
import { AppError, notFound } from '../../errors.js'
import { keyCondition } from '../../pipeline/entities/index.js'
import { queryEntityRows } from '../../pipeline/index.js'
import type { JsonValue } from '../../query/index.js'
import { parseEntityQuery } from '../../query/index.js'
import type { Runtime } from '../../runtime/index.js'
import { type Entity, getEntity, listEntities } from '../../store/entities.js'
import type { ApiApp } from '../api-types.js'
import { routeOf } from '../route-of.js'

export function toEntityOut(e: Entity) {
  return {
    name: e.name,
    origin: e.origin,
    rowCount: e.current.rowCount,
    schema: e.current.schema,
    keyColumn: e.current.keyColumn,
    writable: e.writable,
    versionId: e.current.id,
    refreshId: e.current.refreshId,
    partitionCount: e.current.partitions.length,
    updatedAt: e.updatedAt,
  }
}

export async function requireEntity(runtime: Runtime, instanceId: string, name: string): Promise<Entity> {
  const found = await getEntity(runtime.db, instanceId, name)
  if (!found) throw notFound('Entity', name)
  return found
}

/** The absolute address of this server as the caller reached it, for links. */
export function origin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`
}

/** DuckDB errors that depend on the values in a query (not on our SQL) are the caller's to fix. */
export function asQueryError(thrown: unknown): unknown {
  const message = (thrown as Error)?.message ?? ''
  if (/^(Conversion Error|Out of Range Error|Invalid Input Error)/.test(message))
    return new AppError('InvalidQuery', message.split('\n')[0] as string, { target: '$filter' })
  return thrown
}

export function registerEntityRoutes(app: ApiApp, runtime: Runtime): void {
  app.route({
    ...routeOf(GetEntities),
    handler: async (request) => ({
      value: (await listEntities(runtime.db, request.params.instanceId)).map(toEntityOut),
    }),
  })

  app.route({
    ...routeOf(GetItems),
    handler: async (request) => {
      const { instanceId } = request.params
      // The OData form Entity(key) is "Get item".
      const keyed = /^([A-Za-z_][A-Za-z0-9_]*)\((.+)\)$/.exec(request.params.entity)
      if (keyed) return getItem(runtime, instanceId, keyed[1] as string, keyed[2] as string, 'odata')
      const name = nameSchema.safeParse(request.params.entity)
      if (!name.success) throw notFound('Entity', request.params.entity)
      const entity = await requireEntity(runtime, instanceId, name.data)
      const query = parseEntityQuery(
        request.query as Record<string, string | string[] | undefined>,
        entity.current.schema,
        entity.current.keyColumn,
      )
      const { rows, count } = await queryEntityRows(runtime.duck, entity.current, {
        select: query.select,
        where: query.where,
        orderBy: query.orderBy,
        limit: query.pageSize + 1,
        offset: query.skip,
        count: query.count,
      }).catch((e: unknown) => {
        throw asQueryError(e)
      })
      const more = rows.length > query.pageSize
      const value = more ? rows.slice(0, query.pageSize) : rows
      const path = `/api/v1/instances/${instanceId}/data/${entity.name}`
      let nextLink: string | undefined
      if (more && (query.top === undefined || query.top > value.length)) {
        const next = new URLSearchParams()
        for (const [key, v] of Object.entries(request.query as Record<string, string | string[]>)) {
          if (key === '$skip' || key === '$top') continue
          for (const item of Array.isArray(v) ? v : [v]) next.append(key, item)
        }
        if (query.top !== undefined) next.set('$top', String(query.top - value.length))
        next.set('$skip', String(query.skip + value.length))
        nextLink = `${origin(request)}${path}?${next.toString().replaceAll('%24', '$')}`
      }
      return {
        '@odata.context': `${origin(request)}/api/v1/instances/${instanceId}/$metadata#${entity.name}`,
        ...(count !== undefined ? { '@odata.count': count } : {}),
        value,
        ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
      }
    },
  })

  app.route({
    ...routeOf(GetItem),
    handler: async (request) =>
      getItem(
        runtime,
        request.params.instanceId,
        request.params.entity,
        request.params.key,
        'plain',
        request.query.$select,
      ),
  })
}

async function getItem(
  runtime: Runtime,
  instanceId: string,
  entityName: string,
  keyText: string,
  form: 'odata' | 'plain',
  select?: string,
): Promise<Record<string, JsonValue>> {
  const entity = await requireEntity(runtime, instanceId, entityName)
  const where = keyCondition(entity, keyText, form)
  const query = parseEntityQuery(select ? { $select: select } : {}, entity.current.schema, null)
  const { rows } = await queryEntityRows(runtime.duck, entity.current, {
    select: query.select,
    where,
    orderBy: [],
    limit: 2,
    offset: 0,
    count: false,
  }).catch((e: unknown) => {
    throw asQueryError(e)
  })
  const row = rows[0]
  if (!row) throw notFound(`Item of ${entity.name}`, keyText)
  return row
}

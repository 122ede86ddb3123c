import type { FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { nameSchema } from '../../config/index.js'
import { jsonSchemaOf, toSwagger } from '../../connector/export/index.js'
import { GetEntities, GetEntitySchema, GetItem, GetItems } from '../../connector/operations/index.js'
import { AppError, notFound } from '../../errors.js'
import { itemFieldsSchema, keyCondition } from '../../pipeline/entities/index.js'
import { queryEntityRows } from '../../pipeline/index.js'
import type { JsonValue } from '../../query/index.js'
import { csdlJson, csdlXml, parseEntityQuery } from '../../query/index.js'
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

/** OData's headers on every answer of the feed; `none` when the client asked for no metadata. */
function odataHeaders(request: FastifyRequest, reply: FastifyReply): 'minimal' | 'none' {
  void reply.header('OData-Version', '4.0')
  const accept = `${request.headers.accept ?? ''};${(request.query as Record<string, unknown>)?.$format ?? ''}`
  return /odata\.metadata=none/i.test(accept) ? 'none' : 'minimal'
}

/** `Prefer: odata.maxpagesize=N` (Power BI sends it): pages of at most N rows. */
function preferredPageSize(request: FastifyRequest): number | undefined {
  const match = /odata\.maxpagesize\s*=\s*(\d{1,9})/i.exec(String(request.headers.prefer ?? ''))
  return match ? Math.max(1, Number(match[1])) : undefined
}

const feedParams = z.object({ instanceId: z.string().min(1).max(100) })
const errorOut = z.object({ error: z.object({ code: z.string(), message: z.string() }).passthrough() })

export function registerEntityRoutes(app: ApiApp, runtime: Runtime): void {
  // The OData service: its service document and $metadata, for Power BI, Excel and OData clients.
  app.get(
    '/api/v1/instances/:instanceId/data',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'OData service document',
        description:
          'The entity sets of the instance: the root of its OData feed (Power BI / Excel "OData feed").',
        tags: ['odata'],
        params: feedParams,
        response: { 200: z.record(z.string(), z.unknown()), 404: errorOut },
      },
    },
    async (request, reply) => {
      const metadata = odataHeaders(request, reply)
      const base = `${origin(request)}/api/v1/instances/${request.params.instanceId}/data`
      const entities = await listEntities(runtime.db, request.params.instanceId)
      return {
        ...(metadata === 'none' ? {} : { '@odata.context': `${base}/$metadata` }),
        value: entities.map((e) => ({ name: e.name, kind: 'EntitySet', url: e.name })),
      }
    },
  )
  app.get(
    '/api/v1/instances/:instanceId/data/$metadata',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'OData $metadata',
        description:
          'CSDL XML (OData 4.0) of every published entity: key, Edm types, writability; CSDL JSON (4.01) with $format=json or Accept: application/json.',
        tags: ['odata'],
        params: feedParams,
        querystring: z.object({ $format: z.string().max(100).optional() }),
        response: { 200: z.union([z.string(), z.record(z.string(), z.unknown())]) },
      },
    },
    async (request, reply) => {
      odataHeaders(request, reply)
      const entities = (await listEntities(runtime.db, request.params.instanceId)).map((e) => ({
        name: e.name,
        columns: e.current.schema,
        keyColumn: e.current.keyColumn,
        writable: e.writable,
      }))
      const json =
        /json/i.test(request.query.$format ?? '') ||
        (/application\/json/i.test(request.headers.accept ?? '') &&
          !/xml/i.test(request.headers.accept ?? ''))
      if (json) return csdlJson(entities)
      void reply.type('application/xml; charset=utf-8')
      return csdlXml(entities)
    },
  )
  app.get(
    '/api/v1/instances/:instanceId/data/:entity/$count',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Count items',
        description:
          'The number of rows of the current version that meet $filter (and field filters), as plain text.',
        tags: ['odata'],
        params: feedParams.extend({ entity: z.string().min(1).max(200) }),
        querystring: z.record(z.string(), z.union([z.string().max(8000), z.array(z.string())])),
        response: { 200: z.string() },
      },
    },
    async (request, reply) => {
      odataHeaders(request, reply)
      const entity = await requireEntity(runtime, request.params.instanceId, request.params.entity)
      const query = parseEntityQuery(
        { ...(request.query as Record<string, string | string[]>), $count: 'true', $top: '0' },
        entity.current.schema,
        entity.current.keyColumn,
      )
      const { count } = await queryEntityRows(runtime.duck, entity.current, {
        select: query.select,
        where: query.where,
        orderBy: [],
        limit: 0,
        offset: 0,
        count: true,
      }).catch((e: unknown) => {
        throw asQueryError(e)
      })
      void reply.type('text/plain; charset=utf-8')
      return String(count ?? 0)
    },
  )

  app.route({
    ...routeOf(GetEntities),
    handler: async (request) => {
      const { writable } = request.query
      const entities = await listEntities(runtime.db, request.params.instanceId)
      return {
        value: entities
          .filter((e) => writable === undefined || e.writable === (writable === 'true'))
          .map(toEntityOut),
      }
    },
  })

  app.route({
    ...routeOf(GetEntitySchema),
    handler: async (request) => {
      const entity = await requireEntity(runtime, request.params.instanceId, request.params.entity)
      const use = request.query.for
      if (use !== 'read' && !entity.writable)
        throw new AppError(
          'EntityReadOnly',
          `entity ${entity.name} is read-only; items cannot be written to it`,
          {
            target: 'entity',
          },
        )
      const fields = itemFieldsSchema(entity.current.schema, entity.current.keyColumn, use)
      const schema = toSwagger(jsonSchemaOf(fields, 'input'), { keepRequired: use === 'create' })
      return { schema: { ...schema, 'x-ms-summary': entity.name } }
    },
  })

  app.route({
    ...routeOf(GetItems),
    handler: async (request, reply) => {
      const { instanceId } = request.params
      // The OData form Entity(key) is "Get item".
      const keyed = /^([A-Za-z_][A-Za-z0-9_]*)\((.+)\)$/.exec(request.params.entity)
      if (keyed) return getItem(runtime, instanceId, keyed[1] as string, keyed[2] as string, 'odata')
      const name = nameSchema.safeParse(request.params.entity)
      if (!name.success) throw notFound('Entity', request.params.entity)
      const entity = await requireEntity(runtime, instanceId, name.data)
      const metadata = odataHeaders(request, reply)
      const query = parseEntityQuery(
        request.query as Record<string, string | string[] | undefined>,
        entity.current.schema,
        entity.current.keyColumn,
      )
      const preferred = preferredPageSize(request)
      if (preferred !== undefined && preferred < query.pageSize) {
        query.pageSize = preferred
        void reply.header('Preference-Applied', `odata.maxpagesize=${preferred}`)
      }
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
        ...(metadata === 'none'
          ? {}
          : {
              '@odata.context': `${origin(request)}/api/v1/instances/${instanceId}/data/$metadata#${entity.name}`,
            }),
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

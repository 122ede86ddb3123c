import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiDefinition } from '../../src/connector/export/index.js'
import { triggerOf } from '../../src/events/index.js'
import { startApiServer } from '../helpers/api-server.js'
import { rawRequest } from '../helpers/raw-http.js'

type SwaggerParameter = { name: string; in: string; required?: boolean; schema?: { properties?: object } }
type OpenApiOperation = {
  parameters?: { name: string; in: string; required?: boolean }[]
  requestBody?: { content?: Record<string, { schema?: { properties?: object } }> }
}

/**
 * The exported connector is generated from the operations the server registers its routes from
 * (src/connector/operations); this checks the result end to end against the running server's own
 * OpenAPI document: every operation it exports is a live route, with the same path parameters,
 * query parameters the route takes, and body fields the route's body has.
 */
describe('the exported connector against the live routes', () => {
  let server: Awaited<ReturnType<typeof startApiServer>>
  let openapi: { paths: Record<string, Record<string, OpenApiOperation>> }
  beforeAll(async () => {
    server = await startApiServer()
    openapi = JSON.parse((await rawRequest(server.port, 'GET', '/docs/json')).body)
  }, 60_000)
  afterAll(() => server?.close())

  it('exports only operations the server has, with parameters it reads', () => {
    const definition = apiDefinition() as {
      basePath: string
      paths: Record<string, Record<string, { operationId: string; parameters?: SwaggerParameter[] }>>
    }
    const problems: string[] = []
    let operations = 0
    for (const [path, methods] of Object.entries(definition.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        if (!operation?.operationId) continue // x-ms-notification-content and the like
        operations++
        // A live `{p}` may stand for a literal of the exported path (subscriptions/{eventType}).
        const exportedSegments = `${definition.basePath}${path}`.split('/')
        const livePath = Object.keys(openapi.paths).find((candidate) => {
          const segments = candidate.split('/')
          return (
            segments.length === exportedSegments.length &&
            segments.every(
              (seg, i) =>
                seg === exportedSegments[i] ||
                (/^\{\w+\}$/.test(seg) && !/^\{/.test(exportedSegments[i] ?? '')),
            )
          )
        })
        const bound = new Set(
          (livePath ?? '')
            .split('/')
            .filter((seg, i) => seg !== exportedSegments[i])
            .map((seg) => seg.slice(1, -1)),
        )
        const live = livePath ? openapi.paths[livePath]?.[method] : undefined
        if (!live) {
          problems.push(
            `${operation.operationId}: no route ${method.toUpperCase()} ${definition.basePath}${path}`,
          )
          continue
        }
        const liveParams = (live.parameters ?? []).filter((p) => !(p.in === 'path' && bound.has(p.name)))
        const ofKind = (params: { name: string; in: string }[], kind: string) =>
          params
            .filter((p) => p.in === kind)
            .map((p) => p.name)
            .sort()
        const exported = operation.parameters ?? []
        if (JSON.stringify(ofKind(exported, 'path')) !== JSON.stringify(ofKind(liveParams, 'path')))
          problems.push(
            `${operation.operationId}: path parameters ${ofKind(exported, 'path')} ≠ ${ofKind(liveParams, 'path')}`,
          )
        for (const name of ofKind(exported, 'query'))
          if (!ofKind(liveParams, 'query').includes(name))
            problems.push(`${operation.operationId}: the route takes no query parameter ${name}`)
        const body = exported.find((p) => p.in === 'body')
        const liveBody = live.requestBody?.content?.['application/json']?.schema
        if (body && !liveBody) problems.push(`${operation.operationId}: the route takes no body`)
        // A body open to more fields (a subscription's trigger parameters, checked by the trigger's
        // definition) must name them in that definition.
        const trigger = triggerOf(path.split('/').at(-1) ?? '')
        const accepted = new Set([
          ...Object.keys(liveBody?.properties ?? {}),
          ...(trigger ? Object.keys((trigger.parameters as unknown as { shape: object }).shape) : []),
        ])
        for (const field of Object.keys(body?.schema?.properties ?? {}))
          if (!accepted.has(field))
            problems.push(`${operation.operationId}: the route's body has no field ${field}`)
      }
    }
    expect(operations).toBeGreaterThanOrEqual(16)
    expect(problems).toEqual([])
  })
})

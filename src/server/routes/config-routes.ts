import { z } from 'zod'
import {
  applyConfig,
  configJsonSchema,
  configSchema,
  configToYaml,
  exportConfig,
} from '../../config/index.js'
import { AppError } from '../../errors.js'
import type { Runtime } from '../../runtime/index.js'
import { type ApiApp, errorResponses, instanceParams } from '../api-types.js'

const changeSchema = z.object({
  kind: z.string(),
  name: z.string(),
  action: z.string(),
  differences: z.array(z.string()).optional(),
})

export function registerConfigRoutes(app: ApiApp, runtime: Runtime): void {
  app.put(
    '/api/v1/instances/:instanceId/config',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Apply a configuration document',
        description:
          'Upserts the instance and everything the document describes, in one transaction. ?prune=true deletes what it does not mention; ?dryRun=true only reports the changes.',
        tags: ['configuration'],
        params: instanceParams,
        querystring: z.object({
          prune: z.enum(['true', 'false']).default('false'),
          dryRun: z.enum(['true', 'false']).default('false'),
        }),
        body: configSchema,
        response: { 200: z.object({ value: z.array(changeSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      if (request.body.instance.id !== request.params.instanceId) {
        throw new AppError(
          'InstanceMismatch',
          `the document describes instance '${request.body.instance.id}' but was sent to '${request.params.instanceId}'`,
          { target: 'instance.id' },
        )
      }
      const value = await applyConfig(runtime, request.body, {
        prune: request.query.prune === 'true',
        dryRun: request.query.dryRun === 'true',
      })
      return { value }
    },
  )

  app.get(
    '/api/v1/instances/:instanceId/config',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Export the instance as a configuration document',
        description: 'YAML when asked for with Accept: application/yaml, JSON otherwise.',
        tags: ['configuration'],
        params: instanceParams,
        response: { 200: z.any().describe('The configuration document'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const config = await exportConfig(runtime, request.params.instanceId)
      if (request.headers.accept?.includes('yaml')) {
        return reply.header('content-type', 'application/yaml; charset=utf-8').send(configToYaml(config))
      }
      return reply.header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(config))
    },
  )

  app.get(
    '/api/v1/schema/openinsights.json',
    {
      config: { public: true },
      schema: { summary: 'JSON Schema of openinsights.yaml', tags: ['configuration'] },
    },
    async (_request, reply) =>
      reply.header('content-type', 'application/schema+json').send(configJsonSchema()),
  )
}

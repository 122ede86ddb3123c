import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import Fastify from 'fastify'
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod'
import type { Runtime } from '../runtime/index.js'
import type { ApiApp } from './api-types.js'
import { errorHandler } from './error-handler.js'
import { registerConfigRoutes } from './routes/config-routes.js'
import { registerDataSourceRoutes } from './routes/data-source-routes.js'
import { registerEntityRoutes } from './routes/entity-routes.js'
import { registerEventRoutes } from './routes/event-routes.js'
import { registerHealthRoutes } from './routes/health-routes.js'
import { registerInstanceRoutes } from './routes/instance-routes.js'
import { registerRefreshRoutes } from './routes/refresh-routes.js'

/** The HTTP API over a runtime, with OpenAPI docs at /docs. Not listening yet. */
export async function buildApp(runtime: Runtime): Promise<ApiApp> {
  const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 }).withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.setErrorHandler(errorHandler(runtime.logger))
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      error: {
        code: 'NotFound',
        message: `no route ${request.method} ${request.url.split('?')[0]}; see /docs`,
        target: request.url,
      },
    })
  })

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'openinsights API',
        description:
          'Customer data platform: data sources, refreshes, entities and events. Errors are { "error": { "code", "message", "target" } }.',
        version: '1',
      },
    },
    transform: jsonSchemaTransform,
  })
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' })

  registerHealthRoutes(app, runtime)
  registerInstanceRoutes(app, runtime)
  registerConfigRoutes(app, runtime)
  registerDataSourceRoutes(app, runtime)
  registerRefreshRoutes(app, runtime)
  registerEventRoutes(app, runtime)
  registerEntityRoutes(app, runtime)
  await app.ready()
  return app
}

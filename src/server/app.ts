import fastifyCookie from '@fastify/cookie'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifySchema } from 'fastify'
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod'
import type { Runtime } from '../runtime/index.js'
import type { ApiApp } from './api-types.js'
import { ConnectionRateLimiter } from './auth/rate-limiter.js'
import { authenticate } from './authenticate.js'
import { errorHandler } from './error-handler.js'
import { parseJsonBody } from './json-body.js'
import { assertHostAllowed, assertOriginForm } from './request-guard.js'
import { registerConfigRoutes } from './routes/config-routes.js'
import { registerConnectorExportRoutes } from './routes/connector-export-routes.js'
import { registerDataSourceRoutes } from './routes/data-source-routes.js'
import { registerDeliveryRoutes } from './routes/delivery-routes.js'
import { registerEntityRoutes } from './routes/entity-routes.js'
import { registerEventRoutes } from './routes/event-routes.js'
import { registerFlowRoutes } from './routes/flow-routes.js'
import { registerHealthRoutes } from './routes/health-routes.js'
import { registerInsightsRoutes } from './routes/insights-routes.js'
import { registerInstanceRoutes } from './routes/instance-routes.js'
import { registerItemRoutes } from './routes/item-routes.js'
import { registerKeyRoutes } from './routes/key-routes.js'
import { registerPartitionRoutes } from './routes/partition-routes.js'
import { registerRefreshRoutes } from './routes/refresh-routes.js'
import { registerSecretRoutes } from './routes/secret-routes.js'
import { registerStatusReportRoutes } from './routes/status-report-routes.js'
import { registerSubscriptionRoutes } from './routes/subscription-routes.js'
import { registerUnifyRoutes } from './routes/unify-routes.js'
import { registerWebSessionRoutes } from './routes/web-session-routes.js'
import { SESSION_COOKIE, sessionUser } from './web-admin/index.js'
import { isUiPage, registerWebUi } from './web-ui.js'

/** The HTTP API over a runtime, with OpenAPI docs at /docs. Not listening yet. */
export async function buildApp(runtime: Runtime): Promise<ApiApp> {
  const app = Fastify({
    logger: false,
    // Bodies are configuration, items and reports: 2 MB is generous (routes may say less).
    bodyLimit: 2 * 1024 * 1024,
    trustProxy: runtime.settings.trustProxy,
  }).withTypeProvider<ZodTypeProvider>()
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser(
    /^application\/([\w.+-]+\+)?json(\s*;|$)/i,
    { parseAs: 'string' },
    (_request, body, done) => {
      try {
        done(null, parseJsonBody(String(body)))
      } catch (error) {
        done(error as Error, undefined)
      }
    },
  )
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.setErrorHandler(errorHandler(runtime.logger))
  let uiServed = false
  app.setNotFoundHandler((request, reply) => {
    // The UI's own page addresses (/flows, /admin/export-destinations…) are index.html.
    if (uiServed && isUiPage(request.method, request.raw.url ?? '/'))
      return reply.header('cache-control', 'no-cache').sendFile('index.html')
    void reply.status(404).send({
      error: {
        code: 'NotFound',
        message: `no route ${request.method} ${request.url.split('?')[0]}; see /docs`,
        target: request.url,
      },
    })
  })

  const rateLimiter = new ConnectionRateLimiter(runtime.db, runtime.settings.rateLimitWindowSeconds)
  await app.register(fastifyCookie)
  const checkKey = authenticate({
    db: runtime.db,
    rateLimiter,
    defaultRateLimit: runtime.settings.rateLimit,
    sessionUser: (request) => sessionUser(runtime.db, request.cookies[SESSION_COOKIE]),
  })
  app.addHook('onRequest', async (request, reply) => {
    assertOriginForm(request.raw.url)
    assertHostAllowed(request.headers.host, runtime.settings.allowedHosts)
    // Decided on the route the router matched (however the path was spelled): private unless
    // the route says it is public.
    await checkKey(request, reply)
  })
  const sweep = setInterval(() => void rateLimiter.sweep().catch(() => {}), 600_000)
  sweep.unref()
  app.addHook('onClose', async () => clearInterval(sweep))

  // Every route says who may call it, in its config and in the OpenAPI document. Routes that
  // plugins add (the docs pages, the web UI's files) are public because they are registered as such.
  let registeringPublic = false
  app.addHook('onRoute', (route) => {
    // A route that names the scope it needs is never public, whenever it is registered.
    if (registeringPublic && !route.config?.scope) route.config = { ...route.config, public: true }
    const schema: FastifySchema = { ...route.schema }
    if (route.config?.public) schema.security = []
    else {
      const scope = route.config?.scope ?? 'admin'
      schema.description = `${schema.description ? `${schema.description}\n\n` : ''}Needs an API key with scope \`${scope}\`.`
    }
    route.schema = schema
  })
  const registerPublic = async (register: () => PromiseLike<unknown>) => {
    registeringPublic = true
    try {
      await register()
    } finally {
      registeringPublic = false
    }
  }

  await app.register(fastifySwagger, {
    openapi: {
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ apiKey: [] }, { bearer: [] }],
      info: {
        title: 'openinsights API',
        description:
          'Customer data platform: data sources, refreshes, entities, events, webhook subscriptions and deliveries. Every call except health and docs needs an API key (`x-api-key: KEY` or `Authorization: Bearer KEY`; `openinsights keys create`), and each connection may make 100 calls per 60 s by default (429 with Retry-After beyond). Errors are { "error": { "code", "message", "target" } }.',
        version: '1',
      },
    },
    transform: jsonSchemaTransform,
  })
  await registerPublic(() => app.register(fastifySwaggerUi, { routePrefix: '/docs' }))

  registerHealthRoutes(app, runtime)
  registerKeyRoutes(app, runtime)
  registerInstanceRoutes(app, runtime)
  registerConfigRoutes(app, runtime)
  await registerDataSourceRoutes(app, runtime)
  registerRefreshRoutes(app, runtime)
  registerEventRoutes(app, runtime)
  registerUnifyRoutes(app, runtime)
  registerInsightsRoutes(app, runtime)
  registerFlowRoutes(app, runtime)
  registerSecretRoutes(app, runtime)
  registerEntityRoutes(app, runtime)
  registerItemRoutes(app, runtime)
  registerPartitionRoutes(app, runtime)
  registerSubscriptionRoutes(app, runtime)
  registerDeliveryRoutes(app, runtime)
  registerStatusReportRoutes(app, runtime)
  registerConnectorExportRoutes(app, runtime)
  registerWebSessionRoutes(app, runtime)
  await registerPublic(async () => {
    uiServed = await registerWebUi(app)
  })
  await app.ready()
  return app
}

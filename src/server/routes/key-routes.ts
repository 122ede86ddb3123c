import { z } from 'zod'
import { notFound } from '../../errors.js'
import type { Runtime } from '../../runtime/index.js'
import { listApiKeys, revokeApiKey } from '../../store/api-keys.js'
import { type ApiApp, errorResponses } from '../api-types.js'
import { createApiKey } from '../auth/api-key-service.js'
import { SCOPES } from '../auth/scopes.js'

export const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().describe('The first characters of the key, to recognise it'),
    scopes: z.array(z.string()),
    rateLimit: z.number().nullable().describe('Calls per window; null: the default; 0: unlimited'),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .describe('A connection: an API key, shown by its prefix only')

export function registerKeyRoutes(app: ApiApp, runtime: Runtime): void {
  app.get(
    '/api/v1/keys',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'List API keys',
        description: 'Active keys (connections); with ?includeRevoked=true, revoked ones too.',
        tags: ['keys'],
        querystring: z.object({ includeRevoked: z.enum(['true', 'false']).optional() }),
        response: { 200: z.object({ value: z.array(apiKeySchema) }) },
      },
    },
    async (request) => ({
      value: await listApiKeys(runtime.db, { includeRevoked: request.query.includeRevoked === 'true' }),
    }),
  )

  app.post(
    '/api/v1/keys',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Create an API key',
        description: 'The key is in the response once and stored only as a hash.',
        tags: ['keys'],
        body: z.object({
          name: z.string().min(1).max(100),
          scopes: z.array(z.enum(SCOPES)).optional().describe('Default: read, write, subscribe'),
          rateLimit: z.number().int().min(0).max(1_000_000).nullable().optional(),
        }),
        response: { 201: apiKeySchema.extend({ key: z.string() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { key, apiKey } = await createApiKey(runtime.db, request.body)
      void reply.status(201).header('location', `/api/v1/keys/${apiKey.id}`)
      return { ...apiKey, key }
    },
  )

  app.delete(
    '/api/v1/keys/:key',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Revoke an API key',
        description: 'By id or name. Calls with the key fail with 401 from then on.',
        tags: ['keys'],
        params: z.object({ key: z.string().min(1).max(200) }),
        response: { 200: apiKeySchema, ...errorResponses },
      },
    },
    async (request) => {
      const revoked = await revokeApiKey(runtime.db, request.params.key)
      if (!revoked) throw notFound('Key', request.params.key)
      return revoked
    },
  )
}

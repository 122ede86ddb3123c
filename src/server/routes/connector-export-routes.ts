import { z } from 'zod'
import { apiDefinition, apiProperties } from '../../connector/export/index.js'
import type { Runtime } from '../../runtime/index.js'
import type { ApiApp } from '../api-types.js'

const files = {
  'apiDefinition.swagger.json': (host: string) => apiDefinition({ host }),
  'apiProperties.json': () => apiProperties(),
} as const

/**
 * The custom connector's two files as downloads (the web UI's Power Automate tile offers them),
 * for the address the caller reached this server at, or `?host=` (what Power Automate will use).
 */
export function registerConnectorExportRoutes(app: ApiApp, _runtime: Runtime): void {
  app.get(
    '/api/v1/connector/:file',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Download the Power Automate custom connector',
        description:
          'apiDefinition.swagger.json or apiProperties.json, to import in Power Automate (Custom connectors → Import an OpenAPI file) or with paconn.',
        tags: ['connector'],
        params: z.object({ file: z.enum(['apiDefinition.swagger.json', 'apiProperties.json']) }),
        querystring: z.object({
          host: z
            .string()
            .url()
            .refine((u) => /^https?:/.test(u), 'use an http or https URL')
            .optional()
            .describe('Where Power Automate reaches this server, e.g. https://cdp.example.com'),
        }),
      },
    },
    async (request, reply) => {
      const host = request.query.host ?? `${request.protocol}://${request.host}`
      void reply
        .header('content-type', 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="${request.params.file}"`)
      return `${JSON.stringify(files[request.params.file](host), null, 2)}\n`
    },
  )
}

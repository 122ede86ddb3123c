import { z } from 'zod'
import type { Runtime } from '../../runtime/index.js'
import type { ApiApp } from '../api-types.js'

export function registerHealthRoutes(app: ApiApp, runtime: Runtime): void {
  app.get(
    '/api/v1/health',
    {
      config: { public: true },
      schema: {
        summary: 'Health of this process',
        tags: ['admin'],
        response: { 200: z.object({ status: z.literal('ok'), mode: z.string(), role: z.string() }) },
      },
    },
    async () => ({ status: 'ok' as const, mode: runtime.mode, role: runtime.role }),
  )
}

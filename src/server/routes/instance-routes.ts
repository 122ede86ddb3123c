import { z } from 'zod'
import { GetInstances, instanceSchema } from '../../connector/operations/index.js'
import { notFound } from '../../errors.js'
import type { Runtime } from '../../runtime/index.js'
import { listDataSources } from '../../store/data-sources.js'
import { listEntities } from '../../store/entities.js'
import { getInstance, listInstances } from '../../store/instances.js'
import { latestRefreshPerSource } from '../../store/refreshes.js'
import { type ApiApp, errorResponses, instanceParams } from '../api-types.js'
import { routeOf } from '../route-of.js'
import { refreshSchema } from './api-objects.js'

export function registerInstanceRoutes(app: ApiApp, runtime: Runtime): void {
  app.route({ ...routeOf(GetInstances), handler: async () => ({ value: await listInstances(runtime.db) }) })

  app.get(
    '/api/v1/instances/:instanceId',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Get an instance with its status',
        tags: ['admin'],
        params: instanceParams,
        response: {
          200: instanceSchema.extend({
            dataSourceCount: z.number(),
            entityCount: z.number(),
            lastRefreshes: z.array(refreshSchema),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { instanceId } = request.params
      const instance = await getInstance(runtime.db, instanceId)
      if (!instance) throw notFound('Instance', instanceId)
      const [sources, entities, lastRefreshes] = await Promise.all([
        listDataSources(runtime.db, instanceId),
        listEntities(runtime.db, instanceId),
        latestRefreshPerSource(runtime.db, instanceId),
      ])
      return { ...instance, dataSourceCount: sources.length, entityCount: entities.length, lastRefreshes }
    },
  )
}

import { z } from 'zod'
import { STORED_EVENT_TYPES, summarizeEvent } from '../../events/index.js'
import type { Runtime } from '../../runtime/index.js'
import { listEvents } from '../../store/events.js'
import { type ApiApp, errorResponses, instanceParams } from '../api-types.js'
import { eventSchema } from './api-objects.js'

const typeList = z
  .string()
  .max(500)
  .transform((value) =>
    value
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.enum(STORED_EVENT_TYPES)))

export function registerEventRoutes(app: ApiApp, runtime: Runtime): void {
  app.get(
    '/api/v1/instances/:instanceId/events',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'List events in the order they occurred',
        description:
          'Page forward with ?after=<id of the last event you saw> (or follow @odata.nextLink). Newest first with ?order=desc, paging back with ?before=<id>. Filter with ?type=a,b.',
        tags: ['events'],
        params: instanceParams,
        querystring: z.object({
          type: typeList.optional().describe(`Comma-separated event types: ${STORED_EVENT_TYPES.join(', ')}`),
          after: z.string().max(64).optional().describe('Cursor: only events after this event id'),
          before: z.string().max(64).optional().describe('Cursor: only events before this event id'),
          order: z
            .enum(['asc', 'desc'])
            .default('asc')
            .describe('asc: oldest first (default); desc: newest first'),
          $top: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: {
          200: z.object({ value: z.array(eventSchema), '@odata.nextLink': z.string().optional() }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { instanceId } = request.params
      const { type, after, before, order, $top } = request.query
      const events = await listEvents(runtime.db, instanceId, {
        limit: $top,
        ...(type ? { types: type } : {}),
        ...(after ? { after } : {}),
        ...(before ? { before } : {}),
        newestFirst: order === 'desc',
      })
      const value = events.map((event) => ({ ...event, summary: summarizeEvent(event.type, event.data) }))
      const last = value.at(-1)
      if (value.length < $top || !last) return { value }
      const next = new URLSearchParams({
        ...(type ? { type: type.join(',') } : {}),
        ...(order === 'desc' ? { order, before: last.id } : { after: last.id }),
        $top: String($top),
      })
      return { value, '@odata.nextLink': `/api/v1/instances/${instanceId}/events?${next}` }
    },
  )
}

import { z } from 'zod'
import { notFound } from '../../errors.js'
import type { Runtime } from '../../runtime/index.js'
import {
  getDelivery,
  listDeliveries,
  listDeliveryAttempts,
  redriveDeliveries,
} from '../../store/deliveries.js'
import { type ApiApp, errorResponses, instanceParams } from '../api-types.js'

const deliveryOut = z
  .object({
    id: z.string().describe('eventId:subscriptionId, sent as webhook-id'),
    instanceId: z.string(),
    subscriptionId: z.string(),
    eventId: z.string(),
    state: z.enum(['pending', 'succeeded', 'dead', 'cancelled']),
    attemptCount: z.number(),
    nextAttemptAt: z.string().nullable(),
    lastStatus: z.number().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
  })
  .describe('One event on its way to one subscription')

const attemptOut = z.object({
  attempt: z.number(),
  startedAt: z.string(),
  latencyMs: z.number(),
  status: z.number().nullable(),
  error: z.string().nullable(),
})

const toOut = ({ scheduleStart: _s, ...rest }: Awaited<ReturnType<typeof getDelivery>> & object) => rest

export function registerDeliveryRoutes(app: ApiApp, runtime: Runtime): void {
  const base = '/api/v1/instances/:instanceId/deliveries'

  app.get(
    base,
    {
      config: { scope: 'read' },
      schema: {
        summary: 'List webhook deliveries',
        description: 'Newest first; ?state=dead lists the dead-letter queue. Page with ?before=<id>.',
        tags: ['deliveries'],
        params: instanceParams,
        querystring: z.object({
          state: z.enum(['pending', 'succeeded', 'dead', 'cancelled']).optional(),
          subscriptionId: z.string().max(64).optional(),
          before: z.string().max(200).optional(),
          $top: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: { 200: z.object({ value: z.array(deliveryOut) }), ...errorResponses },
      },
    },
    async (request) => {
      const { state, subscriptionId, before, $top } = request.query
      const value = await listDeliveries(runtime.db, request.params.instanceId, {
        limit: $top,
        ...(state ? { state } : {}),
        ...(subscriptionId ? { subscriptionId } : {}),
        ...(before ? { before } : {}),
      })
      return { value: value.map(toOut) }
    },
  )

  app.get(
    `${base}/:deliveryId`,
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Get a webhook delivery',
        description: 'With every attempt: status, latency, error and the start of the response.',
        tags: ['deliveries'],
        params: instanceParams.extend({ deliveryId: z.string().min(1).max(200) }),
        response: { 200: deliveryOut.extend({ attempts: z.array(attemptOut) }), ...errorResponses },
      },
    },
    async (request) => {
      const delivery = await getDelivery(runtime.db, request.params.deliveryId)
      if (!delivery || delivery.instanceId !== request.params.instanceId)
        throw notFound('Delivery', request.params.deliveryId)
      return { ...toOut(delivery), attempts: await listDeliveryAttempts(runtime.db, delivery.id) }
    },
  )

  app.post(
    `${base}/redrive`,
    {
      config: { scope: 'subscribe' },
      schema: {
        summary: 'Redrive dead deliveries',
        description:
          'Puts dead deliveries back on a fresh retry schedule: the ones named in ids, else every dead one (of subscriptionId, if given). Deliveries of removed subscriptions stay dead.',
        tags: ['deliveries'],
        params: instanceParams,
        body: z
          .object({
            ids: z.array(z.string().max(200)).max(10_000).optional(),
            subscriptionId: z.string().max(64).optional(),
          })
          .default({}),
        response: { 200: z.object({ redriven: z.array(z.string()) }), ...errorResponses },
      },
    },
    async (request) => {
      const redriven = await redriveDeliveries(runtime.db, request.params.instanceId, {
        ...(request.body.ids ? { ids: request.body.ids } : {}),
        ...(request.body.subscriptionId ? { subscriptionId: request.body.subscriptionId } : {}),
      })
      runtime.nudgeDeliveries()
      return { redriven }
    },
  )
}

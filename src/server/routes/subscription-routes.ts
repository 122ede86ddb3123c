import { z } from 'zod'
import {
  DeleteSubscription,
  SubscribeToTrigger,
  subscribeBody,
  subscribeResponses as subscribeCreated,
  subscriptionIdParam,
  subscriptionOut,
} from '../../connector/operations/index.js'
import { createSubscription, deleteSubscription } from '../../connector/webhooks/index.js'
import { AppError, notFound } from '../../errors.js'
import { EVENT_TYPES, type EventType } from '../../events/index.js'
import type { Runtime } from '../../runtime/index.js'
import { getSubscription, listSubscriptions, type Subscription } from '../../store/subscriptions.js'
import { type ApiApp, errorResponses, instanceParams } from '../api-types.js'
import { hasScope } from '../auth/scopes.js'
import { routeOf } from '../route-of.js'
import { origin } from './entity-routes.js'

/** Query parameters that carry a capability (Power Automate's sig=, SAS tokens, API keys). */
const CAPABILITY = /^(sig|signature|code|token|access_token|key|apikey|api[-_]key|secret|password|pwd)$/i

/**
 * A callback URL as listings show it: Power Automate's `sig=` (a bearer capability: whoever has
 * the URL can start the flow) and other credential-like parameters masked.
 */
export function maskCallbackUrl(text: string): string {
  try {
    const url = new URL(text)
    if (url.password) url.password = '***'
    for (const name of [...url.searchParams.keys()])
      if (CAPABILITY.test(name)) url.searchParams.set(name, '***')
    return url.toString()
  } catch {
    return '***'
  }
}

const toOut = ({ secret: _secret, createdByKey: _key, ...rest }: Subscription) => ({
  ...rest,
  callbackUrl: maskCallbackUrl(rest.callbackUrl),
})

/**
 * Whose subscriptions a caller may see and end: a connection its own (as Power Automate's
 * connection does), an admin key or the web UI all. Undefined: all.
 */
function ownerFilter(request: {
  apiKey?: { id: string; scopes: readonly string[] } | undefined
}): string | undefined {
  const key = request.apiKey
  if (!key || hasScope(key.scopes, 'admin')) return undefined
  return key.id
}

const subscribeResponses = { ...subscribeCreated, ...errorResponses }

export function registerSubscriptionRoutes(app: ApiApp, runtime: Runtime): void {
  const base = '/api/v1/instances/:instanceId/subscriptions'

  const subscribe = async (
    request: {
      params: { instanceId: string; eventType?: EventType | undefined }
      body: z.infer<typeof subscribeBody>
      headers: Record<string, string | string[] | undefined>
      apiKey?: { id: string } | undefined
    } & Parameters<typeof origin>[0],
    reply: { status(code: number): { header(name: string, value: string): unknown } },
  ) => {
    const {
      eventType: bodyType,
      callbackUrl,
      notificationUrl,
      description,
      parameters,
      ...flat
    } = request.body
    const eventType = request.params.eventType ?? bodyType
    if (!eventType)
      throw new AppError(
        'MissingEventType',
        `name the trigger: eventType is one of ${EVENT_TYPES.join(', ')}`,
        {
          target: 'eventType',
        },
      )
    const header = request.headers['x-ms-notification-url']
    const url = callbackUrl ?? notificationUrl ?? (typeof header === 'string' ? header : undefined)
    if (!url)
      throw new AppError(
        'MissingCallbackUrl',
        'give the callback URL as callbackUrl (or the x-ms-notification-url header)',
        {
          target: 'callbackUrl',
        },
      )
    const subscription = await createSubscription(runtime.db, runtime.outbound, {
      instanceId: request.params.instanceId,
      eventType,
      callbackUrl: url,
      parameters: { ...flat, ...parameters },
      description,
      createdByKey: request.webUser ? undefined : request.apiKey?.id,
    })
    reply
      .status(201)
      .header(
        'location',
        `${origin(request)}/api/v1/instances/${subscription.instanceId}/subscriptions/${subscription.id}`,
      )
    return { ...toOut(subscription), secret: subscription.secret }
  }

  app.post(
    base,
    {
      config: { scope: 'subscribe' },
      schema: {
        summary: 'Subscribe to a trigger',
        description:
          'The Power Automate webhook contract: 201 with Location naming the subscription; DELETE on it unsubscribes. Deliveries are signed per Standard Webhooks.',
        tags: ['subscriptions'],
        params: instanceParams,
        body: subscribeBody,
        response: subscribeResponses,
      },
    },
    async (request, reply) => subscribe(request, reply),
  )

  app.route({ ...routeOf(SubscribeToTrigger), handler: async (request, reply) => subscribe(request, reply) })

  app.get(
    base,
    {
      config: { scope: 'read' },
      schema: {
        summary: 'List subscriptions',
        description:
          'Active subscriptions; ?includeRemoved=true adds ended ones with the reason. A connection sees the subscriptions it made (an admin key all); callback URLs are shown with their sig= and other capability parameters masked.',
        tags: ['subscriptions'],
        params: instanceParams,
        querystring: z.object({
          eventType: z.enum(EVENT_TYPES).optional(),
          includeRemoved: z.enum(['true', 'false']).optional(),
        }),
        response: { 200: z.object({ value: z.array(subscriptionOut) }), ...errorResponses },
      },
    },
    async (request) => {
      const owner = ownerFilter(request)
      const all = await listSubscriptions(runtime.db, request.params.instanceId, {
        ...(request.query.eventType ? { eventType: request.query.eventType } : {}),
        includeRemoved: request.query.includeRemoved === 'true',
      })
      return { value: all.filter((s) => owner === undefined || s.createdByKey === owner).map(toOut) }
    },
  )

  const oneParams = instanceParams.extend({ subscriptionId: subscriptionIdParam })
  /** A subscription the caller may see: another connection's is as good as missing. */
  const find = async (
    request: { apiKey?: { id: string; scopes: readonly string[] } | undefined },
    instanceId: string,
    id: string,
  ) => {
    const found = await getSubscription(runtime.db, instanceId, id)
    const owner = ownerFilter(request)
    if (!found || (owner !== undefined && found.createdByKey !== owner)) throw notFound('Subscription', id)
    return found
  }

  app.get(
    `${base}/:subscriptionId`,
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Get a subscription',
        description: 'One subscription, active or ended.',
        tags: ['subscriptions'],
        params: oneParams,
        response: { 200: subscriptionOut, ...errorResponses },
      },
    },
    async (request) => toOut(await find(request, request.params.instanceId, request.params.subscriptionId)),
  )

  app.get(
    `${base}/:subscriptionId/secret`,
    {
      config: { scope: 'subscribe' },
      schema: {
        summary: 'Get the signing secret of a subscription',
        description: 'To verify webhook-signature on deliveries (Standard Webhooks).',
        tags: ['subscriptions'],
        params: oneParams,
        response: { 200: z.object({ secret: z.string() }), ...errorResponses },
      },
    },
    async (request) => ({
      secret: (await find(request, request.params.instanceId, request.params.subscriptionId)).secret,
    }),
  )

  app.route({
    ...routeOf(DeleteSubscription),
    handler: async (request) => {
      await find(request, request.params.instanceId, request.params.subscriptionId)
      const removed = await deleteSubscription(
        runtime.db,
        request.params.instanceId,
        request.params.subscriptionId,
      )
      if (!removed) throw notFound('Active subscription', request.params.subscriptionId)
      return toOut(removed)
    },
  })
}

import type { z } from 'zod'
import { AppError } from '../../errors.js'
import { assertTriggerReferences, type EventType, triggerOf } from '../../events/index.js'
import { newId } from '../../ids.js'
import { type OutboundGuard, OutboundRefused } from '../../outbound/index.js'
import type { DbOrTx } from '../../store/database.js'
import { cancelPendingDeliveries } from '../../store/deliveries.js'
import { getInstance } from '../../store/instances.js'
import { insertSubscription, removeSubscription, type Subscription } from '../../store/subscriptions.js'
import { generateSigningSecret } from './standard-webhooks.js'

/**
 * Checks a callback URL with the outbound guard: absolute http(s), to an address deliveries may
 * reach (a host name's current addresses too; each delivery checks them again as it connects).
 */
export async function validateCallbackUrl(url: string, outbound: OutboundGuard): Promise<string> {
  try {
    return (await outbound.checkUrlNow(url, 'callbackUrl')).toString()
  } catch (error) {
    if (error instanceof OutboundRefused && error.code === 'InvalidUrl')
      throw new AppError('InvalidCallbackUrl', error.message, { target: 'callbackUrl' })
    throw error
  }
}

/** Subscribes a callback URL to one trigger of an instance, with the trigger's parameters validated. */
export async function createSubscription(
  db: DbOrTx,
  outbound: OutboundGuard,
  request: {
    instanceId: string
    eventType: EventType
    callbackUrl: string
    parameters: Record<string, unknown>
    description?: string | undefined
    createdByKey?: string | undefined
  },
): Promise<Subscription> {
  if (!(await getInstance(db, request.instanceId))) {
    throw new AppError('NotFound', `Instance '${request.instanceId}' does not exist`, {
      target: request.instanceId,
    })
  }
  const schema = triggerOf(request.eventType)?.parameters as z.ZodType<Record<string, unknown>>
  const parsed = schema.safeParse(request.parameters)
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue
    const path =
      issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : 'parameters')
    throw new AppError('InvalidParameters', `${request.eventType}: ${path}: ${issue.message}`, {
      target: path,
    })
  }
  await assertTriggerReferences(db, request.instanceId, request.eventType, parsed.data)
  return insertSubscription(db, {
    id: newId(),
    instanceId: request.instanceId,
    eventType: request.eventType,
    callbackUrl: await validateCallbackUrl(request.callbackUrl, outbound),
    parameters: parsed.data,
    secret: generateSigningSecret(),
    description: request.description ?? null,
    createdByKey: request.createdByKey ?? null,
  })
}

/** Unsubscribes: no new deliveries, and pending ones are cancelled. */
export async function deleteSubscription(
  db: DbOrTx,
  instanceId: string,
  id: string,
): Promise<Subscription | undefined> {
  const removed = await removeSubscription(db, instanceId, id, 'unsubscribed')
  if (removed) await cancelPendingDeliveries(db, id, 'unsubscribed')
  return removed
}

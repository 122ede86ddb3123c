import type { StoredEvent } from '../../store/events.js'

/**
 * What a receiver gets: the Standard Webhooks shape (`type`, `timestamp`, `data`) plus the ids a
 * flow may need. Power Automate shows these fields as the trigger's dynamic content.
 */
export interface WebhookPayload {
  type: string
  timestamp: string
  id: string
  instanceId: string
  subscriptionId: string
  data: Record<string, unknown>
}

export function webhookPayload(event: StoredEvent, subscriptionId: string): WebhookPayload {
  return {
    type: event.type,
    timestamp: event.occurredAt,
    id: event.id,
    instanceId: event.instanceId,
    subscriptionId,
    data: event.data,
  }
}

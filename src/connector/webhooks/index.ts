export {
  type AttemptOutcome,
  attemptDeliveries,
  attemptDelivery,
  type DeliveryContext,
  enqueueDeliveries,
} from './deliver.js'
export { nextAttemptDelaySeconds, parseRetryAfter } from './retry-schedule.js'
export { generateSigningSecret, signatureHeaders } from './standard-webhooks.js'
export { createSubscription, deleteSubscription, validateCallbackUrl } from './subscription-service.js'
export { matchesSubscription, TRIGGER_PARAMETERS } from './trigger-parameters.js'
export { type WebhookPayload, webhookPayload } from './webhook-payload.js'
export { webhookSubscriber } from './webhook-subscriber.js'

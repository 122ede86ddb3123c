import { ActionFailure } from '../engine/action-failure.js'
import type { ActionContext } from './action-context.js'
import { readBody, retryAfterMs } from './http-action.js'
import { checkOutboundUrl, outboundRequest } from './outbound-url.js'

export interface TeamsInputs {
  webhookUrl: string
  text?: string
  title?: string
  card?: unknown
}

/** An Adaptive Card of a title and text, when the flow gives no card of its own. */
export function textCard(title: string | undefined, text: string): Record<string, unknown> {
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body: [
      ...(title ? [{ type: 'TextBlock', text: title, weight: 'Bolder', size: 'Medium', wrap: true }] : []),
      { type: 'TextBlock', text, wrap: true },
    ],
  }
}

/** Teams takes about 28 KB per message through an incoming webhook. */
const MAX_BYTES = 28 * 1024

/**
 * Posts an Adaptive Card to a Teams incoming-webhook or Workflows URL, in the envelope both take.
 * Old incoming webhooks answer 200 with body "1" — and sometimes 200 with an error, or "HTTP
 * error 429", in the body — so a 2xx whose text reads as an error fails (429 is retried);
 * Workflows URLs answer 202.
 */
export async function postTeamsMessage(inputs: TeamsInputs, context: ActionContext): Promise<unknown> {
  const url = checkOutboundUrl(String(inputs.webhookUrl), context.outbound)
  if (!inputs.card && !inputs.text) throw new ActionFailure('NothingToPost', 'give text or a card')
  const card = inputs.card ?? textCard(inputs.title, String(inputs.text))
  const payload = JSON.stringify({
    type: 'message',
    attachments: [
      { contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card },
    ],
  })
  if (Buffer.byteLength(payload) > MAX_BYTES)
    throw new ActionFailure(
      'MessageTooLarge',
      `the message is ${Buffer.byteLength(payload)} bytes; Teams takes at most ${MAX_BYTES}`,
    )
  const response = await outboundRequest(
    url,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: payload,
      signal: context.signal,
    },
    context.outbound,
  ).catch((error: unknown) => {
    if (error instanceof ActionFailure && error.code === 'Timeout')
      throw new ActionFailure('Timeout', 'Teams did not answer in time', { timedOut: true, retryable: true })
    throw error
  })
  const body = readBody(response)
  const outputs = { statusCode: response.status, body }
  const text = typeof body === 'string' ? body.trim() : ''
  const throttled = response.status === 429 || /HTTP error 429/i.test(text)
  if (throttled)
    throw new ActionFailure('Throttled', 'Teams is throttling this webhook (about 4 messages a second)', {
      retryable: true,
      retryAfterMs: retryAfterMs(response.headers['retry-after'] ?? null) ?? 1000,
      outputs,
    })
  // A 2xx whose text reads as an error (the old webhooks' way of refusing a card) is a failure.
  const refused = /error|required|invalid|failed|not supported/i.test(text)
  if (response.status >= 200 && response.status < 300 && !refused) return outputs
  throw new ActionFailure(
    response.status >= 300 ? `Http${response.status}` : 'TeamsRejected',
    `Teams answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
    { retryable: response.status >= 500 || response.status === 408, outputs },
  )
}

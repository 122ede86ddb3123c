import { createHmac, randomBytes } from 'node:crypto'

/** A Standard Webhooks signing secret: "whsec_" + base64 of 24 random bytes. */
export function generateSigningSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`
}

/**
 * The three headers of a signed delivery per the Standard Webhooks specification: the id, the
 * Unix timestamp in seconds, and `v1,` + base64 HMAC-SHA256 of "id.timestamp.body" keyed with
 * the secret's bytes.
 */
export function signatureHeaders(
  secret: string,
  id: string,
  body: string,
  timestampSeconds = Math.floor(Date.now() / 1000),
): { 'webhook-id': string; 'webhook-timestamp': string; 'webhook-signature': string } {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64')
  const signature = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': `v1,${signature}`,
  }
}

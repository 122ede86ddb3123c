import { isIP } from 'node:net'
import nodemailer from 'nodemailer'
import { z } from 'zod'
import { judgeAddress, type OutboundGuard, OutboundRefused, PUBLIC_ONLY } from '../../outbound/index.js'
import { ActionFailure } from '../engine/action-failure.js'
import type { ActionContext } from './action-context.js'

/** An instance's SMTP server, kept as the sealed secret 'smtp'. */
export const smtpSettingsSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587),
    secure: z
      .boolean()
      .default(false)
      .describe('TLS from the start (port 465); otherwise STARTTLS when offered'),
    user: z.string().optional(),
    password: z.string().optional(),
    from: z.string().min(3).describe('The sender, e.g. "Open Insights <insights@contoso.com>"'),
  })
  .strict()
export type SmtpSettings = z.infer<typeof smtpSettingsSchema>

const list = (v: string | string[] | undefined) =>
  (Array.isArray(v) ? v : (v ?? '').split(/[;,]/)).map((a) => a.trim()).filter(Boolean)

/** Sends one email (HTML body) through the instance's SMTP server. */
export async function sendEmail(
  inputs: { to: string | string[]; cc?: string | string[]; subject: string; body: string },
  context: ActionContext,
): Promise<unknown> {
  const stored = context.secret('smtp')
  if (!stored)
    throw new ActionFailure(
      'NoSmtpServer',
      "this instance has no SMTP server; set one with 'openinsights smtp set' or in Settings",
    )
  return sendThroughSmtp(smtpSettingsSchema.parse(JSON.parse(stored)), inputs, context.outbound)
}

/**
 * Sends one email through an SMTP server, reaching it only at an address the outbound guard
 * allows: the email action's way, and the Settings page's test mail.
 */
export async function sendThroughSmtp(
  smtp: SmtpSettings,
  inputs: { to: string | string[]; cc?: string | string[]; subject: string; body: string },
  outbound: Pick<OutboundGuard, 'allowedAddresses'>,
): Promise<{ messageId: string; accepted: unknown; rejected: unknown }> {
  const to = list(inputs.to)
  if (to.length === 0) throw new ActionFailure('NoRecipients', 'to is empty')
  // Connect to an address the outbound guard allows (nodemailer would resolve the name itself).
  let address: string
  try {
    ;[address] = (await outbound.allowedAddresses(smtp.host, 'smtp.host')) as [string]
  } catch (error) {
    if (error instanceof OutboundRefused)
      throw new ActionFailure(error.code, `SMTP server: ${error.message}`, { retryable: error.retryable })
    throw error
  }
  const internal = !judgeAddress(address, PUBLIC_ONLY).allowed
  const transport = nodemailer.createTransport({
    host: address,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    // Certificates name the host, not its address. Internal relays (an address the admin
    // allowed beyond the public internet) often present self-signed ones.
    tls: { ...(isIP(smtp.host) ? {} : { servername: smtp.host }), rejectUnauthorized: !internal },
  })
  try {
    const sent = await transport.sendMail({
      from: smtp.from,
      to,
      cc: list(inputs.cc),
      subject: String(inputs.subject),
      html: String(inputs.body),
    })
    return { messageId: sent.messageId, accepted: sent.accepted, rejected: sent.rejected }
  } catch (error) {
    const e = error as Error & { responseCode?: number; code?: string }
    // 4xx SMTP replies and connection trouble are transient; 5xx are not.
    const transient =
      (e.responseCode !== undefined && e.responseCode < 500) ||
      ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ECONNREFUSED'].includes(e.code ?? '')
    throw new ActionFailure(e.responseCode ? `Smtp${e.responseCode}` : 'SmtpFailed', e.message, {
      retryable: transient,
    })
  } finally {
    transport.close()
  }
}

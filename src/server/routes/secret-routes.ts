import { z } from 'zod'
import { AppError, notFound } from '../../errors.js'
import { ActionFailure, type SmtpSettings, sendThroughSmtp, smtpSettingsSchema } from '../../flows/index.js'
import type { Runtime } from '../../runtime/index.js'
import { getInstance } from '../../store/instances.js'
import { deleteSecret, listSecretNames, putSecret, sealedSecrets } from '../../store/secrets.js'
import { type ApiApp, errorResponses, instanceParams } from '../api-types.js'

const secretParams = instanceParams.extend({ name: z.string().min(1).max(100) })

/** The instance's secrets (sealed, never shown back) and its SMTP server, which is one of them. */
export function registerSecretRoutes(app: ApiApp, runtime: Runtime): void {
  const base = '/api/v1/instances/:instanceId'
  const instanceOrThrow = async (instanceId: string) => {
    if (!(await getInstance(runtime.db, instanceId))) throw notFound('Instance', instanceId)
  }
  const storedSmtp = async (instanceId: string): Promise<SmtpSettings | undefined> => {
    const sealed = (await sealedSecrets(runtime.db, instanceId)).smtp
    return sealed ? smtpSettingsSchema.parse(JSON.parse(runtime.secrets.open(sealed))) : undefined
  }

  app.get(
    '/api/v1/settings/outbound',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Where webhooks and flow actions may call',
        description:
          'The outbound guard every webhook delivery, flow HTTP action and SMTP connection passes: public addresses, plus what OPENINSIGHTS_OUTBOUND_ALLOW opens (private ranges, CIDR ranges). Set on the server, not here.',
        tags: ['secrets'],
        response: {
          200: z.object({
            publicAddresses: z.literal(true),
            privateAddresses: z.boolean(),
            ranges: z.array(z.string()),
            setting: z.literal('OPENINSIGHTS_OUTBOUND_ALLOW'),
          }),
          ...errorResponses,
        },
      },
    },
    async () => ({
      publicAddresses: true as const,
      privateAddresses: runtime.outbound.policy.allowPrivate,
      ranges: runtime.outbound.policy.allowRanges.map(([address, bits]) => `${address.toString()}/${bits}`),
      setting: 'OPENINSIGHTS_OUTBOUND_ALLOW' as const,
    }),
  )

  app.post(
    `${base}/settings/smtp/test`,
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Send a test mail through the SMTP server',
        description: "Sends a short mail to the address given, as a flow's email.send would.",
        tags: ['secrets'],
        params: instanceParams,
        body: z.object({ to: z.string().min(3).max(500) }),
        response: {
          200: z.object({
            messageId: z.string(),
            accepted: z.array(z.string()),
            rejected: z.array(z.string()),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { instanceId } = request.params
      await instanceOrThrow(instanceId)
      const smtp = await storedSmtp(instanceId)
      if (!smtp) throw notFound('SMTP setting', 'smtp')
      try {
        const sent = await sendThroughSmtp(
          smtp,
          {
            to: request.body.to,
            subject: 'openinsights: test mail',
            body: `<p>This is a test mail from openinsights (instance ${instanceId}). Flows that send email will use this server.</p>`,
          },
          runtime.outbound,
        )
        return {
          messageId: sent.messageId,
          accepted: (sent.accepted as unknown[]).map(String),
          rejected: (sent.rejected as unknown[]).map(String),
        }
      } catch (error) {
        if (error instanceof ActionFailure)
          throw new AppError('SmtpFailed', `the SMTP server: ${error.code}: ${error.message}`, {
            target: 'smtp.host',
          })
        throw error
      }
    },
  )

  app.put(
    `${base}/settings/smtp`,
    {
      config: { scope: 'admin' },
      schema: {
        summary: "Set the instance's SMTP server",
        description:
          'Used by email.send; stored sealed, the password is never shown again. A password left out (or "***", as GET shows it) keeps the stored one.',
        tags: ['secrets'],
        params: instanceParams,
        body: smtpSettingsSchema,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await instanceOrThrow(request.params.instanceId)
      const settings = { ...request.body }
      if (settings.password === undefined || settings.password === '***') {
        const previous = await storedSmtp(request.params.instanceId)
        if (previous?.password && previous.user === settings.user) settings.password = previous.password
        else delete settings.password
      }
      await putSecret(
        runtime.db,
        request.params.instanceId,
        'smtp',
        runtime.secrets.seal(JSON.stringify(settings)),
      )
      return reply.status(204).send(null)
    },
  )
  app.get(
    `${base}/settings/smtp`,
    {
      config: { scope: 'admin' },
      schema: {
        summary: "Get the instance's SMTP server (without the password)",
        tags: ['secrets'],
        params: instanceParams,
        response: {
          200: smtpSettingsSchema.omit({ password: true }).extend({ password: z.literal('***').optional() }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const sealed = (await sealedSecrets(runtime.db, request.params.instanceId)).smtp
      if (!sealed) throw notFound('SMTP setting', 'smtp')
      const { password, ...rest } = smtpSettingsSchema.parse(JSON.parse(runtime.secrets.open(sealed)))
      return { ...rest, ...(password ? { password: '***' as const } : {}) }
    },
  )
  app.get(
    `${base}/secrets`,
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'List secret names',
        description: 'Values are never shown.',
        tags: ['secrets'],
        params: instanceParams,
        response: {
          200: z.object({ value: z.array(z.object({ name: z.string(), updatedAt: z.string() })) }),
          ...errorResponses,
        },
      },
    },
    async (request) => ({ value: await listSecretNames(runtime.db, request.params.instanceId) }),
  )
  app.put(
    `${base}/secrets/:name`,
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Set a secret',
        description: "Flows read it with secret('name').",
        tags: ['secrets'],
        params: secretParams,
        body: z.object({ value: z.string().min(1).max(10_000) }),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await instanceOrThrow(request.params.instanceId)
      await putSecret(
        runtime.db,
        request.params.instanceId,
        request.params.name,
        runtime.secrets.seal(request.body.value),
      )
      return reply.status(204).send(null)
    },
  )
  app.delete(
    `${base}/secrets/:name`,
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Delete a secret',
        tags: ['secrets'],
        params: secretParams,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!(await deleteSecret(runtime.db, request.params.instanceId, request.params.name)))
        throw notFound('Secret', request.params.name)
      return reply.status(204).send(null)
    },
  )
}

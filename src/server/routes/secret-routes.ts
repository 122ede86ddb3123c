import { z } from 'zod'
import { notFound } from '../../errors.js'
import { smtpSettingsSchema } from '../../flows/index.js'
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

  app.put(
    `${base}/settings/smtp`,
    {
      config: { scope: 'admin' },
      schema: {
        summary: "Set the instance's SMTP server",
        description: 'Used by email.send; stored sealed, the password is never shown again.',
        tags: ['secrets'],
        params: instanceParams,
        body: smtpSettingsSchema,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await instanceOrThrow(request.params.instanceId)
      await putSecret(
        runtime.db,
        request.params.instanceId,
        'smtp',
        runtime.secrets.seal(JSON.stringify(request.body)),
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

import type { FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppError } from '../../errors.js'
import type { Runtime } from '../../runtime/index.js'
import { type ApiApp, errorResponses } from '../api-types.js'
import {
  SESSION_COOKIE,
  SESSION_DAYS,
  sessionUser,
  setUpAdmin,
  setupNeeded,
  signIn,
  signOut,
} from '../web-admin/index.js'
import { SignInThrottle } from '../web-admin/sign-in-throttle.js'

const userSchema = z.object({ username: z.string() })
const sessionSchema = z.object({
  user: userSchema.nullable().describe('Who is signed in; null when nobody is'),
  setupNeeded: z.boolean().describe('No admin account yet: open the setup link `openinsights start` printed'),
})
const credentials = z.object({
  username: z
    .string()
    .trim()
    .min(1, 'give a user name')
    .max(100)
    .regex(/^[\w.@+-]+$/, 'use letters, digits and . @ + - _ only'),
  password: z.string().min(10, 'use at least 10 characters').max(200),
})

/** Sign-in to the web UI: a person with a session cookie, separate from connector API keys. */
export function registerWebSessionRoutes(app: ApiApp, runtime: Runtime): void {
  const throttle = new SignInThrottle(runtime.db)
  const prune = setInterval(() => void throttle.prune().catch(() => {}), 3_600_000)
  prune.unref()
  app.addHook('onClose', async () => clearInterval(prune))
  const setCookie = (request: FastifyRequest, reply: FastifyReply, value: string) =>
    reply.setCookie(SESSION_COOKIE, value, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: request.protocol === 'https',
      maxAge: SESSION_DAYS * 86400,
    })

  app.get(
    '/api/v1/web/session',
    {
      config: { public: true },
      schema: {
        summary: 'Who is signed in to the web UI',
        tags: ['web'],
        response: { 200: sessionSchema },
      },
    },
    async (request) => {
      const user = await sessionUser(runtime.db, request.cookies[SESSION_COOKIE])
      return {
        user: user ? { username: user.username } : null,
        setupNeeded: user ? false : await setupNeeded(runtime.db),
      }
    },
  )

  app.post(
    '/api/v1/web/setup',
    {
      config: { public: true },
      schema: {
        summary: 'Create the admin account with the one-time setup link',
        tags: ['web'],
        body: credentials.extend({ token: z.string().min(1, 'the setup link has a token after #token=') }),
        response: { 200: sessionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { session, user } = await setUpAdmin(runtime.db, request.body)
      setCookie(request, reply, session)
      return { user: { username: user.username }, setupNeeded: false }
    },
  )

  app.post(
    '/api/v1/web/login',
    {
      config: { public: true },
      schema: {
        summary: 'Sign in to the web UI',
        tags: ['web'],
        body: z.object({ username: z.string().trim().min(1), password: z.string().min(1) }),
        response: { 200: sessionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { username } = request.body
      try {
        await throttle.admit(username, request.ip)
      } catch (error) {
        const details = (error as AppError).details as { retryAfterSeconds?: number } | undefined
        if (details?.retryAfterSeconds) void reply.header('Retry-After', String(details.retryAfterSeconds))
        throw error
      }
      const { session, user } = await signIn(runtime.db, request.body)
      await throttle.succeeded(username, request.ip)
      setCookie(request, reply, session)
      return { user: { username: user.username }, setupNeeded: false }
    },
  )

  app.post(
    '/api/v1/web/logout',
    {
      config: { public: true },
      schema: { summary: 'Sign out of the web UI', tags: ['web'], response: { 200: sessionSchema } },
    },
    async (request, reply) => {
      await signOut(runtime.db, request.cookies[SESSION_COOKIE])
      void reply.clearCookie(SESSION_COOKIE, { path: '/' })
      return { user: null, setupNeeded: await setupNeeded(runtime.db) }
    },
  )
}

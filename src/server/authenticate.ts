import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../errors.js'
import { type ApiKey, findActiveApiKeyByHash, touchApiKey } from '../store/api-keys.js'
import type { Db } from '../store/database.js'
import { hashKey } from './auth/key-material.js'
import type { ConnectionRateLimiter } from './auth/rate-limiter.js'
import { hasScope, type Scope } from './auth/scopes.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a route needs; routes that name none need `admin`. */
    scope?: Scope
    /** Open to anyone: health, docs, the JSON schema. */
    public?: boolean
  }
  interface FastifyRequest {
    /** The connection that made the call (set by authentication; for a web session, a stand-in). */
    apiKey?: ApiKey
    /** The person at the web UI who made the call, when it came with a session cookie. */
    webUser?: { id: string; username: string }
  }
}

export interface AuthenticationOptions {
  db: Db
  /** The web UI's signed-in person behind a request's session cookie, if any. */
  sessionUser?: (request: FastifyRequest) => Promise<{ id: string; username: string } | undefined>
  rateLimiter: ConnectionRateLimiter
  /** Calls per window for keys without their own limit. */
  defaultRateLimit: number
}

/** The key a request carries, as `x-api-key: KEY` or `Authorization: Bearer KEY`. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key']
  if (typeof header === 'string' && header.trim()) return header.trim()
  const authorization = request.headers.authorization
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
    if (match) return match[1]
  }
  return undefined
}

/**
 * Authenticates every non-public route by key, checks the route's scope, then counts the call
 * against the connection's rate limit. Secure by default: a route without a scope needs admin.
 */
export function authenticate(options: AuthenticationOptions) {
  const touchedAt = new Map<string, number>()
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const config = request.routeOptions.config
    if (config.public || request.routeOptions.url === undefined) return
    const key = presentedKey(request)
    if (!key && options.sessionUser) {
      const user = await options.sessionUser(request)
      if (user) {
        // A person at the web UI acts as an admin; they are not a connection (no rate limit).
        // A cookie rides along on any request a browser makes, so changes must carry a header
        // that only our own pages send (a cross-site form cannot; a cross-site script would need CORS).
        if (
          !['GET', 'HEAD', 'OPTIONS'].includes(request.method) &&
          request.headers['x-openinsights-ui'] !== '1'
        )
          throw new AppError(
            'Forbidden',
            'a change made with a session cookie needs the header x-openinsights-ui: 1',
            {
              target: 'x-openinsights-ui',
            },
          )
        request.webUser = user
        request.apiKey = {
          id: `web:${user.id}`,
          name: `web UI (${user.username})`,
          prefix: 'web',
          scopes: ['admin'],
          rateLimit: 0,
          createdAt: new Date(0).toISOString(),
          lastUsedAt: null,
          revokedAt: null,
        }
        return
      }
    }
    if (!key) {
      throw new AppError(
        'Unauthorized',
        'this call needs an API key: send it as `x-api-key: KEY` or `Authorization: Bearer KEY` (create one with `openinsights keys create --name NAME`)',
        { target: 'x-api-key' },
      )
    }
    const apiKey = await findActiveApiKeyByHash(options.db, hashKey(key))
    if (!apiKey) {
      throw new AppError('Unauthorized', 'the API key is not valid or was revoked', {
        target: 'x-api-key',
      })
    }
    const needed = config.scope ?? 'admin'
    if (!hasScope(apiKey.scopes, needed)) {
      throw new AppError(
        'Forbidden',
        `key '${apiKey.name}' has scopes ${apiKey.scopes.join(', ')}; this call needs '${needed}'`,
        { target: 'scope' },
      )
    }
    request.apiKey = apiKey
    if ((touchedAt.get(apiKey.id) ?? 0) < Date.now() - 60_000) {
      touchedAt.set(apiKey.id, Date.now())
      void touchApiKey(options.db, apiKey.id).catch(() => {})
    }

    const limit = apiKey.rateLimit ?? options.defaultRateLimit
    if (limit === 0) return
    const decision = await options.rateLimiter.consume(apiKey.id, limit)
    void reply.header('RateLimit-Policy', `"per-connection";q=${decision.limit};w=${decision.windowSeconds}`)
    void reply.header('RateLimit', `"per-connection";r=${decision.remaining};t=${decision.resetSeconds}`)
    if (!decision.allowed) {
      void reply.header('Retry-After', String(decision.resetSeconds))
      throw new AppError(
        'TooManyRequests',
        `connection '${apiKey.name}' made ${decision.limit} calls in ${decision.windowSeconds} s, its limit; retry after ${decision.resetSeconds} s`,
        { target: 'x-api-key' },
      )
    }
  }
}

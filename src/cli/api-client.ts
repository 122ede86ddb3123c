import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../errors.js'
import { isProcessAlive } from '../process-alive.js'
import type { Runtime, Settings } from '../runtime/index.js'
import { ensureLocalAdminKey, readLocalAdminKey } from '../server/auth/api-key-service.js'
import type { ApiApp } from '../server/index.js'

type Query = Record<string, string | number | boolean | undefined>

/** The CLI's way to the API: HTTP to a running server, or the same API in-process. */
export interface ApiClient {
  /** Where requests go, for messages. */
  readonly target: string
  request<T>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    options?: { query?: Query; body?: unknown; accept?: string },
  ): Promise<T>
  close(): Promise<void>
}

/** What a running server leaves in `$OPENINSIGHTS_HOME` so the CLI can find it. */
export interface ServerInfo {
  url: string
  pid: number
  startedAt: string
}

export const serverInfoFile = (home: string) => join(home, 'server.json')

export function writeServerInfo(home: string, info: ServerInfo): () => void {
  const file = serverInfoFile(home)
  mkdirSync(home, { recursive: true })
  writeFileSync(file, `${JSON.stringify(info, null, 2)}\n`)
  return () => {
    // Only remove it if it is still ours.
    if (readServerInfo(home)?.pid === info.pid) rmSync(file, { force: true })
  }
}

function readServerInfo(home: string): ServerInfo | undefined {
  const file = serverInfoFile(home)
  if (!existsSync(file)) return undefined
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ServerInfo
  } catch {
    return undefined
  }
}

/**
 * Connects to the server named by `--server`/`OPENINSIGHTS_SERVER`, or to the one running on
 * this home, or else opens the store in-process (with workers when the command needs jobs run).
 */
export async function connectApi(
  settings: Settings,
  options: { server?: string; needsWorkers?: boolean },
): Promise<ApiClient> {
  const explicit = options.server ?? process.env.OPENINSIGHTS_SERVER
  const key = process.env.OPENINSIGHTS_API_KEY || readLocalAdminKey(settings.home)
  if (explicit) return httpClient(explicit.replace(/\/$/, ''), key)
  const info = readServerInfo(settings.home)
  if (info && isProcessAlive(info.pid)) {
    const client = httpClient(info.url, key)
    try {
      await client.request('GET', '/api/v1/health')
      return client
    } catch (error) {
      throw new AppError(
        'ServerNotAnswering',
        `the server of ${settings.home} (pid ${info.pid}, ${info.url}) does not answer: ${(error as Error).message}; stop it or remove ${serverInfoFile(settings.home)}`,
        { target: info.url },
      )
    }
  }
  // Loaded only here: the runtime (DuckDB, PGlite, pg-boss) costs half a second to import.
  const { createLogger, openRuntime } = await import('../runtime/index.js')
  const runtime = await openRuntime({
    settings,
    role: options.needsWorkers ? 'all' : 'api',
    // A short-lived CLI process runs the work it asked for, not the cron ticks of a server.
    schedules: false,
    // Few pollers: a busy machine must not keep this process from ending.
    flowConcurrency: 1,
    logger: createLogger(process.env.OPENINSIGHTS_LOG_LEVEL ? undefined : 'warn'),
  })
  return inProcessClient(runtime)
}

/** A client of the API served in-process over an opened runtime, as this home's local admin. */
export async function inProcessClient(runtime: Runtime): Promise<ApiClient> {
  const { buildApp } = await import('../server/index.js')
  const app = await buildApp(runtime)
  const key = await ensureLocalAdminKey(runtime.db, runtime.settings.home)
  return injectClient(app, key, `the store in ${runtime.settings.home} (no server running)`, async () => {
    await app.close()
    await runtime.close()
  })
}

function withQuery(path: string, query?: Query): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value))
  const text = params.toString()
  return text ? `${path}?${text}` : path
}

/** An error the server answered with: its code (the server's, or Http<status>), message and target. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly target?: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

function parseResponse<T>(status: number, contentType: string | undefined, text: string): T {
  const isJson = contentType?.includes('json') ?? false
  const body = isJson && text ? (JSON.parse(text) as unknown) : text
  if (status >= 400) {
    const error = (body as { error?: { code: string; message: string; target?: string } }).error
    throw new ApiError(
      error?.code ?? `Http${status}`,
      error?.message ?? String(text).slice(0, 300),
      status,
      error?.target,
    )
  }
  return body as T
}

export function httpClient(baseUrl: string, apiKey?: string): ApiClient {
  return {
    target: baseUrl,
    async request<T>(
      method: string,
      path: string,
      options: { query?: Query; body?: unknown; accept?: string } = {},
    ) {
      let response: Response
      try {
        response = await fetch(baseUrl + withQuery(path, options.query), {
          method,
          headers: {
            accept: options.accept ?? 'application/json',
            ...(apiKey ? { 'x-api-key': apiKey } : {}),
            ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
          signal: AbortSignal.timeout(30_000),
        })
      } catch (error) {
        throw new AppError('ServerUnreachable', `cannot reach ${baseUrl}: ${(error as Error).message}`, {
          target: baseUrl,
        })
      }
      return parseResponse<T>(
        response.status,
        response.headers.get('content-type') ?? undefined,
        await response.text(),
      )
    },
    async close() {},
  }
}

/** The API served by `app.inject`, without a port: one implementation for both ways. */
export function injectClient(
  app: ApiApp,
  apiKey: string,
  target: string,
  onClose: () => Promise<void> = async () => {},
): ApiClient {
  return {
    target,
    async request<T>(
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      path: string,
      options: { query?: Query; body?: unknown; accept?: string } = {},
    ) {
      const response = await app.inject({
        method,
        url: withQuery(path, options.query),
        headers: { accept: options.accept ?? 'application/json', 'x-api-key': apiKey },
        ...(options.body === undefined ? {} : { payload: options.body as object }),
      })
      return parseResponse<T>(
        response.statusCode,
        response.headers['content-type'] as string | undefined,
        response.body,
      )
    },
    close: onClose,
  }
}

/** The API as the signed-in person calls it: session cookie, JSON, OData-style errors. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target?: string,
  ) {
    super(message)
  }
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const method = init.method ?? 'GET'
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      // Changes made with the session cookie carry this header (the server refuses them otherwise).
      ...(method === 'GET' ? {} : { 'x-openinsights-ui': '1' }),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  })
  if (response.status === 204) return undefined as T
  const text = await response.text()
  let body: unknown
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {
    body = text
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string; target?: string } })?.error
    if (response.status === 401 && !path.startsWith('/api/v1/web/'))
      window.dispatchEvent(new CustomEvent('openinsights:signed-out'))
    throw new ApiError(
      response.status,
      error?.code ?? `Http${response.status}`,
      error?.message ?? `${method} ${path} answered ${response.status}`,
      error?.target,
    )
  }
  return body as T
}

/** Sends a file as the request body (an upload), with the session and the UI header. */
export async function upload<T>(path: string, file: Blob): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      'x-openinsights-ui': '1',
      'content-type': 'application/octet-stream',
    },
    body: file,
  })
  const body = (await response.json().catch(() => undefined)) as
    | { error?: { code?: string; message?: string; target?: string } }
    | undefined
  if (!response.ok)
    throw new ApiError(
      response.status,
      body?.error?.code ?? `Http${response.status}`,
      body?.error?.message ?? `POST ${path} answered ${response.status}`,
      body?.error?.target,
    )
  return body as T
}

/** A path with query parameters (undefined ones left out). */
export function withQuery(
  path: string,
  query: Record<string, string | number | boolean | undefined>,
): string {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v))
  const text = params.toString()
  return text ? `${path}?${text}` : path
}

export const instancePath = (instanceId: string, rest = '') =>
  `/api/v1/instances/${encodeURIComponent(instanceId)}${rest}`

export interface Session {
  user: { username: string } | null
  setupNeeded: boolean
}

export interface Refresh {
  id: string
  dataSourceName: string
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'
  attempt: number
  requestedAt: string
  startedAt: string | null
  completedAt: string | null
  durationMs: number | null
  progress: { phase: string; fraction: number | null } | null
  rowCount: number | null
  rejectedRowCount: number | null
  error: { code: string; message: string } | null
  /** How a CSV file was read, and which settings were detected. */
  dialect?: Record<string, unknown> | null
}

export interface DataSource {
  name: string
  kind: string
  primaryKey: string | null
  options: Record<string, unknown>
  lastRefresh: Refresh | null
  /** Its own refresh schedule, if any. */
  schedule?: { cron: string; timezone: string } | null
  /** Rows of the data published now: kept when a later refresh failed. */
  publishedRowCount: number | null
}

export interface StoredEvent {
  id: string
  type: string
  instanceId: string
  occurredAt: string
  data: Record<string, unknown>
  /** One readable line, written by the server. */
  summary: string
}

export interface FlowRun {
  id: string
  flowName: string
  eventId: string | null
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'
  rerunOf: string | null
  rerunFrom: string | null
  requestedAt: string
  startedAt: string | null
  completedAt: string | null
  durationMs: number | null
  error: { code: string; message: string } | null
}

export interface ActionRecord {
  path: string
  name: string
  type: string
  status: 'Succeeded' | 'Failed' | 'Skipped' | 'TimedOut'
  inputs: unknown
  outputs: unknown
  error: { code: string; message: string } | null
  attempts: number
  startedAt: string
  completedAt: string
  durationMs: number
}

export interface StoredFlow {
  name: string
  enabled: boolean
  origin: string
  definition: Record<string, unknown>
  createdAt: string
  updatedAt: string
}

export interface Entity {
  name: string
  origin: string
  rowCount: number
  schema: { name: string; type: string }[]
  keyColumn: string | null
  writable: boolean
  updatedAt: string
}

/** The connector's six trigger events, as the outbox stores them and subscribers receive them. */
export const EVENT_TYPES = [
  'datasource.refresh.failed',
  'datasource.refresh.succeeded',
  'segment.threshold.crossed',
  'measure.threshold.crossed',
  'refresh.full.completed',
  'unify.completed',
] as const

export type EventType = (typeof EVENT_TYPES)[number]

/** Payload of `datasource.refresh.succeeded` and `datasource.refresh.failed`. */
export interface DataSourceRefreshEventData {
  instanceId: string
  dataSourceName: string
  refreshId: string
  startedAt: string
  completedAt: string
  rowCount: number | null
  rejectedRowCount: number | null
  error: { code: string; message: string } | null
}

/** Payload by event type; types whose producers arrive with later features carry open records for now. */
export interface EventDataByType {
  'datasource.refresh.failed': DataSourceRefreshEventData
  'datasource.refresh.succeeded': DataSourceRefreshEventData
  'segment.threshold.crossed': Record<string, unknown>
  'measure.threshold.crossed': Record<string, unknown>
  'refresh.full.completed': Record<string, unknown>
  'unify.completed': Record<string, unknown>
}

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value)
}

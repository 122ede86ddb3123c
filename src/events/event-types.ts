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

/** Every event the outbox stores: the connector's triggers, and our own. */
export const STORED_EVENT_TYPES = [...EVENT_TYPES, 'flow.run.failed'] as const
export type StoredEventType = (typeof STORED_EVENT_TYPES)[number]

/** Payload of `flow.run.failed`: a run of a flow ended as failed. */
export interface FlowRunFailedEventData {
  instanceId: string
  flowName: string
  runId: string
  /** The event that started the run, if any. */
  eventId: string | null
  /** The first action that failed (its path in the run), if any. */
  failedAction: string | null
  error: { code: string; message: string }
  completedAt: string
}

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

/**
 * Payload of `segment.threshold.crossed` and `measure.threshold.crossed`. One event is appended
 * per threshold that some subscription or flow watches, when the value moves across it.
 */
export interface ThresholdCrossedEventData {
  instanceId: string
  /** The segment's or the measure's name. */
  name: string
  /** The dimension value of a dimensional measure (e.g. the country); null otherwise. */
  dimension: string | null
  threshold: number
  /** up: from below the threshold to at or above it; down: from at or above to below. */
  direction: 'up' | 'down'
  previousValue: number | null
  value: number
  refreshId: string | null
}

/** Payload of `unify.completed`: a unification run ended, successfully or not. */
export interface UnifyCompletedEventData {
  instanceId: string
  unifyRunId: string
  status: 'succeeded' | 'failed'
  sourceRecords: number | null
  unifiedProfiles: number | null
  matchPairs: number | null
  durationMs: number
  completedAt: string
  /** Data sources of the instance that no unify mapping covers (reported, not silently skipped). */
  unmappedSources: string[]
  error: { code: string; message: string } | null
}

/** One step of a full refresh as `refresh.full.completed` reports it. */
export interface FullRefreshStepSummary {
  name: string
  kind: 'source' | 'unify' | 'insights'
  status: 'succeeded' | 'failed' | 'skipped' | 'cancelled'
  durationMs: number | null
  counts: Record<string, number> | null
  error: { code: string; message: string } | null
}

/** Payload of `refresh.full.completed`: sources → unify → measures and segments ended. */
export interface FullRefreshCompletedEventData {
  instanceId: string
  fullRefreshId: string
  /** succeeded: every step did; failed: some step failed (the rest ran on the last good data). */
  status: 'succeeded' | 'failed' | 'cancelled'
  startedAt: string
  completedAt: string
  durationMs: number
  /** The first step that failed, if any. */
  failedStep: string | null
  steps: FullRefreshStepSummary[]
}

/** Payload by event type; types whose producers arrive with later features carry open records for now. */
export interface EventDataByType {
  'datasource.refresh.failed': DataSourceRefreshEventData
  'datasource.refresh.succeeded': DataSourceRefreshEventData
  'segment.threshold.crossed': ThresholdCrossedEventData
  'measure.threshold.crossed': ThresholdCrossedEventData
  'refresh.full.completed': FullRefreshCompletedEventData
  'unify.completed': UnifyCompletedEventData
  'flow.run.failed': FlowRunFailedEventData
}

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value)
}

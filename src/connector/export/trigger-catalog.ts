import type { EventType } from '../../events/index.js'

/** A Swagger 2.0 schema with the x-ms-* hints Power Automate reads. */
export type SwaggerSchema = {
  type?: string
  description?: string
  format?: string
  'x-ms-summary'?: string
  properties?: Record<string, SwaggerSchema>
  items?: SwaggerSchema
  required?: string[]
  enum?: (string | number)[]
  default?: unknown
  'x-ms-visibility'?: 'important' | 'advanced' | 'internal'
  'x-ms-notification-url'?: boolean
}

const field = (
  type: string,
  summary: string,
  description: string,
  extra: Partial<SwaggerSchema> = {},
): SwaggerSchema => ({
  type,
  'x-ms-summary': summary,
  description,
  ...extra,
})

const refreshData: Record<string, SwaggerSchema> = {
  instanceId: field('string', 'Instance', 'The instance the data source belongs to'),
  dataSourceName: field('string', 'Data source name', 'The data source that was refreshed'),
  refreshId: field('string', 'Refresh ID', 'Identifies the refresh in the refresh history'),
  startedAt: field('string', 'Started at', 'When the refresh started', { format: 'date-time' }),
  completedAt: field('string', 'Completed at', 'When the refresh ended', { format: 'date-time' }),
  rowCount: field('integer', 'Row count', 'Rows published (failed refreshes: rows read, if known)'),
  rejectedRowCount: field('integer', 'Rejected row count', 'Rows rejected as malformed'),
  error: {
    type: 'object',
    'x-ms-summary': 'Error',
    description: 'Why the refresh failed; empty when it succeeded',
    properties: {
      code: field('string', 'Error code', 'A stable code, e.g. ColumnNotFound or FileNotFound'),
      message: field('string', 'Error message', 'What went wrong and how to fix it'),
    },
  },
}

const thresholdData = (what: 'Segment' | 'Measure'): Record<string, SwaggerSchema> => ({
  instanceId: field('string', 'Instance', 'The instance'),
  name: field('string', `${what} name`, `The ${what.toLowerCase()} whose value crossed the threshold`),
  ...(what === 'Measure'
    ? {
        dimension: field(
          'string',
          'Dimension value',
          'For a measure with a dimension, the value that crossed',
        ),
      }
    : {}),
  threshold: field('number', 'Threshold', 'The threshold that was crossed'),
  direction: field('string', 'Direction', 'up: reached it from below; down: fell below it', {
    enum: ['up', 'down'],
  }),
  previousValue: field(
    'number',
    'Previous value',
    what === 'Segment' ? 'Member count before the refresh' : 'Value before the refresh',
  ),
  value: field(
    'number',
    'Value',
    what === 'Segment' ? 'Member count after the refresh' : 'Value after the refresh',
  ),
  refreshId: field('string', 'Refresh ID', 'The refresh that computed the new value'),
})

const nameParameter = (what: 'segment' | 'measure') => ({
  [`${what}Name`]: field(
    'string',
    what === 'segment' ? 'Segment name' : 'Measure name',
    `The ${what} to watch`,
  ),
  threshold: field(
    'number',
    'Threshold',
    what === 'segment' ? 'Fires when the member count crosses it' : 'Fires when the value crosses it',
  ),
  direction: field('string', 'Direction', 'up (the default): from below to at or above; down; both', {
    enum: ['up', 'down', 'both'],
    default: 'up',
  }),
  ...(what === 'measure'
    ? {
        dimension: field(
          'string',
          'Dimension value',
          'For a measure with a dimension: only this value (e.g. DK); leave empty for every value',
          { 'x-ms-visibility': 'advanced' },
        ),
      }
    : {}),
})

export interface TriggerDescription {
  eventType: EventType
  operationId: string
  summary: string
  description: string
  parameters: Record<string, SwaggerSchema>
  required: string[]
  data: Record<string, SwaggerSchema>
}

/** The six triggers, as the exported connector and the docs describe them. */
export const TRIGGERS: TriggerDescription[] = [
  {
    eventType: 'datasource.refresh.failed',
    operationId: 'OnDataSourceRefreshFailed',
    summary: 'When a data source refresh failed',
    description: 'Fires when a refresh of a data source fails; the previous data stays published.',
    parameters: {
      dataSourceName: field('string', 'Data source name', 'Only this data source; leave empty for all', {
        'x-ms-visibility': 'important',
      }),
    },
    required: [],
    data: refreshData,
  },
  {
    eventType: 'datasource.refresh.succeeded',
    operationId: 'OnDataSourceRefreshSucceeded',
    summary: 'When a data source refresh succeeded',
    description: 'Fires when a refresh of a data source publishes a new version of its entity.',
    parameters: {
      dataSourceName: field('string', 'Data source name', 'Only this data source; leave empty for all', {
        'x-ms-visibility': 'important',
      }),
    },
    required: [],
    data: refreshData,
  },
  {
    eventType: 'segment.threshold.crossed',
    operationId: 'OnSegmentThresholdCrossed',
    summary: 'When a segment crosses a threshold',
    description: "Fires when a refresh moves a segment's member count across the threshold you set.",
    parameters: nameParameter('segment'),
    required: ['segmentName', 'threshold'],
    data: thresholdData('Segment'),
  },
  {
    eventType: 'measure.threshold.crossed',
    operationId: 'OnMeasureThresholdCrossed',
    summary: 'When a business measure crosses a threshold',
    description: "Fires when a refresh moves a business measure's value across the threshold you set.",
    parameters: nameParameter('measure'),
    required: ['measureName', 'threshold'],
    data: thresholdData('Measure'),
  },
  {
    eventType: 'refresh.full.completed',
    operationId: 'OnFullRefreshCompleted',
    summary: 'When a full refresh completed',
    description:
      'Fires when a full refresh (sources, unification, measures, segments) ends, successfully or not.',
    parameters: {},
    required: [],
    data: {
      instanceId: field('string', 'Instance', 'The instance'),
      fullRefreshId: field('string', 'Full refresh ID', 'Identifies the full refresh'),
      status: field(
        'string',
        'Status',
        'succeeded, failed (a step failed; the rest ran on the last good data) or cancelled',
        {
          enum: ['succeeded', 'failed', 'cancelled'],
        },
      ),
      startedAt: field('string', 'Started at', 'When it started', { format: 'date-time' }),
      completedAt: field('string', 'Completed at', 'When it ended', { format: 'date-time' }),
      durationMs: field('integer', 'Duration (ms)', 'How long it took'),
      failedStep: field('string', 'Failed step', 'The first step that failed, if any'),
      steps: {
        type: 'array',
        'x-ms-summary': 'Steps',
        description: 'Each step (sources, unification, measures and segments) with its outcome',
        items: {
          type: 'object',
          properties: {
            name: field('string', 'Step', 'e.g. source:crm_contacts, unify, insights'),
            kind: field('string', 'Kind', 'source, unify or insights'),
            status: field('string', 'Status', 'succeeded, failed, skipped or cancelled'),
            durationMs: field('integer', 'Duration (ms)', 'How long the step took'),
          },
        },
      },
    },
  },
  {
    eventType: 'unify.completed',
    operationId: 'OnUnificationCompleted',
    summary: 'When a unification completed',
    description: 'Fires when map, match and merge have produced a new set of unified customer profiles.',
    parameters: {},
    required: [],
    data: {
      instanceId: field('string', 'Instance', 'The instance'),
      unifyRunId: field('string', 'Unification run ID', 'Identifies the run'),
      status: field('string', 'Status', 'succeeded or failed (the previous profiles then stay current)', {
        enum: ['succeeded', 'failed'],
      }),
      sourceRecords: field(
        'integer',
        'Source records',
        'Records of the mapped sources that went into unification',
      ),
      unifiedProfiles: field('integer', 'Unified profiles', 'Customer profiles made of them'),
      matchPairs: field('integer', 'Match pairs', 'Pairs of records a rule joined'),
      durationMs: field('integer', 'Duration (ms)', 'How long the run took'),
      completedAt: field('string', 'Completed at', 'When it ended', { format: 'date-time' }),
      unmappedSources: {
        type: 'array',
        items: { type: 'string' },
        'x-ms-summary': 'Unmapped sources',
        description: 'Data sources no mapping covers',
      },
      error: {
        type: 'object',
        'x-ms-summary': 'Error',
        description: 'Why the run failed; empty when it succeeded',
        properties: {
          code: field('string', 'Error code', 'A stable code, e.g. ColumnNotFound'),
          message: field('string', 'Error message', 'What went wrong and how to fix it'),
        },
      },
    },
  },
]

/** The delivered body (see webhook-payload.ts) as Power Automate's dynamic content. */
export function payloadSchema(trigger: TriggerDescription): SwaggerSchema {
  return {
    type: 'object',
    properties: {
      type: field('string', 'Event type', `Always ${trigger.eventType}`),
      timestamp: field('string', 'Occurred at', 'When the event happened', { format: 'date-time' }),
      id: field('string', 'Event ID', 'Identifies the event; the same on every retry'),
      instanceId: field('string', 'Instance', 'The instance the event belongs to'),
      subscriptionId: field('string', 'Subscription ID', 'The subscription this delivery is for'),
      data: {
        type: 'object',
        'x-ms-summary': 'Data',
        description: 'What happened',
        properties: trigger.data,
      },
    },
  }
}

import { z } from 'zod'
import { errorField, instanceField, shown, timestamp } from './fields.js'
import { defineTrigger } from './trigger-definition.js'

const payload = z.object({
  instanceId: instanceField(),
  runId: shown(z.string(), 'Run ID', 'Identifies the computation of measures and segments'),
  error: errorField('Why the computation failed', 'InvalidFilter')
    .unwrap()
    .meta({ 'x-ms-summary': 'Error', description: 'Why the computation failed' }),
  completedAt: timestamp('Completed at', 'When it ended'),
})

/** Payload of `insights.run.failed`: a computation of measures and segments failed. */
export type InsightsRunFailedEventData = z.infer<typeof payload>

/**
 * Ours, not the connector's: a computation of measures and segments outside a full refresh (whose
 * own event says so) failed, and the published figures are the previous ones. Stored and listed
 * so it does not pass in the server log only.
 */
export const insightsRunFailed = defineTrigger({
  type: 'insights.run.failed',
  operationId: 'OnInsightsRunFailed',
  summary: 'When computing measures and segments failed',
  description:
    'Fires when a computation of measures and segments fails; the previous figures stay published.',
  payload,
  parameters: z.object({}).strict(),
  offered: false,
  matches: () => true,
})

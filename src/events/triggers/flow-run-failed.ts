import { z } from 'zod'
import { errorField, instanceField, shown, timestamp } from './fields.js'
import { defineTrigger } from './trigger-definition.js'

const payload = z.object({
  instanceId: instanceField(),
  flowName: shown(z.string(), 'Flow name', 'The flow whose run failed'),
  runId: shown(z.string(), 'Run ID', 'Identifies the run in the run history'),
  eventId: shown(z.string().nullable(), 'Event ID', 'The event that started the run, if any'),
  failedAction: shown(
    z.string().nullable(),
    'Failed action',
    'The first action that failed (its path in the run), if any',
  ),
  error: errorField('Why the run failed', 'Http500')
    .unwrap()
    .meta({ 'x-ms-summary': 'Error', description: 'Why the run failed' }),
  completedAt: timestamp('Completed at', 'When the run ended'),
})

/** Payload of `flow.run.failed`: a run of a flow ended as failed. */
export type FlowRunFailedEventData = z.infer<typeof payload>

/** Ours, not the connector's: flows may react to another flow's failure (not offered to Power Automate). */
export const flowRunFailed = defineTrigger({
  type: 'flow.run.failed',
  operationId: 'OnFlowRunFailed',
  summary: 'When a flow run failed',
  description: 'Fires when a run of a flow ends as failed.',
  payload,
  parameters: z
    .object({
      flowName: z.string().min(1).max(200).optional().meta({
        'x-ms-summary': 'Flow name',
        description: 'Only runs of this flow; leave empty for all',
      }),
    })
    .strict(),
  offered: false,
  matches: (data, p) => p.flowName === undefined || p.flowName === data.flowName,
})

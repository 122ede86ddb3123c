import { z } from 'zod'
import { errorField, instanceField, shown, timestamp } from './fields.js'
import { defineTrigger } from './trigger-definition.js'

const step = z.object({
  name: shown(z.string(), 'Step', 'e.g. source:crm_contacts, unify, insights'),
  kind: shown(z.enum(['source', 'unify', 'insights']), 'Kind', 'source, unify or insights'),
  status: shown(
    z.enum(['succeeded', 'failed', 'skipped', 'cancelled']),
    'Status',
    'succeeded, failed, skipped or cancelled',
  ),
  durationMs: shown(z.number().int().nullable(), 'Duration (ms)', 'How long the step took'),
  counts: shown(
    z.record(z.string(), z.number()).nullable(),
    'Counts',
    'What the step counted (rows, rejected rows, profiles, members …)',
  ),
  error: errorField('Why the step failed; empty when it did not', 'ColumnNotFound'),
})

/** One step of a full refresh as `refresh.full.completed` reports it. */
export type FullRefreshStepSummary = z.infer<typeof step>

const payload = z.object({
  instanceId: instanceField(),
  fullRefreshId: shown(z.string(), 'Full refresh ID', 'Identifies the full refresh'),
  status: shown(
    z.enum(['succeeded', 'failed', 'cancelled']),
    'Status',
    'succeeded, failed (a step failed; the rest ran on the last good data) or cancelled',
  ),
  startedAt: timestamp('Started at', 'When it started'),
  completedAt: timestamp('Completed at', 'When it ended'),
  durationMs: shown(z.number().int(), 'Duration (ms)', 'How long it took'),
  failedStep: shown(z.string().nullable(), 'Failed step', 'The first step that failed, if any'),
  steps: shown(
    z.array(step),
    'Steps',
    'Each step (sources, unification, measures and segments) with its outcome',
  ),
})

/** Payload of `refresh.full.completed`: sources → unify → measures and segments ended. */
export type FullRefreshCompletedEventData = z.infer<typeof payload>

export const fullRefreshCompleted = defineTrigger({
  type: 'refresh.full.completed',
  operationId: 'OnFullRefreshCompleted',
  summary: 'When a full refresh completed',
  description:
    'Fires when a full refresh (sources, unification, measures, segments) ends, successfully or not.',
  payload,
  parameters: z.object({}).strict(),
  offered: true,
  matches: () => true,
})

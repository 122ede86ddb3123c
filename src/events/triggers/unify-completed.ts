import { z } from 'zod'
import { errorField, instanceField, shown, timestamp } from './fields.js'
import { defineTrigger } from './trigger-definition.js'

const payload = z.object({
  instanceId: instanceField(),
  unifyRunId: shown(z.string(), 'Unification run ID', 'Identifies the run'),
  status: shown(
    z.enum(['succeeded', 'failed']),
    'Status',
    'succeeded or failed (the previous profiles then stay current)',
  ),
  sourceRecords: shown(
    z.number().int().nullable(),
    'Source records',
    'Records of the mapped sources that went into unification',
  ),
  unifiedProfiles: shown(z.number().int().nullable(), 'Unified profiles', 'Customer profiles made of them'),
  matchPairs: shown(z.number().int().nullable(), 'Match pairs', 'Pairs of records a rule joined'),
  durationMs: shown(z.number().int(), 'Duration (ms)', 'How long the run took'),
  completedAt: timestamp('Completed at', 'When it ended'),
  unmappedSources: shown(z.array(z.string()), 'Unmapped sources', 'Data sources no mapping covers'),
  error: errorField('Why the run failed; empty when it succeeded', 'ColumnNotFound'),
})

/** Payload of `unify.completed`: a unification run ended, successfully or not. */
export type UnifyCompletedEventData = z.infer<typeof payload>

export const unifyCompleted = defineTrigger({
  type: 'unify.completed',
  operationId: 'OnUnificationCompleted',
  summary: 'When a unification completed',
  description: 'Fires when map, match and merge have produced a new set of unified customer profiles.',
  payload,
  parameters: z.object({}).strict(),
  offered: true,
  matches: () => true,
})

import { z } from 'zod'
import type { EventType } from '../../events/index.js'
import type { StoredEvent } from '../../store/events.js'

const dataSourceFilter = z
  .object({
    dataSourceName: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Only refreshes of this data source; all when empty'),
  })
  .strict()

const threshold = (what: 'segment' | 'measure') =>
  z
    .object({
      [`${what}Name`]: z.string().min(1).max(200).describe(`The ${what} to watch`),
      threshold: z
        .number()
        .finite()
        .describe(what === 'segment' ? 'Member count' : 'Measure value'),
      direction: z
        .enum(['up', 'down', 'both'])
        .default('up')
        .describe('up: fires when the value reaches the threshold from below (the original); down; both'),
      ...(what === 'measure'
        ? {
            dimension: z
              .string()
              .min(1)
              .max(200)
              .optional()
              .describe(
                'For a measure with a dimension: only this value of it (e.g. DK); every value when empty',
              ),
          }
        : {}),
    })
    .strict()

const none = z.object({}).strict()

/** The parameters each trigger takes, as its subscription stores them. */
export const TRIGGER_PARAMETERS = {
  'datasource.refresh.failed': dataSourceFilter,
  'datasource.refresh.succeeded': dataSourceFilter,
  'segment.threshold.crossed': threshold('segment'),
  'measure.threshold.crossed': threshold('measure'),
  'refresh.full.completed': none,
  'unify.completed': none,
} satisfies Record<EventType, z.ZodType>

/** Whether an event is one a subscription with these parameters asked for. */
export function matchesSubscription(event: StoredEvent, parameters: Record<string, unknown>): boolean {
  const data = event.data
  switch (event.type) {
    case 'datasource.refresh.failed':
    case 'datasource.refresh.succeeded':
      return parameters.dataSourceName === undefined || parameters.dataSourceName === data.dataSourceName
    case 'segment.threshold.crossed':
    case 'measure.threshold.crossed': {
      const name =
        event.type === 'segment.threshold.crossed' ? parameters.segmentName : parameters.measureName
      const direction = (parameters.direction as string | undefined) ?? 'up'
      return (
        name === data.name &&
        parameters.threshold === data.threshold &&
        (parameters.dimension === undefined || parameters.dimension === data.dimension) &&
        (direction === 'both' || direction === data.direction)
      )
    }
    default:
      return true
  }
}

import { z } from 'zod'
import { IN_INSTANCE, instanceField, pickList, shown } from './fields.js'
import { defineTrigger } from './trigger-definition.js'

const payload = (what: 'Segment' | 'Measure') =>
  z.object({
    instanceId: instanceField(),
    name: shown(z.string(), `${what} name`, `The ${what.toLowerCase()} whose value crossed the threshold`),
    dimension: shown(
      z.string().nullable(),
      'Dimension value',
      what === 'Measure'
        ? 'For a measure with a dimension, the value that crossed'
        : 'Always empty: a segment has no dimension',
    ),
    threshold: shown(z.number(), 'Threshold', 'The threshold that was crossed'),
    direction: shown(z.enum(['up', 'down']), 'Direction', 'up: reached it from below; down: fell below it'),
    previousValue: shown(
      z.number().nullable(),
      'Previous value',
      what === 'Segment' ? 'Member count before the refresh' : 'Value before the refresh',
    ),
    value: shown(
      z.number(),
      'Value',
      what === 'Segment' ? 'Member count after the refresh' : 'Value after the refresh',
    ),
    refreshId: shown(z.string().nullable(), 'Refresh ID', 'The refresh that computed the new value'),
  })

/**
 * Payload of `segment.threshold.crossed` and `measure.threshold.crossed`. One event is appended
 * per threshold that some subscription or flow watches, when the value moves across it.
 */
export type ThresholdCrossedEventData = z.infer<ReturnType<typeof payload>>

const nameOf = (what: 'segment' | 'measure') =>
  z
    .string()
    .min(1)
    .max(200)
    .meta({
      'x-ms-summary': what === 'segment' ? 'Segment name' : 'Measure name',
      description: `The ${what} to watch`,
      ...pickList(what === 'segment' ? 'GetSegments' : 'GetMeasures', IN_INSTANCE),
    })

const crossingParameters = (what: 'segment' | 'measure') => ({
  threshold: z
    .number()
    .finite()
    .meta({
      'x-ms-summary': 'Threshold',
      description:
        what === 'segment' ? 'Fires when the member count crosses it' : 'Fires when the value crosses it',
    }),
  direction: z.enum(['up', 'down', 'both']).default('up').meta({
    'x-ms-summary': 'Direction',
    description: 'up (the default): from below to at or above; down; both',
  }),
})

const segmentParameters = z
  .object({ segmentName: nameOf('segment'), ...crossingParameters('segment') })
  .strict()

const measureParameters = z
  .object({
    measureName: nameOf('measure'),
    ...crossingParameters('measure'),
    dimension: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .meta({
        'x-ms-summary': 'Dimension value',
        description: 'For a measure with a dimension: only this value (e.g. DK); leave empty for every value',
        'x-ms-visibility': 'advanced',
        ...pickList('GetMeasureDimensions', { ...IN_INSTANCE, name: { parameter: 'measureName' } }, 'value'),
      }),
  })
  .strict()

export const segmentThresholdCrossed = defineTrigger({
  type: 'segment.threshold.crossed',
  operationId: 'OnSegmentThresholdCrossed',
  summary: 'When a segment crosses a threshold',
  description: "Fires when a refresh moves a segment's member count across the threshold you set.",
  payload: payload('Segment'),
  parameters: segmentParameters,
  offered: true,
  matches: (data, p) =>
    p.segmentName === data.name &&
    p.threshold === data.threshold &&
    (p.direction === 'both' || p.direction === data.direction),
  watches: (p) => ({ kind: 'segment', name: p.segmentName, threshold: p.threshold }),
  references: (p) => [{ kind: 'segment', name: p.segmentName, parameter: 'segmentName' }],
})

export const measureThresholdCrossed = defineTrigger({
  type: 'measure.threshold.crossed',
  operationId: 'OnMeasureThresholdCrossed',
  summary: 'When a business measure crosses a threshold',
  description: "Fires when a refresh moves a business measure's value across the threshold you set.",
  payload: payload('Measure'),
  parameters: measureParameters,
  offered: true,
  matches: (data, p) =>
    p.measureName === data.name &&
    p.threshold === data.threshold &&
    (p.dimension === undefined || p.dimension === data.dimension) &&
    (p.direction === 'both' || p.direction === data.direction),
  references: (p) => [{ kind: 'businessMeasure', name: p.measureName, parameter: 'measureName' }],
  watches: (p) => ({
    kind: 'measure',
    name: p.measureName,
    threshold: p.threshold,
    ...(p.dimension === undefined ? {} : { dimension: p.dimension }),
  }),
})

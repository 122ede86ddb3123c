import type { ThresholdCrossedEventData, WatchedThreshold } from './triggers/index.js'

export type CrossingDirection = 'up' | 'down'

/**
 * Which way a value moved across a threshold, if it did. Up: from below it (or from nothing: a
 * new segment had no members) to at or above it, as the original fires; down: from at or above
 * it to below. A missing new value crosses nothing.
 */
export function crossing(
  previous: number | null,
  value: number | null,
  threshold: number,
): CrossingDirection | null {
  if (value === null) return null
  if ((previous === null || previous < threshold) && value >= threshold) return 'up'
  if (previous !== null && previous >= threshold && value < threshold) return 'down'
  return null
}

export interface ValueChange {
  kind: 'measure' | 'segment'
  name: string
  /** '' when the measure has no dimension. */
  dimension: string
  previous: number | null
  value: number | null
}

/**
 * The threshold events a refresh raises: one per watched (name, dimension value, threshold) whose
 * value crossed it, whatever the number of subscriptions watching it (each then takes the
 * directions it asked for).
 */
export function thresholdCrossings(
  instanceId: string,
  refreshId: string,
  changes: readonly ValueChange[],
  watched: readonly WatchedThreshold[],
): { type: 'segment.threshold.crossed' | 'measure.threshold.crossed'; data: ThresholdCrossedEventData }[] {
  const seen = new Set<string>()
  const events: ReturnType<typeof thresholdCrossings> = []
  for (const change of changes) {
    for (const watch of watched) {
      if (watch.kind !== change.kind || watch.name !== change.name) continue
      if (watch.dimension !== undefined && watch.dimension !== change.dimension) continue
      const key = JSON.stringify([change.kind, change.name, change.dimension, watch.threshold])
      if (seen.has(key)) continue
      seen.add(key)
      const direction = crossing(change.previous, change.value, watch.threshold)
      if (!direction) continue
      events.push({
        type: change.kind === 'segment' ? 'segment.threshold.crossed' : 'measure.threshold.crossed',
        data: {
          instanceId,
          name: change.name,
          dimension: change.dimension === '' ? null : change.dimension,
          threshold: watch.threshold,
          direction,
          previousValue: change.previous,
          value: change.value as number,
          refreshId,
        },
      })
    }
  }
  return events
}

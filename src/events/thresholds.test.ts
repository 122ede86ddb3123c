import { describe, expect, it } from 'vitest'
import type { StoredEvent } from '../store/events.js'
import { crossing, thresholdCrossings } from './thresholds.js'
import { matchesTrigger } from './triggers/index.js'

describe('threshold crossings', () => {
  it('fires up twice, down once and both three times on 90, 110, 120, 80, 130 with threshold 100', () => {
    const values = [90, 110, 120, 80, 130]
    const events: StoredEvent[] = []
    let previous: number | null = null
    for (const [i, value] of values.entries()) {
      for (const e of thresholdCrossings(
        'demo',
        `r${i}`,
        [{ kind: 'segment', name: 'Big', dimension: '', previous, value }],
        [
          { kind: 'segment', name: 'Big', threshold: 100 },
          { kind: 'segment', name: 'Big', threshold: 100 },
        ],
      ))
        events.push({
          id: `e${events.length}`,
          type: e.type,
          instanceId: 'demo',
          occurredAt: '',
          data: { ...e.data },
        })
      previous = value
    }
    const received = (direction: string) =>
      events.filter((e) => matchesTrigger(e, { segmentName: 'Big', threshold: 100, direction })).length
    expect(received('up')).toBe(2)
    expect(received('down')).toBe(1)
    expect(received('both')).toBe(3)
    expect(events.map((e) => [e.data.previousValue, e.data.value, e.data.direction])).toEqual([
      [90, 110, 'up'],
      [120, 80, 'down'],
      [80, 130, 'up'],
    ])
    // Other thresholds and other segments hear nothing.
    expect(
      events.filter((e) => matchesTrigger(e, { segmentName: 'Big', threshold: 50, direction: 'both' })),
    ).toEqual([])
    expect(events.filter((e) => matchesTrigger(e, { segmentName: 'Small', threshold: 100 }))).toEqual([])
  })

  it('treats reaching the threshold exactly as crossing it, a first value as coming from nothing, a missing value as no crossing', () => {
    expect(crossing(99, 100, 100)).toBe('up')
    expect(crossing(100, 100, 100)).toBeNull()
    expect(crossing(100, 99, 100)).toBe('down')
    expect(crossing(null, 150, 100)).toBe('up')
    expect(crossing(null, 50, 100)).toBeNull()
    expect(crossing(150, null, 100)).toBeNull()
  })

  it('evaluates dimensional measures per dimension value, and a subscription may pick one', () => {
    const events = thresholdCrossings(
      'demo',
      'r1',
      [
        { kind: 'measure', name: 'Revenue', dimension: 'DK', previous: 900, value: 1100 },
        { kind: 'measure', name: 'Revenue', dimension: 'SE', previous: 800, value: 1200 },
        { kind: 'measure', name: 'Revenue', dimension: 'NO', previous: 1500, value: 1600 },
      ],
      [{ kind: 'measure', name: 'Revenue', threshold: 1000 }],
    )
    expect(events.map((e) => e.data.dimension)).toEqual(['DK', 'SE'])
    const stored = events.map((e, i) => ({
      id: `${i}`,
      type: e.type,
      instanceId: 'demo',
      occurredAt: '',
      data: { ...e.data },
    }))
    expect(
      stored.filter((e) => matchesTrigger(e, { measureName: 'Revenue', threshold: 1000, dimension: 'SE' })),
    ).toHaveLength(1)
    expect(stored.filter((e) => matchesTrigger(e, { measureName: 'Revenue', threshold: 1000 }))).toHaveLength(
      2,
    )
  })
})

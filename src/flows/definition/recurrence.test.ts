import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { latestRecurrenceSlot, recurrenceRunId, recurrenceSchema } from './recurrence.js'

const slot = (r: Record<string, unknown>, now: string) =>
  latestRecurrenceSlot(recurrenceSchema.parse(r), new Date(now))?.toISOString()

describe('Recurrence slots', () => {
  it('every n minutes and hours from the start time', () => {
    expect(
      slot({ frequency: 'Minute', interval: 15, startTime: '2026-01-01T00:05:00Z' }, '2026-03-02T10:33:10Z'),
    ).toBe('2026-03-02T10:20:00.000Z')
    expect(
      slot({ frequency: 'Hour', interval: 2, startTime: '2026-01-01T01:30:00Z' }, '2026-01-01T06:00:00Z'),
    ).toBe('2026-01-01T05:30:00.000Z')
    expect(
      slot({ frequency: 'Hour', interval: 1, schedule: { minutes: [0, 30] } }, '2026-01-01T06:45:00Z'),
    ).toBe('2026-01-01T06:30:00.000Z')
    expect(
      slot({ frequency: 'Minute', startTime: '2026-05-01T00:00:00Z' }, '2026-04-30T23:59:00Z'),
    ).toBeUndefined()
  })

  it('daily at hours and minutes in a Windows time zone, across daylight saving', () => {
    const daily = {
      frequency: 'Day',
      interval: 1,
      timeZone: 'W. Europe Standard Time',
      schedule: { hours: [8], minutes: [0] },
    }
    // 08:00 in Berlin is 07:00 UTC in winter and 06:00 UTC in summer.
    expect(slot(daily, '2026-01-15T12:00:00Z')).toBe('2026-01-15T07:00:00.000Z')
    expect(slot(daily, '2026-07-15T12:00:00Z')).toBe('2026-07-15T06:00:00.000Z')
    expect(slot(daily, '2026-07-15T05:00:00Z')).toBe('2026-07-14T06:00:00.000Z')
    expect(slot({ ...daily, interval: 3, startTime: '2026-01-01T00:00:00' }, '2026-01-05T12:00:00Z')).toBe(
      '2026-01-04T07:00:00.000Z',
    )
  })

  it('weekly on week days, every other week', () => {
    const weekly = {
      frequency: 'Week',
      interval: 2,
      startTime: '2026-01-05T00:00:00Z', // a Monday
      schedule: { weekDays: ['Monday', 'Friday'], hours: [9], minutes: [30] },
    }
    expect(slot(weekly, '2026-01-09T10:00:00Z')).toBe('2026-01-09T09:30:00.000Z') // Friday, week 0
    expect(slot(weekly, '2026-01-16T10:00:00Z')).toBe('2026-01-09T09:30:00.000Z') // week 1 skipped
    expect(slot(weekly, '2026-01-19T10:00:00Z')).toBe('2026-01-19T09:30:00.000Z') // Monday, week 2
  })

  it('monthly on month days', () => {
    expect(
      slot(
        { frequency: 'Month', startTime: '2026-01-01T06:00:00Z', schedule: { monthDays: [1, 15] } },
        '2026-03-20T00:00:00Z',
      ),
    ).toBe('2026-03-15T06:00:00.000Z')
  })

  it('refuses what cannot be a schedule, saying why', () => {
    const problems = (r: unknown) => recurrenceSchema.safeParse(r).error?.issues.map((i) => i.message) ?? []
    expect(problems({ frequency: 'Second', interval: 30 }).join()).toMatch(/Minute/)
    expect(problems({ frequency: 'Day', timeZone: 'Mars Standard Time' }).join()).toMatch(/Windows time zone/)
    expect(problems({ frequency: 'Day', schedule: { weekDays: ['Monday'] } }).join()).toMatch(
      /frequency Week/,
    )
    expect(problems({ frequency: 'Day', startTime: 'tomorrow' }).join()).toMatch(/ISO 8601/)
  })

  it('a slot is never after now, and the next slot is never before now (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('Minute', 'Hour', 'Day', 'Week'),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(
          undefined,
          'UTC',
          'Pacific Standard Time',
          'Tokyo Standard Time',
          'W. Europe Standard Time',
        ),
        fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) }),
        (frequency, interval, timeZone, now) => {
          const r = recurrenceSchema.parse({
            frequency,
            interval,
            ...(timeZone ? { timeZone } : {}),
            startTime: '2025-12-01T00:00:00',
          })
          const found = latestRecurrenceSlot(r, new Date(now))
          expect(found).toBeDefined()
          expect((found as Date).getTime()).toBeLessThanOrEqual(now)
          const step = { Minute: 60_000, Hour: 3_600_000, Day: 86_400_000, Week: 7 * 86_400_000 }[
            frequency
          ] as number
          // Within one period (plus an hour of daylight saving) of now.
          expect(now - (found as Date).getTime()).toBeLessThan(interval * step + 3_600_000)
        },
      ),
    )
  })

  it('gives each flow and slot one run id', () => {
    const at = new Date('2026-01-01T08:00:00Z')
    expect(recurrenceRunId('shop', 'Digest', at)).toBe(recurrenceRunId('shop', 'Digest', at))
    expect(recurrenceRunId('shop', 'Digest', at)).not.toBe(recurrenceRunId('shop', 'Other', at))
    expect(recurrenceRunId('shop', 'Digest', at)).toHaveLength(26)
  })
})

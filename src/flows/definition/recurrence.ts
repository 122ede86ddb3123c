/**
 * The Recurrence trigger, as Power Automate and Logic Apps define it: a frequency and an interval
 * ("every 2 hours"), a time zone by its Windows name, a start time, and for daily and weekly ones
 * the hours, minutes and week days to run at. Slots are worked out from the definition alone, so
 * every worker agrees on them; the run a slot starts has an id made of the slot and the flow,
 * so however many workers see the slot at once, it starts one run.
 */
import { createHash } from 'node:crypto'
import { encodeTime } from 'ulid'
import { z } from 'zod'
import { fromUtc, ianaZone, parseTimestamp, type Timestamp, timestamp, toUtc } from '../expressions/index.js'

export const FREQUENCIES = ['Minute', 'Hour', 'Day', 'Week', 'Month'] as const
export const WEEK_DAYS = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
] as const

const caseless = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((v) => values.find((x) => x.toLowerCase() === v.toLowerCase()) ?? v)
    .pipe(z.enum(values))

const numeric = (schema: z.ZodNumber) =>
  z.preprocess((v) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v), schema)

export const recurrenceSchema = z
  .object({
    frequency: caseless(FREQUENCIES).describe('Minute, Hour, Day, Week or Month (a minute at least)'),
    interval: z.number().int().min(1).max(1000).default(1).describe('Every this many of the frequency'),
    timeZone: z
      .string()
      .optional()
      .refine(
        (zone) => {
          if (zone === undefined) return true
          try {
            ianaZone(zone)
            return true
          } catch {
            return false
          }
        },
        { message: 'a Windows time zone name ("W. Europe Standard Time") or an IANA one ("Europe/Paris")' },
      )
      .describe('The zone of the start time and the schedule (UTC when absent)'),
    startTime: z
      .string()
      .optional()
      .refine(
        (text) => {
          if (text === undefined) return true
          try {
            parseTimestamp(text)
            return true
          } catch {
            return false
          }
        },
        { message: 'an ISO 8601 date and time, e.g. 2026-01-05T08:00:00' },
      )
      .describe('The first slot, and the anchor of the interval (in the time zone unless it says Z)'),
    schedule: z
      .object({
        // Power Automate writes the hours as strings (["8"]).
        hours: z
          .array(numeric(z.number().int().min(0).max(23)))
          .max(24)
          .optional(),
        minutes: z
          .array(numeric(z.number().int().min(0).max(59)))
          .max(60)
          .optional(),
        weekDays: z.array(caseless(WEEK_DAYS)).max(7).optional(),
        monthDays: z
          .array(numeric(z.number().int().min(1).max(31)))
          .max(31)
          .optional(),
      })
      .strict()
      .optional()
      .describe('Daily and weekly: the hours and minutes (and week days) to run at'),
  })
  .strict()
  .superRefine((r, ctx) => {
    const s = r.schedule
    if (!s) return
    if (s.weekDays && r.frequency !== 'Week')
      ctx.addIssue({
        code: 'custom',
        path: ['schedule', 'weekDays'],
        message: 'week days need frequency Week',
      })
    if (s.monthDays && r.frequency !== 'Month')
      ctx.addIssue({
        code: 'custom',
        path: ['schedule', 'monthDays'],
        message: 'month days need frequency Month',
      })
    if (s.hours && (r.frequency === 'Minute' || r.frequency === 'Hour'))
      ctx.addIssue({
        code: 'custom',
        path: ['schedule', 'hours'],
        message: 'hours need frequency Day, Week or Month',
      })
    if (s.minutes && r.frequency === 'Minute')
      ctx.addIssue({
        code: 'custom',
        path: ['schedule', 'minutes'],
        message: 'minutes need frequency Hour or more',
      })
  })
export type Recurrence = z.infer<typeof recurrenceSchema>

const MINUTE = 60_000
const DAY = 86_400_000

/** The anchor in the zone's wall clock: the start time, or midnight of 2000-01-01 (Saturday). */
function anchorOf(r: Recurrence, zone: string | null): Timestamp {
  if (!r.startTime) return timestamp(Date.UTC(2000, 0, 1), 'unspecified')
  const start = parseTimestamp(r.startTime)
  return start.kind === 'utc' ? fromUtc(start, zone) : start
}

/** Whole months between two wall-clock times (b after a). */
const monthsBetween = (a: Date, b: Date) =>
  (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth()

/**
 * The latest slot at or before `now` (an instant), as an instant; undefined before the first one.
 * Wall-clock arithmetic in the zone, so "every day at 08:00" stays at 08:00 across daylight saving.
 */
export function latestRecurrenceSlot(r: Recurrence, now: Date): Date | undefined {
  const zone = r.timeZone ? ianaZone(r.timeZone) : null
  const anchor = anchorOf(r, zone)
  const wallNow = fromUtc(timestamp(now.getTime(), 'utc'), zone).ms
  if (wallNow < anchor.ms) return undefined
  const a = new Date(anchor.ms)
  const s = r.schedule ?? {}
  const toInstant = (wall: number) => new Date(toUtc(timestamp(wall, 'unspecified'), zone).ms)
  const minutes = s.minutes?.length ? [...s.minutes].sort((x, y) => y - x) : [a.getUTCMinutes()]
  if (r.frequency === 'Minute' || (r.frequency === 'Hour' && !s.minutes?.length)) {
    const step = r.interval * (r.frequency === 'Minute' ? MINUTE : 60 * MINUTE)
    return toInstant(anchor.ms + Math.floor((wallNow - anchor.ms) / step) * step)
  }
  if (r.frequency === 'Hour') {
    // Every n hours from the anchor's hour, at the given minutes.
    const anchorHour = anchor.ms - (anchor.ms % (60 * MINUTE))
    for (let hour = wallNow - (wallNow % (60 * MINUTE)); hour >= anchorHour; hour -= 60 * MINUTE) {
      if (Math.round((hour - anchorHour) / (60 * MINUTE)) % r.interval !== 0) continue
      const slot = minutes.map((m) => hour + m * MINUTE).find((t) => t <= wallNow && t >= anchor.ms)
      if (slot !== undefined) return toInstant(slot)
    }
    return undefined
  }
  // Day, Week, Month: candidate days backwards from today, times of day latest first.
  const hours = s.hours?.length ? [...s.hours].sort((x, y) => y - x) : [a.getUTCHours()]
  const times = hours.flatMap((h) => minutes.map((m) => h * 60 * MINUTE + m * MINUTE)).sort((x, y) => y - x)
  const anchorDay = anchor.ms - (anchor.ms % DAY)
  const days = r.frequency === 'Month' ? 31 * r.interval + 31 : 7 * r.interval + 7
  for (let day = wallNow - (wallNow % DAY), i = 0; i <= days && day >= anchorDay; day -= DAY, i++) {
    const d = new Date(day)
    const elapsedDays = Math.round((day - anchorDay) / DAY)
    let allowed: boolean
    if (r.frequency === 'Day') allowed = elapsedDays % r.interval === 0
    else if (r.frequency === 'Week') {
      // Weeks counted from the Sunday of the anchor's week.
      const weekStart = anchorDay - a.getUTCDay() * DAY
      const week = Math.floor((day - weekStart) / (7 * DAY))
      const weekDays = s.weekDays?.length ? s.weekDays.map((w) => WEEK_DAYS.indexOf(w)) : [a.getUTCDay()]
      allowed = week % r.interval === 0 && weekDays.includes(d.getUTCDay())
    } else {
      const monthDays = s.monthDays?.length ? s.monthDays : [a.getUTCDate()]
      allowed = monthsBetween(a, d) % r.interval === 0 && monthDays.includes(d.getUTCDate())
    }
    if (!allowed) continue
    const slot = times.map((t) => day + t).find((t) => t <= wallNow && t >= anchor.ms)
    if (slot !== undefined) return toInstant(slot)
  }
  return undefined
}

/** The id of the run a slot starts: the slot's time (so runs sort by it) and a digest of the flow. */
export function recurrenceRunId(instanceId: string, flowName: string, slot: Date): string {
  const digest = createHash('sha1').update(`${instanceId}\u0000${flowName}\u0000recurrence`).digest('hex')
  return `${encodeTime(slot.getTime(), 10)}${digest.slice(0, 16).toUpperCase()}`
}

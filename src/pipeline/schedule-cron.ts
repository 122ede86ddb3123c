import { CronExpressionParser } from 'cron-parser'

export interface RefreshSchedule {
  cron: string
  timezone: string
}

/** Why a cron expression or time zone is not usable, or undefined when it is. */
export function scheduleProblem(schedule: RefreshSchedule): string | undefined {
  try {
    CronExpressionParser.parse(schedule.cron, { tz: schedule.timezone }).next()
    if (schedule.cron.trim().split(/\s+/).length !== 5)
      return 'use five fields: minute hour day month weekday'
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}

/** The latest slot of a schedule at or before `now`. */
export function latestSlot(schedule: RefreshSchedule, now: Date): Date {
  const expression = CronExpressionParser.parse(schedule.cron, {
    tz: schedule.timezone,
    currentDate: new Date(now.getTime() + 1),
  })
  return expression.prev().toDate()
}

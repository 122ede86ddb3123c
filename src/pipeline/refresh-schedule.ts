import { sql } from 'kysely'
import { AppError } from '../errors.js'
import type { JobQueue } from '../jobs/index.js'
import type { Db, DbOrTx } from '../store/database.js'
import { requestFullRefresh } from './refresh.js'
import { requestRefreshes } from './request-refresh.js'
import { latestSlot, type RefreshSchedule, scheduleProblem } from './schedule-cron.js'

export async function putRefreshSchedule(
  db: DbOrTx,
  instanceId: string,
  schedule: RefreshSchedule | undefined,
): Promise<'created' | 'updated' | 'unchanged' | 'deleted' | undefined> {
  const existing = await db
    .selectFrom('refresh_schedules')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .executeTakeFirst()
  if (!schedule) {
    if (!existing) return undefined
    await db.deleteFrom('refresh_schedules').where('instance_id', '=', instanceId).execute()
    return 'deleted'
  }
  const problem = scheduleProblem(schedule)
  if (problem) throw new AppError('InvalidSchedule', `schedule.cron: ${problem}`, { target: 'schedule.cron' })
  if (existing && existing.cron === schedule.cron && existing.timezone === schedule.timezone)
    return 'unchanged'
  await db
    .insertInto('refresh_schedules')
    .values({
      instance_id: instanceId,
      cron: schedule.cron,
      timezone: schedule.timezone,
      last_fired_at: null,
    })
    .onConflict((oc) =>
      oc.column('instance_id').doUpdateSet({
        cron: schedule.cron,
        timezone: schedule.timezone,
        last_fired_at: null,
        updated_at: sql`now()`,
      }),
    )
    .execute()
  return existing ? 'updated' : 'created'
}

export async function getRefreshSchedule(
  db: DbOrTx,
  instanceId: string,
): Promise<RefreshSchedule | undefined> {
  const row = await db
    .selectFrom('refresh_schedules')
    .select(['cron', 'timezone'])
    .where('instance_id', '=', instanceId)
    .executeTakeFirst()
  return row
}

/**
 * Starts a full refresh for every schedule with a slot due since it last fired (or since it was
 * set: setting one does not fire a slot that passed before). Claiming the slot is a conditional
 * update, so when several workers tick at once each slot starts one full refresh. Returns the
 * instances it started.
 */
export async function runDueSchedules(db: Db, jobs: JobQueue, now = new Date()): Promise<string[]> {
  const started: string[] = []
  const schedules = await db.selectFrom('refresh_schedules').selectAll().execute()
  for (const schedule of schedules) {
    const slot = latestSlot(schedule, now)
    const since = schedule.last_fired_at ?? schedule.updated_at
    if (slot.getTime() <= since.getTime()) continue
    const claimed = await db
      .updateTable('refresh_schedules')
      .set({ last_fired_at: slot })
      .where('instance_id', '=', schedule.instance_id)
      .where((eb) => eb.or([eb('last_fired_at', 'is', null), eb('last_fired_at', '<', slot)]))
      .executeTakeFirst()
    if (Number(claimed.numUpdatedRows) === 0) continue
    await requestFullRefresh(db, jobs, schedule.instance_id, `schedule:${slot.toISOString()}`)
    started.push(schedule.instance_id)
  }
  return started
}

/**
 * Refreshes every data source whose own schedule has a slot due since it last fired (or since the
 * source last changed); each slot is claimed once, however many processes look.
 */
export async function runDueSourceSchedules(db: Db, jobs: JobQueue, now = new Date()): Promise<string[]> {
  const started: string[] = []
  const sources = await db
    .selectFrom('data_sources')
    .select(['instance_id', 'name', 'schedule', 'schedule_fired_at', 'updated_at'])
    .where('schedule', 'is not', null)
    .execute()
  for (const source of sources) {
    if (!source.schedule || scheduleProblem(source.schedule)) continue
    const slot = latestSlot(source.schedule, now)
    const since = source.schedule_fired_at ?? source.updated_at
    if (slot.getTime() <= since.getTime()) continue
    const claimed = await db
      .updateTable('data_sources')
      .set({ schedule_fired_at: slot })
      .where('instance_id', '=', source.instance_id)
      .where('name', '=', source.name)
      .where((eb) => eb.or([eb('schedule_fired_at', 'is', null), eb('schedule_fired_at', '<', slot)]))
      .executeTakeFirst()
    if (Number(claimed.numUpdatedRows) === 0) continue
    await requestRefreshes(db, jobs, source.instance_id, [source.name])
    started.push(`${source.instance_id}/${source.name}`)
  }
  return started
}

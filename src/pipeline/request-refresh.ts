import { AppError, notFound } from '../errors.js'
import { newId } from '../ids.js'
import type { JobQueue } from '../jobs/index.js'
import { listDataSources } from '../store/data-sources.js'
import type { Db } from '../store/database.js'
import { getRefresh, queueRefresh, type Refresh } from '../store/refreshes.js'
import { failRefresh } from './refresh-source.js'

/**
 * Queues a refresh of each named data source (all of the instance's when none are named), each
 * with its job, in one transaction. A source already queued or running is not queued again: its
 * active refresh is returned with `created: false`.
 */
export async function requestRefreshes(
  db: Db,
  jobs: JobQueue,
  instanceId: string,
  dataSourceNames?: string[],
  options: { allowShrink?: boolean } = {},
): Promise<{ refresh: Refresh; created: boolean }[]> {
  const results = await db.transaction().execute(async (tx) => {
    const existing = new Set((await listDataSources(tx, instanceId)).map((s) => s.name))
    const names = dataSourceNames?.length ? dataSourceNames : [...existing]
    if (names.length === 0) {
      throw new AppError(
        'NoDataSources',
        `instance '${instanceId}' has no data sources; add some with 'openinsights apply'`,
        {
          target: 'sources',
        },
      )
    }
    const outcomes: { refresh: Refresh; created: boolean }[] = []
    for (const name of names) {
      if (!existing.has(name)) throw notFound('Data source', name)
      const queued = await queueRefresh(tx, {
        id: newId(),
        instanceId,
        dataSourceName: name,
        allowShrink: options.allowShrink,
      })
      if (queued.created)
        await jobs.send(tx, 'datasource-refresh', { instanceId, refreshId: queued.refresh.id })
      outcomes.push(queued)
    }
    return outcomes
  })
  jobs.nudge('datasource-refresh')
  return results
}

/** Cancels a queued or running refresh; the published version stays as it was. */
export async function cancelRefresh(db: Db, instanceId: string, refreshId: string): Promise<Refresh> {
  const refresh = await getRefresh(db, instanceId, refreshId)
  if (!refresh) throw notFound('Refresh', refreshId)
  const cancelled = await failRefresh(db, refreshId, 'cancelled', {
    code: 'RefreshCancelled',
    message: `refresh of ${refresh.dataSourceName} was cancelled`,
  })
  if (!cancelled) {
    throw new AppError('RefreshNotActive', `refresh ${refreshId} already ended as ${refresh.state}`, {
      target: refreshId,
    })
  }
  return cancelled
}

import type { EventSubscriber } from '../../events/index.js'
import type { JobQueue } from '../../jobs/index.js'
import { getUnifyConfig } from '../../store/unify.js'
import { requestRun } from '../request-run.js'

/**
 * Queues a unification when a data source it maps has been refreshed (once all of them have data),
 * unless that refresh is part of a full refresh.
 */
export function unifyTrigger(jobs: JobQueue): EventSubscriber {
  return {
    name: 'unify-trigger',
    async handle(event, tx) {
      if (event.type !== 'datasource.refresh.succeeded') return false
      const config = (await getUnifyConfig(tx, event.instanceId)) as
        | { sources?: Record<string, unknown> }
        | undefined
      // A full refresh runs unification as its own step, once every source has been refreshed.
      const refresh = await tx
        .selectFrom('refreshes')
        .select('full_refresh_id')
        .where('id', '=', String(event.data.refreshId))
        .executeTakeFirst()
      if (refresh?.full_refresh_id) return false
      const source = String(event.data.dataSourceName)
      if (!config?.sources || !(source in config.sources)) return false
      // Until every mapped source has data there is nothing whole to unify; the last one to arrive triggers it.
      const published = await tx
        .selectFrom('entities')
        .select('name')
        .where('instance_id', '=', event.instanceId)
        .where('name', 'in', Object.keys(config.sources))
        .execute()
      if (published.length < Object.keys(config.sources).length) return false
      await requestRun(tx, jobs, 'unify', event.instanceId, `refresh:${String(event.data.refreshId)}`)
      return true
    },
    dispatched() {
      jobs.nudge('unify')
    },
  }
}

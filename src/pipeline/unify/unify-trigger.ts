import type { EventSubscriber } from '../../events/index.js'
import type { JobQueue } from '../../jobs/index.js'
import { getUnifyConfig } from '../../store/unify.js'
import { requestUnify } from './request-unify.js'

/** Queues a unification when a data source it maps has been refreshed (once all of them have data). */
export function unifyTrigger(jobs: JobQueue): EventSubscriber {
  return {
    name: 'unify-trigger',
    async handle(event, tx) {
      if (event.type !== 'datasource.refresh.succeeded') return
      const config = (await getUnifyConfig(tx, event.instanceId)) as
        | { sources?: Record<string, unknown> }
        | undefined
      const source = String(event.data.dataSourceName)
      if (!config?.sources || !(source in config.sources)) return
      // Until every mapped source has data there is nothing whole to unify; the last one to arrive triggers it.
      const published = await tx
        .selectFrom('entities')
        .select('name')
        .where('instance_id', '=', event.instanceId)
        .where('name', 'in', Object.keys(config.sources))
        .execute()
      if (published.length < Object.keys(config.sources).length) return
      await requestUnify(tx, jobs, event.instanceId, `refresh:${String(event.data.refreshId)}`)
    },
    dispatched() {
      jobs.nudge('unify')
    },
  }
}

import type { EventSubscriber } from '../../events/index.js'
import type { JobQueue } from '../../jobs/index.js'
import type { StoredEvent } from '../../store/events.js'
import { getUnifyConfigs } from '../../store/unify.js'
import { requestRun } from '../request-run.js'

/**
 * Queues a unification when a data source it maps has been refreshed (once all of them have data),
 * unless that refresh is part of a full refresh. A batch of events costs one query when none of
 * them is a refresh of a mapped source, however many refresh events it holds.
 */
export function unifyTrigger(jobs: JobQueue): EventSubscriber {
  const subscriber: EventSubscriber = {
    name: 'unify-trigger',
    handle: (event, tx) => subscriber.handleBatch?.([event], tx) ?? Promise.resolve(false),
    async handleBatch(events, tx) {
      const refreshed = events.filter((e) => e.type === 'datasource.refresh.succeeded')
      if (refreshed.length === 0) return false
      const configs = await getUnifyConfigs(tx, [...new Set(refreshed.map((e) => e.instanceId))])
      const mappedSources = (event: StoredEvent) =>
        Object.keys((configs.get(event.instanceId) as { sources?: object } | undefined)?.sources ?? {})
      const candidates = refreshed.filter((e) => mappedSources(e).includes(String(e.data.dataSourceName)))
      if (candidates.length === 0) return false
      // A full refresh runs unification as its own step, once every source has been refreshed.
      const inFullRefresh = new Set(
        (
          await tx
            .selectFrom('refreshes')
            .select('id')
            .where(
              'id',
              'in',
              candidates.map((e) => String(e.data.refreshId)),
            )
            .where('full_refresh_id', 'is not', null)
            .execute()
        ).map((r) => r.id),
      )
      let requested = false
      for (const event of candidates) {
        if (inFullRefresh.has(String(event.data.refreshId))) continue
        const sources = mappedSources(event)
        // Until every mapped source has data there is nothing whole to unify; the last one to arrive triggers it.
        const published = await tx
          .selectFrom('entities')
          .select('name')
          .where('instance_id', '=', event.instanceId)
          .where('name', 'in', sources)
          .execute()
        if (published.length < sources.length) continue
        await requestRun(tx, jobs, 'unify', event.instanceId, `refresh:${String(event.data.refreshId)}`)
        requested = true
      }
      return requested
    },
    dispatched() {
      jobs.nudge('unify')
    },
  }
  return subscriber
}

import type { EventSubscriber } from '../../events/index.js'
import type { JobQueue } from '../../jobs/index.js'
import type { StoredEvent } from '../../store/events.js'
import { getUnifyConfigs } from '../../store/unify.js'
import { requestRun } from '../request-run.js'

/**
 * Queues a unification when refreshes of data sources it maps have ended (once all of them have
 * data), unless they are part of a full refresh. Refreshes asked for together end one by one: the
 * one that ends while none of the others is still queued or running asks, so one request of
 * several sources is one unification. A failed refresh asks too when another mapped source was
 * refreshed since the last unification (it may have been the last of the request). A batch of
 * events costs one query when none of them is a refresh of a mapped source.
 */
export function unifyTrigger(jobs: JobQueue): EventSubscriber {
  const subscriber: EventSubscriber = {
    name: 'unify-trigger',
    handle: (event, tx) => subscriber.handleBatch?.([event], tx) ?? Promise.resolve(false),
    async handleBatch(events, tx) {
      const ended = events.filter(
        (e) => e.type === 'datasource.refresh.succeeded' || e.type === 'datasource.refresh.failed',
      )
      if (ended.length === 0) return false
      const configs = await getUnifyConfigs(tx, [...new Set(ended.map((e) => e.instanceId))])
      const mappedSources = (event: StoredEvent) =>
        Object.keys((configs.get(event.instanceId) as { sources?: object } | undefined)?.sources ?? {})
      const candidates = ended.filter((e) => mappedSources(e).includes(String(e.data.dataSourceName)))
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
      const asked = new Set<string>()
      for (const event of candidates) {
        if (inFullRefresh.has(String(event.data.refreshId)) || asked.has(event.instanceId)) continue
        const sources = mappedSources(event)
        // Another refresh of a mapped source still to end: its end decides.
        const active = await tx
          .selectFrom('refreshes')
          .select('id')
          .where('instance_id', '=', event.instanceId)
          .where('data_source_name', 'in', sources)
          .where('state', 'in', ['queued', 'running'])
          .where('full_refresh_id', 'is', null)
          .limit(1)
          .execute()
        if (active.length > 0) continue
        if (event.type === 'datasource.refresh.failed') {
          const lastUnify = await tx
            .selectFrom('unify_runs')
            .select((eb) => eb.fn.max('requested_at').as('at'))
            .where('instance_id', '=', event.instanceId)
            .executeTakeFirst()
          let fresh = tx
            .selectFrom('refreshes')
            .select('id')
            .where('instance_id', '=', event.instanceId)
            .where('data_source_name', 'in', sources)
            .where('state', '=', 'succeeded')
            .where('full_refresh_id', 'is', null)
          if (lastUnify?.at) fresh = fresh.where('completed_at', '>', lastUnify.at)
          if ((await fresh.limit(1).execute()).length === 0) continue
        }
        // Until every mapped source has data there is nothing whole to unify; the last one to arrive triggers it.
        const published = await tx
          .selectFrom('entities')
          .select('name')
          .where('instance_id', '=', event.instanceId)
          .where('name', 'in', sources)
          .execute()
        if (published.length < sources.length) continue
        await requestRun(tx, jobs, 'unify', event.instanceId, `refresh:${String(event.data.refreshId)}`)
        asked.add(event.instanceId)
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

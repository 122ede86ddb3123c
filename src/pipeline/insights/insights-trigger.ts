import type { EventSubscriber } from '../../events/index.js'
import type { JobQueue } from '../../jobs/index.js'
import { getInsightConfig } from '../../store/insights.js'
import { requestRun } from '../request-run.js'

/**
 * Recomputes measures and segments after a unification outside a full refresh (a full refresh
 * runs them as its own step). Instances without measures or segments are left alone.
 */
export function insightsTrigger(jobs: JobQueue): EventSubscriber {
  return {
    name: 'insights-trigger',
    async handle(event, tx) {
      if (event.type !== 'unify.completed' || event.data.status !== 'succeeded') return false
      const run = await tx
        .selectFrom('unify_runs')
        .select('full_refresh_id')
        .where('id', '=', String(event.data.unifyRunId))
        .executeTakeFirst()
      if (run?.full_refresh_id) return false
      const config = await getInsightConfig(tx, event.instanceId)
      if (!config || Object.keys(config.measures).length + Object.keys(config.segments).length === 0)
        return false
      await requestRun(tx, jobs, 'insights', event.instanceId, `unify:${String(event.data.unifyRunId)}`)
      return true
    },
    dispatched() {
      jobs.nudge('insights')
    },
  }
}

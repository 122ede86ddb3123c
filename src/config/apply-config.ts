import { saveFlow } from '../flows/flow-service.js'
import { putRefreshSchedule } from '../pipeline/refresh-schedule.js'
import { sealSourceOptions } from '../pipeline/sources/source-secrets.js'
import type { SecretBox } from '../secrets/index.js'
import { deleteDataSource, listDataSources, upsertDataSource } from '../store/data-sources.js'
import type { Db } from '../store/database.js'
import { deleteFlow, listFlows } from '../store/flows.js'
import { getInsightConfig, type InsightConfig, putInsightConfig } from '../store/insights.js'
import { upsertInstance } from '../store/instances.js'
import { deleteUnifyConfig, putUnifyConfig } from '../store/unify.js'
import type { ConfigDocument } from './config-schema.js'

export interface ConfigChange {
  kind: 'instance' | 'dataSource' | 'unify' | 'insights' | 'schedule' | 'flow'
  name: string
  action: 'created' | 'updated' | 'unchanged' | 'deleted' | 'kept'
}

class DryRun extends Error {}

/**
 * Upserts everything a configuration document describes, in one transaction. Objects the
 * document does not mention are kept, or deleted with `prune`. With `dryRun` nothing is written
 * and the changes that would be made are returned.
 */
export async function applyConfig(
  { db, secrets }: { db: Db; secrets: SecretBox },
  config: ConfigDocument,
  options: { prune?: boolean; dryRun?: boolean } = {},
): Promise<ConfigChange[]> {
  const changes: ConfigChange[] = []
  const instanceId = config.instance.id
  try {
    await db.transaction().execute(async (tx) => {
      await upsertInstance(tx, { id: instanceId, name: config.instance.name ?? instanceId })
      changes.push({ kind: 'instance', name: instanceId, action: 'updated' })
      const stored = new Map((await listDataSources(tx, instanceId)).map((s) => [s.name, s]))
      const existing = new Set(stored.keys())
      for (const [name, source] of Object.entries(config.dataSources)) {
        const previous = stored.get(name)
        const action = await upsertDataSource(tx, instanceId, {
          name,
          kind: source.kind,
          options: sealSourceOptions(
            { name, kind: source.kind, options: source.options },
            secrets,
            previous?.kind === source.kind ? previous.options : undefined,
          ),
          primaryKey: source.primaryKey,
          columnTypes: source.columnTypes,
          rejectRatio: source.rejectRatio,
        })
        changes.push({ kind: 'dataSource', name, action })
        existing.delete(name)
      }
      for (const name of existing) {
        if (options.prune) await deleteDataSource(tx, instanceId, name)
        changes.push({ kind: 'dataSource', name, action: options.prune ? 'deleted' : 'kept' })
      }
      if (config.unify) {
        const action = await putUnifyConfig(
          tx,
          instanceId,
          config.unify as unknown as Record<string, unknown>,
        )
        changes.push({ kind: 'unify', name: 'unify', action })
      } else if (options.prune && (await deleteUnifyConfig(tx, instanceId))) {
        changes.push({ kind: 'unify', name: 'unify', action: 'deleted' })
      }
      const insights = { measures: config.measures ?? {}, segments: config.segments ?? {} }
      const hasInsights = Object.keys(insights.measures).length + Object.keys(insights.segments).length > 0
      if (hasInsights || (await getInsightConfig(tx, instanceId))) {
        const action = await putInsightConfig(tx, instanceId, insights as InsightConfig)
        changes.push({ kind: 'insights', name: 'measures and segments', action })
      }
      const flowNames = new Set(
        (await listFlows(tx, instanceId)).filter((f) => f.origin === 'config').map((f) => f.name),
      )
      for (const [name, flow] of Object.entries(config.flows ?? {})) {
        const { action } = await saveFlow(tx, instanceId, name, flow, 'config')
        changes.push({ kind: 'flow', name, action })
        flowNames.delete(name)
      }
      for (const name of flowNames) {
        if (options.prune) await deleteFlow(tx, instanceId, name)
        changes.push({ kind: 'flow', name, action: options.prune ? 'deleted' : 'kept' })
      }
      if (config.schedule || options.prune) {
        const action = await putRefreshSchedule(tx, instanceId, config.schedule)
        if (action) changes.push({ kind: 'schedule', name: 'full refresh schedule', action })
      }
      if (options.dryRun) throw new DryRun()
    })
  } catch (error) {
    if (!(error instanceof DryRun)) throw error
  }
  return changes
}

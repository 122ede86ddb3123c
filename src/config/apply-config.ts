import { AppError } from '../errors.js'
import { saveFlow } from '../flows/flow-service.js'
import { assertInsightReferences, measuresSchema, segmentsSchema } from '../pipeline/insights/index.js'
import { getRefreshSchedule, putRefreshSchedule } from '../pipeline/refresh-schedule.js'
import { sealSourceOptions } from '../pipeline/sources/source-secrets.js'
import type { SecretBox } from '../secrets/index.js'
import { deleteDataSource, listDataSources, upsertDataSource } from '../store/data-sources.js'
import type { Db } from '../store/database.js'
import { deleteFlow, listFlows } from '../store/flows.js'
import { getInsightConfig, type InsightConfig, putInsightConfig } from '../store/insights.js'
import { upsertInstance } from '../store/instances.js'
import { sameJson } from '../store/stable-json.js'
import { deleteUnifyConfig, getUnifyConfig, putUnifyConfig } from '../store/unify.js'
import { type ConfigDocument, configSchema } from './config-schema.js'
import { exportConfig, exportedSource } from './export-config.js'
import { jsonDifferences } from './json-differences.js'

export type ConfigChangeKind =
  | 'instance'
  | 'dataSource'
  | 'unify'
  | 'measure'
  | 'segment'
  | 'schedule'
  | 'flow'

export interface ConfigChange {
  kind: ConfigChangeKind
  name: string
  action: 'created' | 'updated' | 'unchanged' | 'deleted' | 'kept'
  /** For `updated`: what changed, one line per path (`options.path: "a.csv" → "b.csv"`). */
  differences?: string[]
}

class DryRun extends Error {}

/**
 * Upserts everything a configuration document describes, in one transaction. Objects the
 * document does not mention — data sources, measures, segments, flows, the unify section, the
 * schedule — are kept (a missing section is not an empty one), or deleted with `prune`. The
 * instance as it would be after the apply is checked whole (a kept segment must still find the
 * measure it uses), or nothing is written. With `dryRun` nothing is written and the changes that
 * would be made are returned, with what differs in each updated object.
 */
export async function applyConfig(
  { db, secrets }: { db: Db; secrets: SecretBox },
  config: ConfigDocument,
  options: { prune?: boolean; dryRun?: boolean } = {},
): Promise<ConfigChange[]> {
  const changes: ConfigChange[] = []
  const prune = options.prune === true
  const instanceId = config.instance.id
  const change = (
    kind: ConfigChangeKind,
    name: string,
    action: ConfigChange['action'],
    before?: unknown,
    after?: unknown,
  ) =>
    changes.push({
      kind,
      name,
      action,
      ...(action === 'updated' && before !== undefined
        ? { differences: jsonDifferences(before, after) }
        : {}),
    })
  try {
    await db.transaction().execute(async (tx) => {
      const instanceAction = await upsertInstance(tx, {
        id: instanceId,
        name: config.instance.name ?? instanceId,
      })
      change('instance', instanceId, instanceAction)

      const stored = new Map((await listDataSources(tx, instanceId)).map((s) => [s.name, s]))
      for (const [name, source] of Object.entries(config.dataSources)) {
        const previous = stored.get(name)
        const sealed = sealSourceOptions(
          { name, kind: source.kind, options: source.options },
          secrets,
          previous?.kind === source.kind ? previous.options : undefined,
        )
        const action = await upsertDataSource(tx, instanceId, {
          name,
          kind: source.kind,
          options: sealed,
          primaryKey: source.primaryKey,
          columnTypes: source.columnTypes,
          rejectRatio: source.rejectRatio,
          maxShrink: source.maxShrink,
          schedule: source.schedule ?? null,
        })
        // Compared as exported: credentials masked, never shown.
        change(
          'dataSource',
          name,
          action,
          previous && exportedSource(previous, secrets),
          exportedSource({ ...source, options: sealed }, secrets),
        )
        stored.delete(name)
      }
      for (const name of stored.keys()) {
        if (prune) await deleteDataSource(tx, instanceId, name)
        change('dataSource', name, prune ? 'deleted' : 'kept')
      }

      if (config.unify) {
        const before = await getUnifyConfig(tx, instanceId)
        const action = await putUnifyConfig(
          tx,
          instanceId,
          config.unify as unknown as Record<string, unknown>,
        )
        change('unify', 'unify', action, before, config.unify)
      } else if (await getUnifyConfig(tx, instanceId)) {
        if (prune) await deleteUnifyConfig(tx, instanceId)
        change('unify', 'unify', prune ? 'deleted' : 'kept')
      }

      // Measures and segments one by one: those the file names are created or replaced, the
      // others (made in the web UI, or by another file) stay unless pruned.
      const insights = (await getInsightConfig(tx, instanceId)) ?? { measures: {}, segments: {} }
      const merged: InsightConfig = { measures: {}, segments: {} }
      for (const [section, kind] of [
        ['measures', 'measure'],
        ['segments', 'segment'],
      ] as const) {
        const current = insights[section] as Record<string, unknown>
        const wanted = config[section] as Record<string, unknown>
        const result = merged[section] as Record<string, unknown>
        for (const [name, definition] of Object.entries(wanted)) {
          result[name] = definition
          const before = current[name]
          change(
            kind,
            name,
            before === undefined ? 'created' : sameJson(before, definition) ? 'unchanged' : 'updated',
            before,
            definition,
          )
        }
        for (const [name, definition] of Object.entries(current)) {
          if (name in wanted) continue
          if (!prune) result[name] = definition
          change(kind, name, prune ? 'deleted' : 'kept')
        }
      }
      if (!sameJson(insights, merged)) {
        // Every filter, entity and column the file's measures and segments name must resolve
        // (did you mean …?), before anything later fails in a run.
        await assertInsightReferences(
          tx,
          instanceId,
          {
            measures: measuresSchema.parse(insights.measures),
            segments: segmentsSchema.parse(insights.segments),
          },
          {
            measures: measuresSchema.parse(merged.measures),
            segments: segmentsSchema.parse(merged.segments),
          },
        )
        await putInsightConfig(tx, instanceId, merged)
      }

      const flows = new Map(
        (await listFlows(tx, instanceId)).filter((f) => f.origin === 'config').map((f) => [f.name, f]),
      )
      for (const [name, flow] of Object.entries(config.flows ?? {})) {
        const { action } = await saveFlow(tx, instanceId, name, flow, 'config')
        change('flow', name, action, flows.get(name)?.definition, flow)
        flows.delete(name)
      }
      for (const name of flows.keys()) {
        if (prune) await deleteFlow(tx, instanceId, name)
        change('flow', name, prune ? 'deleted' : 'kept')
      }

      const schedule = await getRefreshSchedule(tx, instanceId)
      if (config.schedule || prune) {
        const action = await putRefreshSchedule(tx, instanceId, config.schedule)
        if (action) change('schedule', 'full refresh schedule', action, schedule, config.schedule)
      } else if (schedule) {
        change('schedule', 'full refresh schedule', 'kept')
      }

      // The instance as it now stands must hold together: what the file leaves in place is
      // checked with what it adds.
      const after = configSchema.safeParse(await exportConfig({ db: tx, secrets }, instanceId))
      if (!after.success) {
        const issue = after.error.issues[0]
        const path = issue?.path.map(String).join('.') ?? ''
        const fix = (issue as { params?: { fix?: string } } | undefined)?.params?.fix
        throw new AppError(
          'InvalidConfig',
          `${path}: ${issue?.message} (with what the instance keeps that the file does not mention)${fix ? `; fix: ${fix}` : ''}`,
          { target: path },
        )
      }
      if (options.dryRun) throw new DryRun()
    })
  } catch (error) {
    if (!(error instanceof DryRun)) throw error
  }
  return changes
}

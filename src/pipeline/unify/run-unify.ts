import { rm } from 'node:fs/promises'
import { AppError, coerceError } from '../../errors.js'
import { appendEvent, type UnifyCompletedEventData } from '../../events/index.js'
import { newId } from '../../ids.js'
import { type WatchdogLimits, watched } from '../../jobs/index.js'
import type { DuckDb } from '../../query/index.js'
import { listDataSources } from '../../store/data-sources.js'
import type { Db } from '../../store/database.js'
import { getEntity, publishEntityVersion } from '../../store/entities.js'
import { finishRun, type Run, startRun } from '../../store/runs.js'
import { getUnifyConfig, listUnifyLabels } from '../../store/unify.js'
import { dataLayout } from '../data-layout.js'
import { versionFiles } from '../entity-reader.js'
import { pruneEntityVersions } from '../prune-versions.js'
import type { UnifySourceInput } from '../sql/unify-sql.js'
import { computeUnification, UNIFY_ENTITIES } from './compute-unification.js'
import { readSavedModels } from './saved-model.js'
import { unifyConfigSchema } from './unify-config.js'

export interface UnifyWorkerContext {
  db: Db
  duck: DuckDb
  dataDir: string
  keepVersions: number
  /** When a run that stops moving, or runs too long, is stopped and failed. */
  watchdog: WatchdogLimits
  onEventsAppended: () => void
  log: (message: string) => void
}

/**
 * Runs one unification of an instance: reads the current version of every mapped source,
 * computes the profiles, and publishes UnifiedCustomer, CustomerSourceKeys and MatchPairs with the
 * run's outcome and a `unify.completed` event in one transaction. A failure publishes nothing:
 * the previous profiles stay current, and the event says what went wrong.
 */
export async function runUnify(
  context: UnifyWorkerContext,
  job: { instanceId: string; runId: string },
): Promise<Run | undefined> {
  const { db, instanceId } = { db: context.db, instanceId: job.instanceId }
  if (!(await startRun(db, 'unify', job.runId))) return undefined
  const started = Date.now()
  const outDir = (entity: string) => dataLayout.versionDir(context.dataDir, instanceId, entity, job.runId)
  try {
    const stored = await getUnifyConfig(db, instanceId)
    if (!stored)
      throw new AppError(
        'NoUnifyConfig',
        `instance ${instanceId} has no unify section; add one to openinsights.yaml and apply it`,
        {
          target: 'unify',
        },
      )
    const config = unifyConfigSchema.parse(stored)
    const unmapped = (await listDataSources(db, instanceId))
      .map((s) => s.name)
      // Sources of activities reach profiles through their link; they are not left out.
      .filter((name) => !(name in config.sources) && !(name in config.activities))
    const sources: UnifySourceInput[] = []
    for (const [name, mapping] of Object.entries(config.sources)) {
      const entity = await getEntity(db, instanceId, name)
      if (!entity)
        throw new AppError(
          'SourceNotPublished',
          `data source '${name}' has no published data yet; refresh it first`,
          { target: name },
        )
      const types = Object.fromEntries(entity.current.schema.map((c) => [c.name, c.type]))
      const missing = [
        ...Object.keys(mapping.attributes),
        ...(mapping.updatedAt ? [mapping.updatedAt] : []),
      ].filter((c) => !(c in types))
      if (missing.length > 0)
        throw new AppError(
          'ColumnNotFound',
          `unify.sources.${name} maps column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which the data does not have (it has ${Object.keys(types).join(', ')})`,
          { target: `unify.sources.${name}` },
        )
      sources.push({
        name,
        files: versionFiles(entity.current),
        keyColumn: entity.current.keyColumn ?? (entity.current.schema[0]?.name as string),
        attributes: mapping.attributes,
        updatedAt: mapping.updatedAt,
        types,
      })
    }
    const previous = await getEntity(db, instanceId, 'CustomerSourceKeys')
    const labels = await listUnifyLabels(db, instanceId)
    // The models the previous run saved: rules with `model: keep` use theirs.
    const previousPairs = await getEntity(db, instanceId, 'MatchPairs')
    const saved = previousPairs ? await readSavedModels(previousPairs.current.directory) : undefined
    if (saved && 'problem' in saved)
      context.log(`unify ${job.runId} of ${instanceId}: ${saved.problem}; estimating`)
    const savedModels =
      saved && 'models' in saved && previousPairs
        ? { runId: previousPairs.current.refreshId, models: saved.models }
        : undefined
    const result = await watched(
      context.watchdog,
      { name: `the unification of ${instanceId}`, target: 'unify' },
      (watch) =>
        computeUnification(context.duck, {
          config,
          sources,
          previousKeys: previous ? versionFiles(previous.current) : undefined,
          outDir,
          watch,
          labels,
          savedModels,
        }),
    )
    const finished = await db.transaction().execute(async (tx) => {
      const done = await finishRun(tx, 'unify', job.runId, {
        state: 'succeeded',
        stats: { ...result.stats, durationMs: Date.now() - started },
      })
      if (!done) return undefined
      for (const output of result.outputs) {
        await publishEntityVersion(
          tx,
          {
            id: newId(),
            instanceId,
            entityName: output.entity,
            refreshId: job.runId,
            directory: output.directory,
            rowCount: output.rowCount,
            schema: output.schema,
            partitions: output.partitions,
            keyColumn: output.keyColumn,
          },
          'unify',
        )
      }
      await appendEvent(tx, 'unify.completed', instanceId, {
        instanceId,
        unifyRunId: job.runId,
        status: 'succeeded',
        sourceRecords: result.stats.sourceRecords,
        unifiedProfiles: result.stats.unifiedProfiles,
        matchPairs: result.stats.matchPairs,
        durationMs: done.durationMs ?? Date.now() - started,
        completedAt: done.completedAt ?? new Date().toISOString(),
        unmappedSources: unmapped,
        error: null,
      } satisfies UnifyCompletedEventData)
      return done
    })
    if (!finished) {
      for (const entity of UNIFY_ENTITIES) await rm(outDir(entity), { recursive: true, force: true })
      return undefined
    }
    context.onEventsAppended()
    for (const entity of UNIFY_ENTITIES)
      await pruneEntityVersions(db, instanceId, entity, context.keepVersions)
    context.log(
      `unify ${job.runId} of ${instanceId}: ${result.stats.sourceRecords} records → ${result.stats.unifiedProfiles} profiles in ${Date.now() - started} ms${unmapped.length ? `; not mapped, so not unified: ${unmapped.join(', ')}` : ''}`,
    )
    return finished
  } catch (thrown) {
    for (const entity of UNIFY_ENTITIES) await rm(outDir(entity), { recursive: true, force: true })
    const error = thrown instanceof AppError ? thrown : coerceError(thrown)
    const reason = {
      code: error instanceof AppError ? error.code : 'UnifyFailed',
      message: error.message.split('\n')[0] as string,
    }
    const failed = await db.transaction().execute(async (tx) => {
      const done = await finishRun(tx, 'unify', job.runId, { state: 'failed', error: reason })
      if (!done) return undefined
      await appendEvent(tx, 'unify.completed', instanceId, {
        instanceId,
        unifyRunId: job.runId,
        status: 'failed',
        sourceRecords: null,
        unifiedProfiles: null,
        matchPairs: null,
        durationMs: Date.now() - started,
        completedAt: new Date().toISOString(),
        unmappedSources: [],
        error: reason,
      } satisfies UnifyCompletedEventData)
      return done
    })
    if (failed) context.onEventsAppended()
    context.log(`unify ${job.runId} of ${instanceId} failed: ${reason.code}: ${reason.message}`)
    return failed
  }
}

import { rm } from 'node:fs/promises'
import { z } from 'zod'
import { AppError, coerceError } from '../../errors.js'
import {
  appendEvent,
  appendEvents,
  thresholdCrossings,
  type ValueChange,
  type WatchedThreshold,
  watchedThreshold,
} from '../../events/index.js'
import { newId } from '../../ids.js'
import { type WatchdogLimits, watched } from '../../jobs/index.js'
import type { DuckDb } from '../../query/index.js'
import type { Db, DbOrTx } from '../../store/database.js'
import { listEntities, publishEntityVersion } from '../../store/entities.js'
import { enabledFlowTriggers } from '../../store/flows.js'
import {
  getInsightConfig,
  insertMeasureValues,
  insertSegmentCounts,
  latestMeasureValues,
  latestSegmentCounts,
  type RecordedValue,
  subscribedTriggers,
} from '../../store/insights.js'
import { finishRun, type Run, startRun } from '../../store/runs.js'
import { getUnifyConfig } from '../../store/unify.js'
import { dataLayout } from '../data-layout.js'
import { versionFiles } from '../entity-reader.js'
import { insightNameSchema, measureSchema } from '../measures/measure-config.js'
import { pruneEntityVersions } from '../prune-versions.js'
import { segmentSchema } from '../segments/segment-config.js'
import type { CustomerLink, EntityRef } from '../sql/insights-sql.js'
import { computeInsights, type InsightsResult } from './compute-insights.js'

export const measuresSchema = z.record(insightNameSchema, measureSchema)
export const segmentsSchema = z.record(insightNameSchema, segmentSchema)

export interface InsightsWorkerContext {
  db: Db
  duck: DuckDb
  dataDir: string
  keepVersions: number
  /** When a run that stops moving, or runs too long, is stopped and failed. */
  watchdog: WatchdogLimits
  onEventsAppended: () => void
  log: (message: string) => void
}

/** Thresholds watched by subscriptions, by flows, and by the configuration's own `thresholds` lists. */
async function watchedThresholds(
  db: DbOrTx,
  instanceId: string,
  measures: z.infer<typeof measuresSchema>,
  segments: z.infer<typeof segmentsSchema>,
): Promise<WatchedThreshold[]> {
  const uses = [
    ...(await subscribedTriggers(db, instanceId, ['segment.threshold.crossed', 'measure.threshold.crossed'])),
    ...(await enabledFlowTriggers(db, instanceId)),
  ]
  return [
    ...uses.flatMap((use) => watchedThreshold(use.eventType, use.parameters) ?? []),
    ...Object.entries(measures).flatMap(([name, m]) =>
      m.thresholds.map((threshold) => ({ kind: 'measure' as const, name, threshold })),
    ),
    ...Object.entries(segments).flatMap(([name, s]) =>
      s.thresholds.map((threshold) => ({ kind: 'segment' as const, name, threshold })),
    ),
  ]
}

/** The instance's current entities as measures read them. */
export async function currentEntityRefs(db: DbOrTx, instanceId: string): Promise<Map<string, EntityRef>> {
  return new Map(
    (await listEntities(db, instanceId)).map((e) => [
      e.name,
      {
        name: e.name,
        files: versionFiles(e.current),
        schema: e.current.schema,
        keyColumn: e.current.keyColumn,
      },
    ]),
  )
}

/** The measures, segments and unified sources of an instance, validated. */
export async function loadInsightDefinitions(db: DbOrTx, instanceId: string) {
  const stored = await getInsightConfig(db, instanceId)
  const unify = (await getUnifyConfig(db, instanceId)) as
    | { sources?: Record<string, unknown>; activities?: Record<string, { customer: CustomerLink }> }
    | undefined
  return {
    measures: measuresSchema.parse(stored?.measures ?? {}),
    segments: segmentsSchema.parse(stored?.segments ?? {}),
    unifiedSources: new Set(Object.keys(unify?.sources ?? {})),
    activityLinks: new Map(Object.entries(unify?.activities ?? {}).map(([name, a]) => [name, a.customer])),
  }
}

/**
 * Computes every measure and segment of an instance, then in one transaction: publishes
 * CustomerMeasures, BusinessMeasures and each Segment<Name>, records every value in the history,
 * and appends a threshold event for each watched threshold a value crossed since the last run.
 * The run's end is recorded once (a conditional update), so a retried or restarted job never
 * raises a crossing twice. A failure publishes and records nothing.
 */
export async function runInsights(
  context: InsightsWorkerContext,
  job: { instanceId: string; runId: string },
): Promise<Run | undefined> {
  const { db } = context
  const { instanceId, runId } = job
  if (!(await startRun(db, 'insights', runId))) return undefined
  const started = Date.now()
  const asOf = new Date()
  const outDir = (entity: string) => dataLayout.versionDir(context.dataDir, instanceId, entity, runId)
  let result: InsightsResult | undefined
  try {
    const definitions = await loadInsightDefinitions(db, instanceId)
    const entities = await currentEntityRefs(db, instanceId)
    result = await watched(
      context.watchdog,
      { name: `the measures and segments of ${instanceId}`, target: 'measures' },
      (watch) =>
        computeInsights(context.duck, {
          ...definitions,
          entities,
          asOf,
          outDir,
          watch,
          scratchDir: dataLayout.duckTempDir(context.dataDir),
        }),
    )
    const computed = result
    const stats = {
      measures: Object.keys(definitions.measures).length,
      measureValues: computed.measureValues.length,
      segments: computed.segmentCounts.length,
      segmentMembers: computed.segmentCounts.reduce((sum, c) => sum + c.members, 0),
      durationMs: Date.now() - started,
    }
    const finished = await db.transaction().execute(async (tx) => {
      const done = await finishRun(tx, 'insights', runId, { state: 'succeeded', stats })
      if (!done) return undefined
      for (const output of computed.outputs)
        await publishEntityVersion(
          tx,
          {
            id: newId(),
            instanceId,
            entityName: output.entity,
            refreshId: runId,
            directory: output.directory,
            rowCount: output.rowCount,
            schema: output.schema,
            partitions: output.partitions,
            keyColumn: output.keyColumn,
          },
          'insights',
        )
      const previousMeasures = await latestMeasureValues(tx, instanceId)
      const previousSegments = await latestSegmentCounts(tx, instanceId)
      const measureValues: RecordedValue[] = computed.measureValues.map((v) => ({
        name: v.measure,
        dimension: v.dimension ?? '',
        value: v.value,
      }))
      const segmentValues: RecordedValue[] = computed.segmentCounts.map((c) => ({
        name: c.segment,
        dimension: '',
        value: c.members,
      }))
      const previousOf = (list: RecordedValue[], v: RecordedValue) =>
        list.find((p) => p.name === v.name && p.dimension === v.dimension)?.value ?? null
      const changes: ValueChange[] = [
        ...measureValues.map((v) => ({
          kind: 'measure' as const,
          ...v,
          previous: previousOf(previousMeasures, v),
        })),
        ...segmentValues.map((v) => ({
          kind: 'segment' as const,
          ...v,
          previous: previousOf(previousSegments, v),
        })),
      ]
      await insertMeasureValues(tx, instanceId, runId, asOf, measureValues)
      await insertSegmentCounts(tx, instanceId, runId, asOf, computed.segmentCounts)
      const watched = await watchedThresholds(tx, instanceId, definitions.measures, definitions.segments)
      const events = thresholdCrossings(instanceId, runId, changes, watched)
      await appendEvents(tx, instanceId, events)
      return { run: done, events: events.length }
    })
    if (!finished) {
      for (const output of computed.outputs) await rm(output.directory, { recursive: true, force: true })
      return undefined
    }
    if (finished.events > 0) context.onEventsAppended()
    for (const output of computed.outputs)
      await pruneEntityVersions(db, instanceId, output.entity, context.keepVersions)
    context.log(
      `insights ${runId} of ${instanceId}: ${stats.measures} measures, ${stats.segments} segments (${stats.segmentMembers} members), ${finished.events} threshold events in ${stats.durationMs} ms`,
    )
    return finished.run
  } catch (thrown) {
    for (const output of result?.outputs ?? []) await rm(output.directory, { recursive: true, force: true })
    const error = thrown instanceof AppError ? thrown : coerceError(thrown)
    const reason = {
      code: error instanceof AppError ? error.code : 'InsightsFailed',
      message: error.message.split('\n')[0] as string,
    }
    // Said as an event (not only in the server log), with the run's end, in one transaction.
    const failed = await db.transaction().execute(async (tx) => {
      const ended = await finishRun(tx, 'insights', runId, { state: 'failed', error: reason })
      if (ended && !ended.fullRefreshId)
        await appendEvent(tx, 'insights.run.failed', instanceId, {
          instanceId,
          runId,
          error: reason,
          completedAt: ended.completedAt ?? new Date().toISOString(),
        })
      return ended
    })
    if (failed && !failed.fullRefreshId) context.onEventsAppended()
    context.log(`insights ${runId} of ${instanceId} failed: ${reason.code}: ${reason.message}`)
    return failed
  }
}

import { rm } from 'node:fs/promises'
import { AppError, coerceError } from '../errors.js'
import { appendEvent, type DataSourceRefreshEventData } from '../events/index.js'
import { type WatchdogLimits, watched } from '../jobs/index.js'
import type { DuckDb } from '../query/index.js'
import type { SecretBox } from '../secrets/index.js'
import { type DataSource, getDataSource } from '../store/data-sources.js'
import type { Db } from '../store/database.js'
import { getEntity, publishEntityVersion } from '../store/entities.js'
import {
  finishRefresh,
  type Refresh,
  type RefreshOutcome,
  reportRefreshProgress,
  requeueRefresh,
  startRefresh,
} from '../store/refreshes.js'
import type { RefreshProgress } from '../store/tables.js'
import { dataLayout } from './data-layout.js'
import { pruneEntityVersions } from './prune-versions.js'
import { type IngestProgress, ingestSource } from './sources/ingest.js'
import { openSourceOptions } from './sources/source-secrets.js'

export interface RefreshWorkerContext {
  db: Db
  duck: DuckDb
  dataDir: string
  /** Identifies this process in refresh rows, so a sweeper can tell whose work was abandoned. */
  workerId: string
  /** Versions kept per entity (the current one included) for rollback and slow readers. */
  keepVersions: number
  heartbeatIntervalMs: number
  /** When a refresh that stops moving, or runs too long, is stopped and failed. */
  watchdog: WatchdogLimits
  /** Opens the data source's sealed credentials for its reader. */
  secrets: SecretBox
  /** Called after events were committed, so the dispatcher can pick them up at once. */
  onEventsAppended: () => void
  log: (message: string) => void
}

/**
 * Runs one attempt of a data source refresh: ingest into a new version directory, then publish in
 * one transaction (manifest pointer flip + refresh outcome + event). A failure leaves the current
 * version untouched. Throws only to ask the job queue for another attempt.
 */
export async function runSourceRefresh(
  context: RefreshWorkerContext,
  job: { instanceId: string; refreshId: string; isLastAttempt: boolean },
): Promise<Refresh | undefined> {
  const { db, dataDir } = context
  const refresh = await startRefresh(db, job.refreshId, context.workerId)
  if (!refresh) return undefined // already ended: cancelled, or finished by an earlier attempt
  const versionDir = dataLayout.versionDir(dataDir, job.instanceId, refresh.dataSourceName, refresh.id)
  const controller = new AbortController()
  let progress: RefreshProgress = { phase: 'reading', fraction: 0 }
  const heartbeat = setInterval(() => {
    reportRefreshProgress(db, refresh.id, context.workerId, progress)
      .then((stillOurs) => {
        if (!stillOurs) controller.abort()
      })
      .catch(() => {}) // a missed heartbeat is harmless; many missed ones make the refresh abandoned
  }, context.heartbeatIntervalMs)
  try {
    const stored = await getDataSource(db, job.instanceId, refresh.dataSourceName)
    if (!stored) {
      throw new AppError('DataSourceNotFound', `data source '${refresh.dataSourceName}' was deleted`, {
        target: refresh.dataSourceName,
      })
    }
    const source = { ...stored, options: openSourceOptions(stored.kind, stored.options, context.secrets) }
    // However the ingestion gets stuck (a reader that never returns), the refresh ends.
    const result = await watched(
      context.watchdog,
      { name: `the refresh of '${source.name}'`, target: `dataSources.${source.name}` },
      (watch) =>
        ingestSource(
          context.duck,
          source,
          {
            versionDir,
            rejectsFile: dataLayout.rejectsFile(dataDir, job.instanceId, source.name, refresh.id),
            workDir: dataLayout.workDir(dataDir, job.instanceId, refresh.id),
          },
          {
            signal: AbortSignal.any([controller.signal, watch.signal]),
            onProgress: (p: IngestProgress) => {
              if (p.phase !== progress.phase || p.fraction !== progress.fraction) watch.progress()
              progress = { phase: p.phase, fraction: p.fraction }
            },
          },
        ),
    )
    progress = { phase: 'publishing', fraction: 0.95 }
    if (!refresh.allowShrink) await checkShrink(db, job.instanceId, source, result.rowCount)
    const finished = await db.transaction().execute(async (tx) => {
      const done = await finishRefresh(tx, refresh.id, {
        state: 'succeeded',
        rowCount: result.rowCount,
        rejectedRowCount: result.rejectedRowCount,
        rejectsPath: result.rejectsFile,
        dialect: result.dialect as Record<string, unknown> | undefined,
      })
      if (!done) return undefined // someone ended it meanwhile (cancel, sweeper): publish nothing
      await publishEntityVersion(
        tx,
        {
          id: refresh.id,
          instanceId: job.instanceId,
          entityName: source.name,
          refreshId: refresh.id,
          directory: versionDir,
          rowCount: result.rowCount,
          schema: result.schema,
          partitions: result.partitions,
          keyColumn: source.primaryKey,
        },
        `datasource:${source.name}`,
      )
      await appendEvent(tx, 'datasource.refresh.succeeded', job.instanceId, refreshEventData(done))
      return done
    })
    if (!finished) {
      await rm(versionDir, { recursive: true, force: true })
      return undefined
    }
    context.onEventsAppended()
    await pruneEntityVersions(context.db, job.instanceId, source.name, context.keepVersions)
    context.log(
      `refresh ${refresh.id} of ${source.name} succeeded: ${result.rowCount} rows, ${result.rejectedRowCount} rejected`,
    )
    return finished
  } catch (thrown) {
    await rm(versionDir, { recursive: true, force: true })
    const error = asRefreshError(thrown)
    if (error.retryable && !job.isLastAttempt) {
      await requeueRefresh(db, refresh.id, error)
      context.log(`refresh ${refresh.id} of ${refresh.dataSourceName} will be retried: ${error.message}`)
      throw error
    }
    const failed = await failRefresh(
      db,
      refresh.id,
      error.code === 'RefreshCancelled' ? 'cancelled' : 'failed',
      error,
      {
        rejectsPath: (error.details as { rejectsFile?: string } | undefined)?.rejectsFile ?? null,
        rowCount: (error.details as { rowCount?: number } | undefined)?.rowCount ?? null,
        rejectedRowCount:
          (error.details as { rejectedRowCount?: number } | undefined)?.rejectedRowCount ?? null,
      },
    )
    if (failed) context.onEventsAppended()
    context.log(`refresh ${refresh.id} of ${refresh.dataSourceName} failed: ${error.code}: ${error.message}`)
    // A retryable error on the last attempt goes to the dead-letter queue for an operator to see.
    if (error.retryable) throw error
    return failed
  } finally {
    clearInterval(heartbeat)
  }
}

/**
 * Holds a refresh that would remove more of the entity's rows than the source allows (a
 * header-only export, a half-written file): it fails with the counts, and the current version
 * stays published until the user confirms with allowShrink or raises maxShrink.
 */
async function checkShrink(db: Db, instanceId: string, source: DataSource, rowCount: number): Promise<void> {
  const current = (await getEntity(db, instanceId, source.name))?.current.rowCount ?? 0
  if (current === 0 || rowCount >= current * (1 - source.maxShrink)) return
  const removed = ((current - rowCount) / current) * 100
  throw new AppError(
    'RefreshShrank',
    `data source '${source.name}': the new data has ${rowCount.toLocaleString('en-US')} rows where the published data has ${current.toLocaleString('en-US')} (${removed.toFixed(removed < 99.95 ? 1 : 0)}% fewer), more than the ${(source.maxShrink * 100).toFixed(0)}% a refresh may remove; the published data stays. If the new data is right, refresh again confirming it (openinsights refresh --source ${source.name} --allow-shrink, or allowShrink: true), or raise maxShrink for this source`,
    { target: `dataSources.${source.name}.maxShrink`, details: { rowCount } },
  )
}

/** Ends a refresh as failed (or cancelled) and appends its event, in one transaction. */
export async function failRefresh(
  db: Db,
  refreshId: string,
  state: 'failed' | 'cancelled',
  error: { code: string; message: string },
  counts: { rowCount: number | null; rejectedRowCount: number | null; rejectsPath: string | null } = {
    rowCount: null,
    rejectedRowCount: null,
    rejectsPath: null,
  },
): Promise<Refresh | undefined> {
  return db.transaction().execute(async (tx) => {
    const outcome: RefreshOutcome = { state, ...counts, error: { code: error.code, message: error.message } }
    const done = await finishRefresh(tx, refreshId, outcome)
    if (done) await appendEvent(tx, 'datasource.refresh.failed', done.instanceId, refreshEventData(done))
    return done
  })
}

export function refreshEventData(refresh: Refresh): DataSourceRefreshEventData {
  return {
    instanceId: refresh.instanceId,
    dataSourceName: refresh.dataSourceName,
    refreshId: refresh.id,
    startedAt: refresh.startedAt ?? refresh.requestedAt,
    completedAt: refresh.completedAt ?? new Date().toISOString(),
    rowCount: refresh.rowCount,
    rejectedRowCount: refresh.rejectedRowCount,
    error: refresh.error,
  }
}

function asRefreshError(thrown: unknown): AppError {
  if (thrown instanceof AppError) return thrown
  const error = coerceError(thrown)
  // Unknown failures (a lost control-plane connection, a full disk) may pass: try again.
  return new AppError('RefreshFailed', error.message, { retryable: true, cause: error })
}

/** Drops versions beyond the newest `keepVersions` of an entity, rows first, then files. */

import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { notFound } from '../../errors.js'
import { type DuckDb, literal, SqlSession, sql } from '../../query/index.js'
import type { Db } from '../../store/database.js'
import { listEntityVersions } from '../../store/entities.js'
import { getRun } from '../../store/runs.js'
import type { MatchModel } from './match-model.js'
import { readSavedModels } from './saved-model.js'

/** Beside each run's CustomerSourceKeys: the records whose profile changed since the previous run. */
export const RUN_CHANGES_FILE = 'changes.parquet'

export interface RecordChange {
  change: 'added' | 'removed' | 'moved'
  source: string
  key: string
  customerBefore: string | null
  customerAfter: string | null
}

/** One comparison of a run's model beside the previous run's: each level's weight in bits. */
export interface ModelChange {
  rule: string
  keptFrom: string | null
  threshold: number
  previousThreshold: number | null
  expected: { precision: number; recall: number }
  previousExpected: { precision: number; recall: number } | null
  comparisons: {
    attribute: string
    levels: { level: string; bits: number; previousBits: number | null }[]
  }[]
}

export interface RunChanges {
  runId: string
  /** The run this one is compared with; null for the first run. */
  previousRunId: string | null
  counts: {
    recordsAdded: number
    recordsRemoved: number
    recordsMoved: number
    customersAdded: number
    customersRemoved: number
  } | null
  models: ModelChange[]
  /** The first `top` records whose profile changed, moved first. */
  records: RecordChange[]
  /** False when the run's files are gone (older than the versions kept). */
  available: boolean
}

const bitsOf = (c: MatchModel['comparisons'][number]) =>
  c.m.map((m, i) => Math.log2(Math.max(m, 1e-6) / Math.max(c.u[i] as number, 1e-6)))

/**
 * What a unification run changed since the one before it: counts, the records whose profile
 * changed (added, removed, moved to another CustomerId), and each match model beside the
 * previous run's — kept or re-estimated, its threshold and each level's weight before and after.
 */
export async function runChanges(
  duck: DuckDb,
  db: Db,
  instanceId: string,
  runId: string,
  top: number,
): Promise<RunChanges> {
  const run = await getRun(db, 'unify', instanceId, runId)
  if (!run) throw notFound('Unify run', runId)
  const stats = run.stats ?? {}
  const counts =
    stats.recordsMoved === undefined
      ? null
      : {
          recordsAdded: stats.recordsAdded ?? 0,
          recordsRemoved: stats.recordsRemoved ?? 0,
          recordsMoved: stats.recordsMoved ?? 0,
          customersAdded: stats.customersAdded ?? 0,
          customersRemoved: stats.customersRemoved ?? 0,
        }
  // The run's own versions, and (newest first) the one before it: the run it is compared with.
  const keyVersions = await listEntityVersions(db, instanceId, 'CustomerSourceKeys')
  const at = keyVersions.findIndex((v) => v.refreshId === runId)
  const keys = keyVersions[at]
  const previousRunId = at >= 0 ? (keyVersions[at + 1]?.refreshId ?? null) : null
  const pairs = (await listEntityVersions(db, instanceId, 'MatchPairs')).find((v) => v.refreshId === runId)
  const file = keys && join(keys.directory, RUN_CHANGES_FILE)
  let records: RecordChange[] = []
  if (file && existsSync(file)) {
    const session = await SqlSession.open(duck)
    try {
      records = (
        await session.rows<Record<string, string | null>>(
          sql`select * from read_parquet(${literal(file)})
            order by case Change when 'moved' then 0 when 'added' then 1 else 2 end, SourceName, SourceKey limit ${top}`,
        )
      ).map((r) => ({
        change: r.Change as RecordChange['change'],
        source: String(r.SourceName),
        key: String(r.SourceKey),
        customerBefore: r.CustomerIdBefore ?? null,
        customerAfter: r.CustomerIdAfter ?? null,
      }))
    } finally {
      session.close()
    }
  }
  const models: ModelChange[] = []
  const saved = pairs ? await readSavedModels(pairs.directory) : undefined
  if (saved && 'models' in saved) {
    for (const [rule, model] of Object.entries(saved.models)) {
      const before = saved.previous?.models[rule]
      models.push({
        rule,
        keptFrom: model.keptFrom ?? null,
        threshold: model.threshold,
        previousThreshold: before?.threshold ?? null,
        expected: { precision: model.expected.precision, recall: model.expected.recall },
        previousExpected: before
          ? { precision: before.expected.precision, recall: before.expected.recall }
          : null,
        comparisons: model.comparisons.map((c) => {
          const old = before?.comparisons.find((b) => b.attribute === c.attribute && b.kind === c.kind)
          const now = bitsOf(c)
          const then = old ? bitsOf(old) : undefined
          return {
            attribute: c.attribute,
            levels: c.levels.map((level, i) => ({
              level,
              bits: now[i] as number,
              previousBits: then?.[i] ?? null,
            })),
          }
        }),
      })
    }
  }
  return {
    runId,
    previousRunId,
    counts,
    models,
    records,
    available: keys !== undefined,
  }
}

import { CompiledQuery } from 'kysely'
import { type Db as BossDb, PgBoss } from 'pg-boss'
import { coerceError } from '../errors.js'
import type { Db, DbOrTx } from '../store/database.js'

/** Data of each job kind, by queue name. */
export interface JobDataByQueue {
  'datasource-refresh': { instanceId: string; refreshId: string }
  unify: { instanceId: string; runId: string }
  insights: { instanceId: string; runId: string }
  'full-refresh': { instanceId: string; fullRefreshId: string }
  /** Each minute: start the full refreshes whose cron slot has come. */
  'refresh-schedule': Record<string, never>
}

export type QueueName = keyof JobDataByQueue

export interface QueuePolicy {
  /** Retries after the first attempt. */
  retryLimit: number
  retryDelaySeconds: number
  /** Exponential backoff between retries (pg-boss adds jitter). */
  retryBackoff: boolean
  /** A job not finished in this time counts as failed (its worker died) and is retried. */
  expireInSeconds: number
}

export const DEFAULT_QUEUE_POLICIES: Record<QueueName, QueuePolicy> = {
  'datasource-refresh': {
    retryLimit: 2,
    retryDelaySeconds: 5,
    retryBackoff: true,
    expireInSeconds: 3 * 3600,
  },
  // A unify run records its own failure; a retry only covers a worker that died.
  unify: {
    retryLimit: 1,
    retryDelaySeconds: 5,
    retryBackoff: true,
    expireInSeconds: 3 * 3600,
  },
  insights: {
    retryLimit: 1,
    retryDelaySeconds: 5,
    retryBackoff: true,
    expireInSeconds: 3 * 3600,
  },
  // The orchestrator only waits on other jobs; a retry resumes it where it stood.
  'full-refresh': {
    retryLimit: 3,
    retryDelaySeconds: 5,
    retryBackoff: true,
    expireInSeconds: 12 * 3600,
  },
  'refresh-schedule': {
    retryLimit: 0,
    retryDelaySeconds: 5,
    retryBackoff: false,
    expireInSeconds: 300,
  },
}

/** A job as a handler receives it, with what it needs to know about retries. */
export interface Job<Q extends QueueName> {
  id: string
  queue: Q
  data: JobDataByQueue[Q]
  retryCount: number
  retryLimit: number
  /** True when failing now sends the job to the dead-letter queue instead of retrying it. */
  isLastAttempt: boolean
}

export interface JobQueue {
  /** Enqueues a job in the caller's transaction: it exists exactly when that commits. */
  send<Q extends QueueName>(
    tx: DbOrTx,
    queue: Q,
    data: JobDataByQueue[Q],
    options?: { startAfterSeconds?: number },
  ): Promise<string>
  /**
   * Wakes this process's idle workers of `queue` now instead of at their next poll. Call it after
   * the transaction that sent jobs has committed (before, they would find nothing).
   */
  nudge(queue: QueueName): void
  /** Runs `handler` for jobs of `queue`, `concurrency` at a time. A throw fails the attempt. */
  work<Q extends QueueName>(
    queue: Q,
    concurrency: number,
    handler: (job: Job<Q>) => Promise<void>,
  ): Promise<void>
  /** Sends a job to `queue` on a cron schedule (UTC), once across all processes. */
  schedule(queue: QueueName, cron: string): Promise<void>
  stop(): Promise<void>
}

export const deadLetterQueue = (queue: QueueName): string => `${queue}-dead`

const BOSS_SCHEMA = 'pgboss'

/** pg-boss 10's schema version; pg-boss 12 migrates from version 25 (pg-boss 11) on. */
const PG_BOSS_10_VERSION = 24
const PG_BOSS_10_SCHEMA = `${BOSS_SCHEMA}_v10`

/**
 * Stores made before pg-boss 12 hold pg-boss 10's schema (version 24). pg-boss 12 does not migrate
 * it (it asks for version 25 or above) and pg-boss 11 has no migration from it either: 11 was a
 * new schema. So the old schema is set aside under another name, pg-boss 12 makes its own, and the
 * jobs still to run are carried over (carryOverPgBoss10Jobs). Nothing is dropped: the old schema
 * stays as `pgboss_v10` with its history until someone drops it.
 *
 * Returns whether a pg-boss 10 schema was set aside now.
 */
export async function setAsidePgBoss10(db: Db): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const version = await schemaVersion(tx, BOSS_SCHEMA)
    if (version === undefined || version > PG_BOSS_10_VERSION) return false
    if ((await schemaVersion(tx, PG_BOSS_10_SCHEMA)) !== undefined) {
      throw new Error(
        `both ${BOSS_SCHEMA} and ${PG_BOSS_10_SCHEMA} hold pg-boss 10's schema; drop the one not in use`,
      )
    }
    await tx.executeQuery(CompiledQuery.raw(`alter schema ${BOSS_SCHEMA} rename to ${PG_BOSS_10_SCHEMA}`))
    await tx.executeQuery(
      CompiledQuery.raw(`create table ${PG_BOSS_10_SCHEMA}.carried_over (at timestamptz, jobs int)`),
    )
    return true
  })
}

async function tableExists(db: DbOrTx, table: string): Promise<boolean> {
  const found = await db.executeQuery<{ table: string | null }>(
    CompiledQuery.raw('select to_regclass($1)::text as table', [table]),
  )
  return Boolean(found.rows[0]?.table)
}

async function schemaVersion(db: DbOrTx, schema: string): Promise<number | undefined> {
  if (!(await tableExists(db, `${schema}.version`))) return undefined
  const found = await db.executeQuery<{ version: number }>(
    CompiledQuery.raw(`select version::int as version from ${schema}.version`),
  )
  return found.rows[0]?.version
}

interface PendingJob {
  id: string
  name: QueueName
  data: object
  start_after: Date
}

/**
 * Sends the jobs the set-aside pg-boss 10 schema had still to run (created, retry, or active when
 * its worker stopped) to the new queues, with their ids and start times, in one transaction that
 * also records it was done: a crash before the commit carries them over at the next start, and
 * never twice. Returns how many were carried over now.
 */
async function carryOverPgBoss10Jobs(db: Db, boss: PgBoss, queues: QueueName[]): Promise<number> {
  if (!(await tableExists(db, `${PG_BOSS_10_SCHEMA}.carried_over`))) return 0
  return db.transaction().execute(async (tx) => {
    const marks = await tx.executeQuery(
      CompiledQuery.raw(`select 1 from ${PG_BOSS_10_SCHEMA}.carried_over for update`),
    )
    if (marks.rows.length > 0) return 0
    const pending = await tx.executeQuery<PendingJob>(
      CompiledQuery.raw(
        `select id::text as id, name, coalesce(data, '{}'::jsonb) as data, start_after
           from ${PG_BOSS_10_SCHEMA}.job
          where state in ('created', 'retry', 'active') and name = any($1::text[])
          order by created_on`,
        [queues],
      ),
    )
    for (const job of pending.rows) {
      await boss.send(job.name, job.data, { id: job.id, startAfter: job.start_after, db: executorFor(tx) })
    }
    await tx.executeQuery(
      CompiledQuery.raw(`insert into ${PG_BOSS_10_SCHEMA}.carried_over values (now(), $1)`, [
        pending.rows.length,
      ]),
    )
    return pending.rows.length
  })
}

/**
 * Jobs on pg-boss over the control-plane database: retries with backoff, a dead-letter queue per
 * kind, and expiry that hands a dead worker's job to another one.
 */
export async function startJobQueue(options: {
  /** pg-boss runs its statements through the control-plane pool: one session model for both modes. */
  db: Db
  policies?: Partial<Record<QueueName, QueuePolicy>>
  onError?: (error: Error) => void
  /** Told once when the store's job queue was upgraded in place. */
  onNotice?: (message: string) => void
  pollingIntervalSeconds?: number
  /** Keep pg-boss's cron clock (default true); a short-lived CLI process does without. */
  schedules?: boolean
}): Promise<JobQueue> {
  const setAside = await setAsidePgBoss10(options.db)
  const boss = new PgBoss({
    db: executorFor(options.db),
    schema: BOSS_SCHEMA,
    schedule: options.schedules !== false,
  })
  boss.on('error', (error: unknown) => options.onError?.(coerceError(error)))
  await boss.start()
  const policies = { ...DEFAULT_QUEUE_POLICIES, ...options.policies }
  for (const [queue, policy] of Object.entries(policies) as [QueueName, QueuePolicy][]) {
    const dead = deadLetterQueue(queue)
    await boss.createQueue(dead)
    const settings = {
      name: queue,
      retryLimit: policy.retryLimit,
      retryDelay: Math.ceil(policy.retryDelaySeconds),
      retryBackoff: policy.retryBackoff,
      expireInSeconds: policy.expireInSeconds,
      deadLetter: dead,
    }
    await boss.createQueue(queue, settings)
    await boss.updateQueue(queue, settings)
  }
  const carried = await carryOverPgBoss10Jobs(options.db, boss, Object.keys(policies) as QueueName[])
  if (setAside || carried > 0) {
    options.onNotice?.(
      `job queue: pg-boss 10's schema kept as ${PG_BOSS_10_SCHEMA} (drop it when no longer wanted); ${carried} job(s) still to run carried over to pg-boss 12`,
    )
  }
  const pollingIntervalSeconds = options.pollingIntervalSeconds ?? 0.5
  const workerIds = new Map<QueueName, string[]>()

  return {
    async send(tx, queue, data, sendOptions = {}) {
      const id = await boss.send(queue, data as object, {
        db: executorFor(tx),
        ...(sendOptions.startAfterSeconds ? { startAfter: Math.ceil(sendOptions.startAfterSeconds) } : {}),
      })
      if (!id) throw new Error(`pg-boss refused a job for ${queue}`)
      return id
    },
    async schedule(queue, cron) {
      await boss.schedule(queue, cron, {}, { tz: 'UTC' })
    },
    nudge(queue) {
      for (const id of workerIds.get(queue) ?? []) boss.notifyWorker(id)
    },
    async work(queue, concurrency, handler) {
      for (let i = 0; i < concurrency; i++) {
        let id = ''
        const workOptions = { batchSize: 1, includeMetadata: true, pollingIntervalSeconds } as const
        id = await boss.work<JobDataByQueue[typeof queue], unknown, typeof workOptions>(
          queue,
          workOptions,
          async ([job]) => {
            if (!job) return
            // Found one: look for the next at once rather than after the poll interval.
            boss.notifyWorker(id)
            await handler({
              id: job.id,
              queue,
              data: job.data,
              retryCount: job.retryCount,
              retryLimit: job.retryLimit,
              isLastAttempt: job.retryCount >= job.retryLimit,
            })
          },
        )
        workerIds.set(queue, [...(workerIds.get(queue) ?? []), id])
      }
    },
    async stop() {
      await boss.stop({ graceful: true, timeout: 10_000 })
    },
  }
}

/** Lets pg-boss run its statements on a Kysely connection or transaction. */
function executorFor(db: DbOrTx): BossDb {
  return {
    async executeSql(text: string, values?: unknown[]) {
      const result = await db.executeQuery(CompiledQuery.raw(text, values ?? []))
      return { rows: result.rows }
    },
  }
}

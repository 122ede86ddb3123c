import { CompiledQuery } from 'kysely'
import PgBoss from 'pg-boss'
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

/**
 * Jobs on pg-boss over the control-plane database: retries with backoff, a dead-letter queue per
 * kind, and expiry that hands a dead worker's job to another one.
 */
export async function startJobQueue(options: {
  /** pg-boss runs its statements through the control-plane pool: one session model for both modes. */
  db: Db
  policies?: Partial<Record<QueueName, QueuePolicy>>
  onError?: (error: Error) => void
  pollingIntervalSeconds?: number
  /** Keep pg-boss's cron clock (default true); a short-lived CLI process does without. */
  schedules?: boolean
}): Promise<JobQueue> {
  const boss = new PgBoss({
    db: executorFor(options.db),
    schema: 'pgboss',
    schedule: options.schedules !== false,
  })
  boss.on('error', (error) => options.onError?.(coerceError(error)))
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
        id = await boss.work<JobDataByQueue[typeof queue]>(
          queue,
          { batchSize: 1, includeMetadata: true, pollingIntervalSeconds },
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
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 })
    },
  }
}

/** Lets pg-boss run its statements on a Kysely connection or transaction. */
function executorFor(db: DbOrTx): PgBoss.Db {
  return {
    async executeSql(text: string, values?: unknown[]) {
      const result = await db.executeQuery(CompiledQuery.raw(text, values ?? []))
      return { rows: result.rows }
    },
  } as PgBoss.Db
}

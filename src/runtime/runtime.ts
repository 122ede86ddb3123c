import { hostname } from 'node:os'
import { startDeliveryWorker, webhookSubscriber } from '../connector/webhooks/index.js'
import { type Dispatcher, listenForEvents, SubscriberRegistry, startDispatcher } from '../events/index.js'
import { flowTrigger, runDueRecurrences, startFlowRunWorker } from '../flows/index.js'
import { newId } from '../ids.js'
import { DEFAULT_QUEUE_POLICIES, type JobQueue, startJobQueue } from '../jobs/index.js'
import { OutboundGuard, type Resolver } from '../outbound/index.js'
import {
  dataLayout,
  openDuckDb,
  recoverAbandonedRefreshes,
  runSourceRefresh,
  sealClearSourceSecrets,
} from '../pipeline/index.js'
import { insightsTrigger, runInsights } from '../pipeline/insights/index.js'
import { runFullRefresh } from '../pipeline/refresh.js'
import { runDueSchedules, runDueSourceSchedules } from '../pipeline/refresh-schedule.js'
import { runUnify, unifyTrigger } from '../pipeline/unify/index.js'
import type { DuckDb } from '../query/index.js'
import { SecretBox } from '../secrets/index.js'
import { type Db, openDatabase } from '../store/database.js'
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../store/embedded-postgres.js'
import { autovacuumOff } from '../store/maintenance.js'
import { migrate } from '../store/migrate.js'
import { startEmbeddedMaintenance } from './embedded-maintenance.js'
import type { Logger } from './logger.js'
import type { Settings } from './settings.js'

/** What a process does: serve the API, run jobs, or both (the embedded default). */
export type Role = 'api' | 'worker' | 'all'

export interface RuntimeOptions {
  settings: Settings
  role: Role
  logger: Logger
  /** Webhook deliveries sent at once by this process: two batches of half this (default 64). */
  deliveryConcurrency?: number
  /** Flow runs executed at once by this process (default 32). */
  flowConcurrency?: number
  /** Embedded mode: how long a run started without a claim runs before it is marked running (default 1 s). */
  flowMarkAfterMs?: number
  /** Data source refreshes run at once by this process. */
  refreshConcurrency?: number
  /** How often a running refresh records its progress and proves it is alive (default 1 s). */
  heartbeatIntervalMs?: number
  /** A running refresh without a heartbeat for this long is failed as abandoned (server mode). */
  abandonAfterMs?: number
  /** Run scheduled full refreshes (default true; a CLI process working in the store says false). */
  schedules?: boolean
  /**
   * How often the dispatcher looks for events nobody told it about (default 1 s). In server mode
   * events committed by other processes wake it at once (LISTEN/NOTIFY); this is the fallback.
   */
  eventPollIntervalMs?: number
  /** Embedded mode: how often to look for tables to vacuum and analyze (default 10 s). */
  maintenanceIntervalMs?: number
  /** Resolves host names for outbound calls (default: the system's resolver; tests give their own). */
  resolver?: Resolver
}

/** An open instance of openinsights: the control plane, the data plane and the workers. */
export interface Runtime {
  settings: Settings
  role: Role
  mode: 'embedded' | 'server'
  logger: Logger
  db: Db
  duck: DuckDb
  jobs: JobQueue
  /** Seals and opens secrets at rest (flow secrets, data sources' credentials). */
  secrets: SecretBox
  /** The one gate of every outbound call: webhook deliveries, subscriptions' callback URLs, flow actions. */
  outbound: OutboundGuard
  subscribers: SubscriberRegistry
  workerId: string
  /** Wakes the dispatcher after events were committed (a no-op in an API-only process). */
  nudgeEvents(): void
  /** Wakes this process's flow run worker (after a run was started or re-run; a no-op in an API-only process). */
  nudgeFlowRuns(): void
  /** Wakes this process's webhook delivery worker (after a redrive; a no-op in an API-only process). */
  nudgeDeliveries(): void
  /** Dispatches every pending event now; for tests and one-shot CLI runs. */
  drainEvents(): Promise<number>
  close(): Promise<void>
}

export async function openRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { settings, logger } = options
  const closers: (() => Promise<void>)[] = []
  const close = async () => {
    for (const closer of closers.reverse())
      await closer().catch((e: unknown) => logger.warn(`while closing: ${String(e)}`))
  }
  try {
    const connectionString = settings.databaseUrl
    let embedded: EmbeddedPostgres | undefined
    if (!connectionString) {
      embedded = await startEmbeddedPostgres(settings.pgliteDir)
      closers.push(() => embedded!.close())
    }
    // PGlite is one session: a single connection serves Kysely and pg-boss alike (see embedded-postgres.ts).
    const db = embedded
      ? openDatabase({
          connectionString: 'postgres://postgres@localhost/postgres',
          stream: embedded.stream,
          maxConnections: 1,
        })
      : openDatabase({ connectionString: connectionString as string, maxConnections: 10 })
    closers.push(() => db.destroy())
    await migrate(db)
    const maintain = (shared: boolean) => {
      const maintenance = startEmbeddedMaintenance({
        db,
        shared,
        ...(options.maintenanceIntervalMs ? { intervalMs: options.maintenanceIntervalMs } : {}),
        onError: (error) => logger.warn(`store maintenance: ${error.message}`),
        log: (message) => logger.debug(message),
      })
      closers.push(() => maintenance.stop())
    }
    // PGlite has no autovacuum: this process sees to its tables (dead rows, statistics).
    if (embedded) maintain(false)
    else if (options.role !== 'api') {
      // Server mode leaves its tables to PostgreSQL's autovacuum; a server with it off would let
      // the queue tables (flow_runs, event_outbox, deliveries, pg-boss's jobs) grow for ever.
      const { off, statisticsOff } = await autovacuumOff(db)
      if (statisticsOff)
        logger.warn(
          "PostgreSQL's track_counts is off: autovacuum cannot work and neither can openinsights' own vacuuming; the queue tables (flow_runs, event_outbox, deliveries) will only grow. Turn track_counts on.",
        )
      else if (off) {
        logger.warn(
          "PostgreSQL's autovacuum is off: the job processes vacuum openinsights' tables themselves, one at a time (turn autovacuum on to leave it to PostgreSQL).",
        )
        maintain(true)
      }
    }

    const duck = await openDuckDb({ tempDir: dataLayout.duckTempDir(settings.dataDir) })
    closers.push(async () => duck.closeSync())

    const watchdog = {
      stallMs: settings.jobStallSeconds * 1000,
      maxMs: settings.jobTimeoutSeconds * 1000,
    }
    // pg-boss hands a job to another worker when it expires: only once the watchdog has had its say.
    const expireInSeconds = Math.ceil(settings.jobTimeoutSeconds + 600)
    const jobs = await startJobQueue({
      db,
      onNotice: (message) => logger.info(message),
      schedules: options.schedules !== false,
      policies: {
        'datasource-refresh': {
          ...DEFAULT_QUEUE_POLICIES['datasource-refresh'],
          retryLimit: settings.refreshRetries,
          retryDelaySeconds: settings.refreshRetryDelaySeconds,
          expireInSeconds,
        },
        unify: { ...DEFAULT_QUEUE_POLICIES.unify, expireInSeconds },
        insights: { ...DEFAULT_QUEUE_POLICIES.insights, expireInSeconds },
        'full-refresh': { ...DEFAULT_QUEUE_POLICIES['full-refresh'], expireInSeconds: 3 * expireInSeconds },
      },
      onError: (error) => logger.warn(`job queue: ${error.message}`),
    })
    closers.push(() => jobs.stop())

    const secrets = SecretBox.forHome(settings.home)
    await sealClearSourceSecrets(db, secrets)
    const outbound = new OutboundGuard(settings.outboundPolicy, options.resolver)
    closers.push(() => outbound.close())
    const subscribers = new SubscriberRegistry()
    const workerId = `${hostname()}:${process.pid}:${newId()}`
    let dispatcher: Dispatcher | undefined
    let nudgeDeliveries = () => {}
    let nudgeFlowRuns = () => {}
    const runtime: Runtime = {
      settings,
      role: options.role,
      mode: embedded ? 'embedded' : 'server',
      logger,
      db,
      duck,
      jobs,
      secrets,
      outbound,
      subscribers,
      workerId,
      nudgeEvents: () => dispatcher?.nudge(),
      nudgeDeliveries: () => nudgeDeliveries(),
      nudgeFlowRuns: () => nudgeFlowRuns(),
      drainEvents: async () => (dispatcher ? dispatcher.drain() : 0),
      close,
    }

    if (options.role !== 'api') {
      // Embedded mode: the store admits this process only, so every running refresh is an orphan.
      const abandoned = await recoverAbandonedRefreshes(
        db,
        settings.dataDir,
        embedded ? { allRunning: true } : { heartbeatOlderThanMs: options.abandonAfterMs ?? 60_000 },
      )
      for (const r of abandoned)
        logger.warn(`refresh ${r.id} of ${r.dataSourceName} was interrupted; marked failed`)
      // Then, in either mode, any refresh whose heartbeat stops (a dead process, a job lost
      // before it recorded its end) is failed with its event: none stays running for ever.
      const abandonAfterMs = options.abandonAfterMs ?? 60_000
      const sweep = setInterval(
        () => {
          recoverAbandonedRefreshes(db, settings.dataDir, { heartbeatOlderThanMs: abandonAfterMs })
            .then((found) => {
              for (const r of found)
                logger.warn(`refresh ${r.id} of ${r.dataSourceName} stopped without ending; marked failed`)
              if (found.length > 0) runtime.nudgeEvents()
            })
            .catch((e: unknown) => logger.warn(`abandoned-refresh sweep: ${String(e)}`))
        },
        Math.min(30_000, abandonAfterMs / 2),
      )
      closers.push(async () => clearInterval(sweep))

      const deliveryWorker = startDeliveryWorker({
        db,
        schedule: settings.deliverySchedule,
        timeoutSeconds: settings.deliveryTimeoutSeconds,
        outbound,
        batchSize: Math.max(1, Math.floor((options.deliveryConcurrency ?? 64) / 2)),
        log: (message: string) => logger.info(message),
        onError: (error) => logger.warn(`webhook delivery: ${error.message}`),
      })
      nudgeDeliveries = deliveryWorker.nudge
      closers.push(() => deliveryWorker.stop())
      subscribers.add(webhookSubscriber(() => deliveryWorker.nudge()))

      // Unify and insights runs work from the same context: the store, DuckDB, the data folder.
      const runContext = {
        db,
        duck,
        dataDir: settings.dataDir,
        keepVersions: 3,
        watchdog,
        onEventsAppended: runtime.nudgeEvents,
        log: (message: string) => logger.info(message),
      }
      subscribers.add(unifyTrigger(jobs))
      await jobs.work('unify', 1, async (job) => {
        await runUnify(runContext, job.data)
      })

      subscribers.add(insightsTrigger(jobs))
      await jobs.work('insights', 1, async (job) => {
        await runInsights(runContext, job.data)
      })
      if (options.schedules !== false) {
        await jobs.schedule('refresh-schedule', '* * * * *')
        await jobs.work('refresh-schedule', 1, async () => {
          const started = await runDueSchedules(db, jobs)
          if (started.length) logger.info(`scheduled full refresh of ${started.join(', ')}`)
          const refreshed = await runDueSourceSchedules(db, jobs)
          if (refreshed.length) logger.info(`scheduled refresh of ${refreshed.join(', ')}`)
          const scheduledRuns = await runDueRecurrences(db)
          if (scheduledRuns.length) {
            logger.info(`started ${scheduledRuns.length} scheduled flow run(s)`)
            runtime.nudgeFlowRuns()
          }
        })
      }
      const flowEngine = {
        secrets,
        db,
        duck,
        dataDir: settings.dataDir,
        outbound,
        leaseSeconds: settings.flowLeaseSeconds,
        retryScale: settings.flowRetryScale,
        onEventsAppended: runtime.nudgeEvents,
        log: (message: string) => logger.info(message),
      }
      const flowWorker = startFlowRunWorker({
        ...flowEngine,
        batchSize: options.flowConcurrency ?? 32,
        // The embedded store admits this process only: its worker is the only one.
        sole: embedded !== undefined,
        ...(options.flowMarkAfterMs ? { markAfterMs: options.flowMarkAfterMs } : {}),
        pollIntervalMs: Math.min(1000, settings.flowLeaseSeconds * 500),
        onError: (error) => logger.warn(`flow runs: ${error.message}`),
      })
      nudgeFlowRuns = flowWorker.nudge
      closers.push(() => flowWorker.stop())
      subscribers.add(flowTrigger(flowWorker))
      await jobs.work('full-refresh', 1, async (job) => {
        await runFullRefresh(
          {
            db,
            jobs,
            maxMs: 3 * watchdog.maxMs,
            onEventsAppended: runtime.nudgeEvents,
            log: (message) => logger.info(message),
          },
          job.data,
        )
      })

      await jobs.work('datasource-refresh', options.refreshConcurrency ?? 2, async (job) => {
        await runSourceRefresh(
          {
            db,
            duck,
            dataDir: settings.dataDir,
            workerId,
            keepVersions: 3,
            heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1_000,
            watchdog,
            secrets,
            onEventsAppended: runtime.nudgeEvents,
            log: (message) => logger.info(message),
          },
          { ...job.data, isLastAttempt: job.isLastAttempt },
        )
      })

      // The dispatcher starts last: its first look takes every waiting event, and each must reach
      // every subscriber (an event dispatched before the flows subscriber was added would never
      // start its flows' runs).
      const activeDispatcher = startDispatcher({
        db,
        registry: subscribers,
        ...(options.eventPollIntervalMs ? { pollIntervalMs: options.eventPollIntervalMs } : {}),
        onError: (error) => logger.warn(`event dispatch: ${error.message}`),
      })
      dispatcher = activeDispatcher
      closers.push(() => activeDispatcher.stop())
      if (connectionString) {
        // Events other processes append (an API process, another worker) wake this dispatcher at once.
        const stopListening = await listenForEvents(
          connectionString,
          () => activeDispatcher.nudge(),
          (error) => logger.warn(`event notifications: ${error.message}`),
        ).catch((error: unknown) => {
          logger.warn(`event notifications unavailable, polling instead: ${String(error)}`)
          return async () => {}
        })
        closers.push(stopListening)
      }
    }
    return runtime
  } catch (error) {
    await close()
    throw error
  }
}

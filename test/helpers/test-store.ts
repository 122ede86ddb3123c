import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inject } from 'vitest'
import type { Resolver } from '../../src/outbound/index.js'
import {
  createLogger,
  openRuntime,
  type Role,
  type Runtime,
  readSettings,
  type Settings,
} from '../../src/runtime/index.js'
import { adminQuery, databaseUrl } from './postgres.js'

export type StoreMode = 'pglite' | 'postgres'

/** The store modes every control-plane suite runs in; PostgreSQL only when reachable. */
export const STORE_MODES: StoreMode[] = ['pglite', 'postgres']

export function storeModeAvailable(mode: StoreMode): boolean {
  return mode === 'pglite' || inject('postgresTemplate') !== null
}

export interface TestStore {
  mode: StoreMode
  settings: Settings
  /** Opens a runtime on this store (several may be open at once in PostgreSQL mode). */
  open(options?: {
    role?: Role
    env?: Record<string, string>
    eventPollIntervalMs?: number
    /** Embedded mode: how often the store's maintenance looks for tables to vacuum. */
    maintenanceIntervalMs?: number
    /** Flow runs a worker executes at once. */
    flowConcurrency?: number
    /** Embedded mode: how long a run started without a claim runs before it is marked running. */
    flowMarkAfterMs?: number
    /** Resolves host names for outbound calls instead of the system's DNS. */
    resolver?: Resolver
  }): Promise<Runtime>
  dispose(): Promise<void>
}

/** A fresh, migrated store for one test file: a copied PGlite directory or a cloned database. */
export async function createTestStore(mode: StoreMode, env: Record<string, string> = {}): Promise<TestStore> {
  const home = mkdtempSync(join(tmpdir(), `oi-test-${mode}-`))
  let database: string | undefined
  if (mode === 'pglite') {
    cpSync(inject('pgliteTemplateDir'), join(home, 'state'), { recursive: true })
  } else {
    const template = inject('postgresTemplate')
    if (!template) throw new Error('PostgreSQL is not available')
    database = `oi_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
    await adminQuery(`create database ${database} template ${template}`)
  }
  const baseEnv = {
    OPENINSIGHTS_HOME: home,
    OPENINSIGHTS_REFRESH_RETRIES: '0',
    // The suites' webhook receivers and sinks listen on loopback, which the outbound guard
    // refuses by default; the guard's own tests set this to '' (public addresses only).
    OPENINSIGHTS_OUTBOUND_ALLOW: '127.0.0.0/8',
    ...(database ? { DATABASE_URL: databaseUrl(database) } : {}),
    ...env,
  }
  const settings = readSettings(baseEnv)
  const opened: Runtime[] = []
  return {
    mode,
    settings,
    async open(options = {}) {
      const runtime = await openRuntime({
        settings: readSettings({ ...baseEnv, ...options.env }),
        role: options.role ?? 'all',
        logger: createLogger(process.env.OPENINSIGHTS_TEST_LOG ? 'debug' : 'silent'),
        heartbeatIntervalMs: 500,
        ...(options.eventPollIntervalMs ? { eventPollIntervalMs: options.eventPollIntervalMs } : {}),
        ...(options.maintenanceIntervalMs ? { maintenanceIntervalMs: options.maintenanceIntervalMs } : {}),
        ...(options.flowConcurrency ? { flowConcurrency: options.flowConcurrency } : {}),
        ...(options.flowMarkAfterMs ? { flowMarkAfterMs: options.flowMarkAfterMs } : {}),
        ...(options.resolver ? { resolver: options.resolver } : {}),
      })
      opened.push(runtime)
      return runtime
    },
    async dispose() {
      for (const runtime of opened.reverse()) await runtime.close().catch(() => {})
      if (database) await adminQuery(`drop database if exists ${database} with (force)`)
      rmSync(home, { recursive: true, force: true })
    },
  }
}

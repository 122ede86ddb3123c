import type { DuckDBInstance } from '@duckdb/node-api'
import type { Db } from '../../store/database.js'

/** What an action may use while it runs. */
export interface ActionContext {
  instanceId: string
  runId: string
  db: Db
  duck: DuckDBInstance
  dataDir: string
  /** Aborts when the action's timeout passes. */
  signal: AbortSignal
  /** Loopback and private addresses may be called (OPENINSIGHTS_FLOWS_ALLOW_PRIVATE). */
  allowPrivateNetworks: boolean
  /** An instance secret, opened (e.g. 'smtp'); undefined when not set. */
  secret: (name: string) => string | undefined
}

/** Runs one action with its evaluated inputs; returns its outputs or throws an ActionFailure. */
export type ActionHandler = (inputs: never, context: ActionContext) => Promise<unknown>

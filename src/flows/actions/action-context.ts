import type { OutboundGuard } from '../../outbound/index.js'
import type { DuckDb } from '../../query/index.js'
import type { Db } from '../../store/database.js'

/** What an action may use while it runs. */
export interface ActionContext {
  instanceId: string
  runId: string
  db: Db
  duck: DuckDb
  dataDir: string
  /** Aborts when the action's timeout passes. */
  signal: AbortSignal
  /** The gate of every outbound call (addresses checked by their bytes, at connect time). */
  outbound: OutboundGuard
  /** An instance secret, opened (e.g. 'smtp'); undefined when not set. */
  secret: (name: string) => string | undefined
}

/** Runs one action with its evaluated inputs; returns its outputs or throws an ActionFailure. */
export type ActionHandler = (inputs: never, context: ActionContext) => Promise<unknown>

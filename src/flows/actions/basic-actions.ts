import { setTimeout as sleep } from 'node:timers/promises'
import { durationMs } from '../definition/flow-definition.js'
import { ActionFailure, RunTerminated } from '../engine/action-failure.js'
import type { ActionContext } from './action-context.js'

/** compose: its evaluated inputs become its outputs. */
export async function compose(inputs: unknown): Promise<unknown> {
  return inputs
}

/** delay: waits (aborted by the action's timeout). */
export async function delay(inputs: { interval: string }, context: ActionContext): Promise<unknown> {
  const ms = durationMs(inputs.interval)
  try {
    await sleep(ms, undefined, { signal: context.signal })
  } catch {
    throw new ActionFailure('Timeout', `the delay of ${inputs.interval} outlasted the action's timeout`, {
      timedOut: true,
    })
  }
  return { waitedMs: ms }
}

/** terminate: ends the run with the given status. */
export async function terminate(inputs: {
  runStatus: 'Succeeded' | 'Failed' | 'Cancelled'
  runError?: { code?: string; message?: string }
}): Promise<never> {
  throw new RunTerminated(
    inputs.runStatus,
    inputs.runStatus === 'Failed'
      ? {
          code: inputs.runError?.code ?? 'Terminated',
          message: inputs.runError?.message ?? 'the flow terminated as failed',
        }
      : undefined,
  )
}

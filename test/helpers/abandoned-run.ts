import { ulid } from 'ulid'
import { expect } from 'vitest'
import { executeFlowRun } from '../../src/flows/index.js'
import type { Runtime } from '../../src/runtime/index.js'
import { recordAction } from '../../src/store/flow-run-actions.js'
import { type FlowRun, getFlowRun, insertFlowRun } from '../../src/store/flow-runs.js'
import { waitFor } from './wait.js'

/** A finished action as a run's worker recorded it before it died. */
export interface DoneAction {
  path: string
  type: string
  outputs: unknown
}

/**
 * A run whose worker died after finishing `done` (recorded, the run still running with its lease
 * run out), taken up again by an engine of this process; resolves when it has succeeded.
 */
export async function resumeAbandonedRun(
  runtime: Runtime,
  flowName: string,
  definition: Record<string, unknown>,
  done: DoneAction[],
): Promise<{ run: FlowRun; engine: Parameters<typeof executeFlowRun>[0] }> {
  const run = (await insertFlowRun(runtime.db, {
    id: ulid(),
    instanceId: 'shop',
    flowName,
    eventId: null,
    definition,
    trigger: { type: 'datasource.refresh.failed', data: {} },
  })) as FlowRun
  const now = new Date().toISOString()
  for (const action of done)
    await recordAction(runtime.db, run.id, {
      path: action.path,
      name: action.path.split('/').at(-1) as string,
      type: action.type,
      status: 'Succeeded',
      inputs: {},
      outputs: action.outputs,
      error: null,
      attempts: 1,
      startedAt: now,
      completedAt: now,
    })
  await runtime.db
    .updateTable('flow_runs')
    .set({ state: 'running', lease_until: new Date(Date.now() - 1000) })
    .where('id', '=', run.id)
    .execute()
  const engine = {
    db: runtime.db,
    duck: runtime.duck,
    dataDir: runtime.settings.dataDir,
    outbound: runtime.outbound,
    onEventsAppended: () => {},
    log: () => {},
  }
  // This process's worker may take the abandoned run first: either way it resumes once.
  expect(['done', 'busy']).toContain(await executeFlowRun(engine, run.id))
  await waitFor(
    async () => ((await getFlowRun(runtime.db, run.id))?.state === 'succeeded' ? true : undefined),
    'the resumed run',
  )
  return { run: (await getFlowRun(runtime.db, run.id)) as FlowRun, engine }
}

/**
 * Executes one flow run, durably: every action's inputs, outputs, status, timings and error are
 * recorded as it finishes, keyed by its path in the run ('Check/actions/Post', 'Each[2]/Send').
 * A run taken up again (its worker crashed, its lease ran out) replays the recorded actions
 * instead of executing them, so a finished action never runs twice, and continues with the
 * first unfinished one.
 */

import { setTimeout as sleep } from 'node:timers/promises'
import type { OutboundGuard } from '../../outbound/index.js'
import type { DuckDb } from '../../query/index.js'
import type { SecretBox } from '../../secrets/index.js'
import type { Db } from '../../store/database.js'
import { type ActionRecord, listActionRecords } from '../../store/flow-run-actions.js'
import { claimFlowRun, type FlowRun, getFlowRun } from '../../store/flow-runs.js'
import { sealedSecrets } from '../../store/secrets.js'
import { timeoutSignal } from '../../timeout-signal.js'
import { ACTION_HANDLERS, type ActionContext } from '../actions/index.js'
import {
  type ActionDefinition,
  type ActionStatus,
  durationMs,
  type FlowDefinition,
} from '../definition/flow-definition.js'
import { ExpressionError, type ExpressionScope, equal, evaluateValue } from '../expressions/index.js'
import { ActionFailure, RunTerminated } from './action-failure.js'
import {
  CONTROL_ACTIONS,
  DATA_OPERATIONS,
  evaluateCondition,
  runDataOperation,
  VARIABLE_ACTIONS,
  Variables,
} from './built-in-actions.js'
import { type DefinitionFacts, definitionFacts } from './definition-facts.js'
import { DEFAULT_RETRY_POLICY, retryDelayMs } from './retry-policy.js'
import { finishFailedRun } from './run-failure.js'
import { holdFlowRunLease } from './run-lease.js'
import { directRunWrites, type RunWrites } from './run-writes.js'
import { mapSealed, SECURE_KEY, type SecureData } from './secure-actions.js'
import { settledBy } from './settled-by.js'

export interface FlowEngineContext {
  /** Opens the instance's secrets; runs without one cannot use secret(). */
  secrets?: SecretBox
  db: Db
  duck: DuckDb
  dataDir: string
  /** The gate of every outbound call the actions make. */
  outbound: OutboundGuard
  /** A worker holds a run for this long and renews it meanwhile (default 30 s). */
  leaseSeconds?: number
  /** Multiplies every retry wait (tests make them short). */
  retryScale?: number
  /** Default action timeout (an action's own `timeout` wins): 2 min. */
  actionTimeoutMs?: number
  onEventsAppended: () => void
  log: (message: string) => void
  /** How records and ends are written (a worker group-commits its runs'); default: one by one. */
  writes?: RunWrites
}

type Outcome = { state: 'succeeded' | 'failed' | 'cancelled'; error?: { code: string; message: string } }

/** Runs a flow run to its end; 'busy' when its flow is at its concurrency limit (try later). */
export async function executeFlowRun(
  context: FlowEngineContext,
  runId: string,
): Promise<'done' | 'busy' | 'gone'> {
  const stored = await getFlowRun(context.db, runId)
  if (!stored) return 'gone'
  const { definition } = definitionFacts(stored.definition)
  const claim = await claimFlowRun(context.db, runId, definition.concurrency, context.leaseSeconds ?? 30)
  if (claim !== 'claimed') return claim
  await executeClaimedRun(context, stored)
  return 'done'
}

/**
 * Executes a run this worker has claimed (its lease is ours, and kept while it runs). `stored` is
 * the run as it was before the claim: a queued run without a re-run has nothing recorded yet.
 */
export async function executeClaimedRun(context: FlowEngineContext, stored: FlowRun): Promise<void> {
  const runId = stored.id
  // Written with the end when the store has no start of the run's own (a sole worker's run).
  const startedAt = new Date().toISOString()
  const facts = definitionFacts(stored.definition)
  const release = holdFlowRunLease(context.db, runId, context.leaseSeconds ?? 30)
  try {
    const writes = context.writes ?? directRunWrites(context.db)
    const execution = new RunExecution(
      context,
      writes,
      stored,
      facts,
      // A fresh run has nothing recorded yet; a resumed or re-run one replays its records.
      stored.state === 'queued' && !stored.rerunOf ? [] : await listActionRecords(context.db, runId),
      facts.needsSecrets ? await openSecrets(context, stored.instanceId) : {},
    )
    const outcome = { ...(await execution.run()), startedAt }
    const finished =
      outcome.state === 'failed'
        ? await finishFailedRun(context.db, stored, outcome, execution.heldRecords)
        : await writes.finish(runId, outcome, execution.heldRecords)
    if (finished?.state === 'failed') context.onEventsAppended()
    if (finished)
      context.log(
        `flow ${stored.flowName} run ${runId} ${finished.state}${outcome.error ? `: ${outcome.error.message}` : ''}`,
      )
  } finally {
    release()
  }
}

/** The instance's secrets, opened, for secret('name') and the SMTP setting. */
async function openSecrets(context: FlowEngineContext, instanceId: string): Promise<Record<string, string>> {
  if (!context.secrets) return {}
  const box = context.secrets
  const sealed = await sealedSecrets(context.db, instanceId)
  return Object.fromEntries(Object.entries(sealed).map(([name, value]) => [name, box.open(value)]))
}

const ENDED_BADLY = new Set<ActionStatus>(['Failed', 'TimedOut'])

class RunExecution {
  readonly definition: FlowDefinition
  readonly #records: Map<string, ActionRecord>
  /**
   * Records made as the run ends (its last top-level action's, and those of actions skipped
   * after it): written with the run's end, in the same statement, instead of one by one — the
   * action still counts as recorded only once that commits.
   */
  readonly heldRecords: Omit<ActionRecord, 'durationMs'>[] = []
  #lastPath: string | undefined
  #ending = false
  readonly #scope: ExpressionScope
  #terminated: RunTerminated | undefined
  readonly #secretValues: string[]
  readonly #secure: Map<string, SecureData>
  readonly #variables = new Variables()

  /** A secure value as run history keeps it: sealed (null without a key to seal with). */
  #seal(value: unknown): unknown {
    if (value === null || value === undefined) return value
    return { [SECURE_KEY]: this.context.secrets ? this.context.secrets.seal(JSON.stringify(value)) : null }
  }

  /** Inputs as run history keeps them: whole, or the fields that read a secret, sealed. */
  #sealInputs(inputs: unknown, secure: SecureData | undefined): unknown {
    if (secure?.inputs) return this.#seal(inputs)
    const fields = secure?.inputFields
    if (!fields?.length || !inputs || typeof inputs !== 'object' || Array.isArray(inputs))
      return this.#redact(inputs)
    return Object.fromEntries(
      Object.entries(this.#redact(inputs) as Record<string, unknown>).map(([k, v]) => [
        k,
        fields.includes(k) ? this.#seal((inputs as Record<string, unknown>)[k]) : v,
      ]),
    )
  }

  /** A recorded value as a resumed run uses it: sealed ones opened again. */
  #unseal(value: unknown): unknown {
    return mapSealed(value, (sealed) => {
      const text = sealed[SECURE_KEY]
      return typeof text === 'string' && this.context.secrets
        ? JSON.parse(this.context.secrets.open(text))
        : null
    })
  }

  /** A value as run history may show it: every secret's text replaced by ***. */
  #redact<T>(value: T): T {
    if (this.#secretValues.length === 0 || value === null || value === undefined) return value
    let text = JSON.stringify(value)
    for (const secret of this.#secretValues)
      text = text.split(JSON.stringify(secret).slice(1, -1)).join('***')
    return JSON.parse(text) as T
  }

  constructor(
    readonly context: FlowEngineContext,
    readonly writes: RunWrites,
    readonly flowRun: FlowRun,
    facts: DefinitionFacts,
    records: ActionRecord[],
    readonly secrets: Record<string, string>,
  ) {
    this.definition = facts.definition
    this.#records = new Map(records.map((r) => [r.path, r]))
    this.#secure = facts.secure
    this.#scope = {
      trigger: { body: (flowRun.trigger as { data?: unknown }).data ?? null, outputs: flowRun.trigger },
      actions: {},
      items: [],
      workflow: { id: flowRun.flowName, name: flowRun.flowName, runId: flowRun.id },
      secrets,
      variables: this.#variables.values,
      results: {},
      iterations: {},
    }
    // Longest first, so a secret containing another is hidden whole.
    this.#secretValues = Object.values(secrets)
      .filter((v) => v.length >= 4)
      .sort((a, b) => b.length - a.length)
  }

  async run(): Promise<Outcome> {
    const statuses = await this.#executeScope(this.definition.actions, '', this.#scope)
    if (this.#terminated) {
      const t = this.#terminated
      return t.runStatus === 'Succeeded'
        ? { state: 'succeeded' }
        : t.runStatus === 'Cancelled'
          ? { state: 'cancelled' }
          : { state: 'failed', error: t.runError ?? { code: 'Terminated', message: 'terminated' } }
    }
    const unhandled = unhandledFailure(this.definition.actions, statuses)
    if (!unhandled) return { state: 'succeeded' }
    const record = [...this.#records.values()].find((r) => ENDED_BADLY.has(r.status) && r.path === unhandled)
    const inner = [...this.#records.values()].find(
      (r) => ENDED_BADLY.has(r.status) && r.error && r.type !== 'condition' && r.type !== 'foreach',
    )
    const error =
      record?.error && record.type !== 'condition' && record.type !== 'foreach' ? record.error : inner?.error
    return {
      state: 'failed',
      error: {
        code: error?.code ?? 'ActionFailed',
        message: `${unhandled} failed${error ? `: ${error.message}` : ''}`,
      },
    }
  }

  /** Runs a scope's actions in runAfter order; independent branches run at the same time. */
  async #executeScope(
    actions: Record<string, ActionDefinition>,
    prefix: string,
    scope: ExpressionScope,
  ): Promise<Record<string, ActionStatus>> {
    const statuses: Record<string, ActionStatus> = {}
    const pending = new Set(Object.keys(actions))
    while (pending.size > 0 && !this.#terminated) {
      const ready = [...pending].filter((name) =>
        Object.keys((actions[name] as ActionDefinition).runAfter).every((before) => before in statuses),
      )
      if (ready.length === 0) break
      for (const name of ready) pending.delete(name)
      // The run's last action: its record can wait for the run's end.
      if (prefix === '' && pending.size === 0 && ready.length === 1) this.#lastPath = ready[0]
      await Promise.all(
        ready.map(async (name) => {
          const action = actions[name] as ActionDefinition
          const allowed = Object.entries(action.runAfter).every(([before, accepted]) =>
            accepted.includes(statuses[before] as ActionStatus),
          )
          statuses[name] = allowed
            ? await this.#executeAction(name, action, `${prefix}${name}`, scope)
            : await this.#skip(name, action, `${prefix}${name}`, scope)
        }),
      )
    }
    if (prefix === '') this.#ending = true
    for (const name of pending)
      statuses[name] = await this.#skip(name, actions[name] as ActionDefinition, `${prefix}${name}`, scope)
    return statuses
  }

  async #skip(
    name: string,
    action: ActionDefinition,
    path: string,
    scope: ExpressionScope,
  ): Promise<ActionStatus> {
    const now = new Date().toISOString()
    await this.#record(scope, name, {
      path,
      name,
      type: action.type,
      status: 'Skipped',
      inputs: null,
      outputs: null,
      error: null,
      attempts: 0,
      startedAt: now,
      completedAt: now,
    })
    return 'Skipped'
  }

  async #record(
    scope: ExpressionScope,
    name: string,
    record: Omit<ActionRecord, 'durationMs'>,
  ): Promise<void> {
    if (!this.#records.has(record.path)) {
      // History never holds a secret: secure inputs and outputs are sealed, anything else has
      // each secret's text masked. This run's later actions still see the real values.
      const secure = this.#secure.get(name)
      const shown = {
        ...record,
        inputs: this.#sealInputs(record.inputs, secure),
        outputs: secure?.outputs ? this.#seal(record.outputs) : this.#redact(record.outputs),
        error: this.#redact(record.error),
      }
      if (this.#ending || record.path === this.#lastPath) this.heldRecords.push(shown)
      else await this.writes.record(this.flowRun.id, shown)
      this.#records.set(record.path, {
        ...shown,
        durationMs: Date.parse(record.completedAt) - Date.parse(record.startedAt),
      })
    }
    scope.actions[name] = {
      status: record.status,
      inputs: record.inputs,
      outputs: record.outputs,
      error: record.error,
    }
  }

  async #executeAction(
    name: string,
    action: ActionDefinition,
    path: string,
    scope: ExpressionScope,
  ): Promise<ActionStatus> {
    const done = this.#records.get(path)
    // A finished control action is walked again (its insides replay, restoring variables and
    // outputs); any other finished action is replayed from its record.
    if (done && !CONTROL_ACTIONS.has(action.type)) {
      if (VARIABLE_ACTIONS.has(action.type) && done.status === 'Succeeded')
        this.#variables.restore(this.#unseal(done.outputs))
      // Finished before the run was interrupted: replay, never execute again.
      scope.actions[name] = {
        status: done.status,
        inputs: this.#unseal(done.inputs),
        outputs: this.#unseal(done.outputs),
        error: done.error,
      }
      if (action.type === 'terminate' && done.status === 'Succeeded') await this.#terminateFrom(done)
      return done.status
    }
    const startedAt = new Date().toISOString()
    const finish = async (
      status: ActionStatus,
      fields: {
        inputs?: unknown
        outputs?: unknown
        error?: { code: string; message: string } | null
        attempts?: number
      },
    ) => {
      await this.#record(scope, name, {
        path,
        name,
        type: action.type,
        status,
        inputs: fields.inputs ?? null,
        outputs: fields.outputs ?? null,
        error: fields.error ?? null,
        attempts: fields.attempts ?? 1,
        startedAt,
        completedAt: new Date().toISOString(),
      })
      return status
    }
    try {
      if (action.type === 'condition') {
        const result = evaluateCondition(action.expression, scope)
        if (typeof result !== 'boolean')
          return finish('Failed', {
            error: {
              code: 'InvalidCondition',
              message: `the expression gave ${JSON.stringify(result)}, not true or false`,
            },
          })
        const branch = result ? (action.actions ?? {}) : (action.else?.actions ?? {})
        const statuses = await this.#executeScope(branch, `${path}/${result ? 'actions' : 'else'}/`, scope)
        const failed = unhandledFailure(branch, statuses)
        return finish(failed ? 'Failed' : 'Succeeded', {
          inputs: { expression: result },
          outputs: { expression: result },
          error: failed ? { code: 'ActionFailed', message: `${failed} failed` } : null,
        })
      }
      if (action.type === 'foreach') {
        const items = evaluateValue(action.foreach, scope)
        if (!Array.isArray(items))
          return finish('Failed', {
            error: {
              code: 'InvalidForeach',
              message: `foreach needs an array, got ${items === null ? 'null' : typeof items}`,
            },
          })
        const concurrency = action.runtimeConfiguration?.concurrency?.repetitions ?? 1
        const failures: number[] = []
        const perIteration: ExpressionScope[] = []
        let next = 0
        const worker = async () => {
          while (next < items.length && !this.#terminated) {
            const index = next++
            const iteration: ExpressionScope = {
              ...scope,
              actions: { ...scope.actions },
              items: [...scope.items, [name, items[index]]],
              iterations: { ...scope.iterations, [name]: index },
            }
            const statuses = await this.#executeScope(action.actions ?? {}, `${path}[${index}]/`, iteration)
            perIteration[index] = iteration
            if (unhandledFailure(action.actions ?? {}, statuses)) failures.push(index)
          }
        }
        await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(items.length, 1)) }, worker))
        this.#keepResults(scope, name, action.actions ?? {}, perIteration)
        return finish(failures.length ? 'Failed' : 'Succeeded', {
          inputs: { count: items.length },
          outputs: { count: items.length, failed: failures.sort((a, b) => a - b) },
          error: failures.length
            ? { code: 'IterationsFailed', message: `${failures.length} of ${items.length} iterations failed` }
            : null,
        })
      }
      if (action.type === 'switch') {
        const value = evaluateValue(action.expression, scope)
        const matched = Object.entries(action.cases ?? {}).find(([, c]) => equal(c.case, value))
        const [caseName, branch] = matched
          ? [matched[0], matched[1].actions]
          : ['default', action.default?.actions ?? {}]
        const under = matched ? `cases/${caseName}/actions/` : 'default/actions/'
        const statuses = await this.#executeScope(branch, `${path}/${under}`, scope)
        const failed = unhandledFailure(branch, statuses)
        return finish(failed ? 'Failed' : 'Succeeded', {
          inputs: { expression: value },
          outputs: { expression: value, case: caseName },
          error: failed ? { code: 'ActionFailed', message: `${failed} failed` } : null,
        })
      }
      if (action.type === 'scope') {
        const children = action.actions ?? {}
        const statuses = await this.#executeScope(children, `${path}/actions/`, scope)
        this.#keepResults(scope, name, children, [scope])
        const failed = unhandledFailure(children, statuses)
        return finish(failed ? 'Failed' : 'Succeeded', {
          outputs: { statuses },
          error: failed ? { code: 'ActionFailed', message: `${failed} failed` } : null,
        })
      }
      if (action.type === 'until') return await this.#until(name, action, path, scope, finish)
      if (VARIABLE_ACTIONS.has(action.type)) {
        const inputs = evaluateValue(action.inputs ?? {}, scope)
        try {
          return finish('Succeeded', { inputs, outputs: this.#variables.apply(action, inputs) })
        } catch (error) {
          const failure = error as ActionFailure
          return finish('Failed', {
            inputs,
            error: { code: failure.code ?? 'InvalidVariable', message: failure.message },
          })
        }
      }
      if (DATA_OPERATIONS.has(action.type)) {
        try {
          const { inputs, outputs } = runDataOperation(name, action, scope)
          return finish('Succeeded', { inputs, outputs })
        } catch (error) {
          if (error instanceof ExpressionError) throw error
          const failure = error as ActionFailure
          return finish('Failed', {
            error: { code: failure.code ?? 'ActionFailed', message: failure.message },
          })
        }
      }
      let inputs: unknown
      try {
        inputs = evaluateValue(action.inputs ?? {}, scope)
      } catch (error) {
        return finish('Failed', { error: { code: 'InvalidExpression', message: (error as Error).message } })
      }
      return await this.#runWithRetries(name, action, inputs, finish)
    } catch (error) {
      if (error instanceof ExpressionError)
        return finish('Failed', { error: { code: 'InvalidExpression', message: error.message } })
      throw error
    }
  }

  async #runWithRetries(
    name: string,
    action: ActionDefinition,
    inputs: unknown,
    finish: (
      status: ActionStatus,
      fields: {
        inputs?: unknown
        outputs?: unknown
        error?: { code: string; message: string } | null
        attempts?: number
      },
    ) => Promise<ActionStatus>,
  ): Promise<ActionStatus> {
    const handler = ACTION_HANDLERS[action.type]
    if (!handler)
      return finish('Failed', {
        inputs,
        error: { code: 'UnsupportedAction', message: `${action.type} is not available` },
      })
    const policy = action.retryPolicy ?? DEFAULT_RETRY_POLICY
    const timeoutMs = action.timeout ? durationMs(action.timeout) : (this.context.actionTimeoutMs ?? 120_000)
    for (let attempt = 1; ; attempt++) {
      const timeout = timeoutSignal(timeoutMs)
      const actionContext: ActionContext = {
        instanceId: this.flowRun.instanceId,
        runId: this.flowRun.id,
        db: this.context.db,
        duck: this.context.duck,
        dataDir: this.context.dataDir,
        signal: timeout.signal,
        outbound: this.context.outbound,
        secret: (name) => this.secrets[name],
      }
      try {
        const outputs = await settledBy(handler(inputs as never, actionContext), actionContext.signal, () => {
          return new ActionFailure(
            'Timeout',
            `${name} did not end within its timeout of ${timeoutMs / 1000} s`,
            {
              timedOut: true,
              retryable: true,
            },
          )
        }).finally(timeout.clear)
        return await finish('Succeeded', { inputs, outputs, attempts: attempt })
      } catch (error) {
        if (error instanceof RunTerminated) {
          // The action succeeds; every scope stops starting actions, and the run ends as it says.
          this.#terminated = error
          return await finish('Succeeded', {
            inputs,
            outputs: { runStatus: error.runStatus },
            attempts: attempt,
          })
        }
        const failure =
          error instanceof ActionFailure ? error : new ActionFailure('ActionFailed', (error as Error).message)
        const wait = failure.options.retryable
          ? retryDelayMs(policy, attempt, failure.options.retryAfterMs, this.context.retryScale ?? 1)
          : undefined
        if (wait === undefined)
          return finish(failure.options.timedOut ? 'TimedOut' : 'Failed', {
            inputs,
            outputs: failure.options.outputs,
            error: { code: failure.code, message: failure.message },
            attempts: attempt,
          })
        this.context.log(
          `flow ${this.flowRun.flowName} run ${this.flowRun.id}: ${name} attempt ${attempt} failed (${failure.message}); retrying in ${Math.round(wait)} ms`,
        )
        await sleep(wait)
      }
    }
  }

  /**
   * Do until: runs its actions, then checks its condition, until the condition is true, the
   * count is reached (the loop ends, succeeded) or the timeout passes (TimedOut).
   */
  async #until(
    name: string,
    action: ActionDefinition,
    path: string,
    scope: ExpressionScope,
    finish: (
      status: ActionStatus,
      fields: { inputs?: unknown; outputs?: unknown; error?: { code: string; message: string } | null },
    ) => Promise<ActionStatus>,
  ): Promise<ActionStatus> {
    const children = action.actions ?? {}
    const limit = action.limit ?? { count: 60, timeout: 'PT1H' }
    const deadline = Date.now() + durationMs(limit.timeout)
    const iterations: ExpressionScope[] = []
    for (let index = 0; ; index++) {
      if (this.#terminated) break
      const iteration: ExpressionScope = {
        ...scope,
        actions: { ...scope.actions },
        iterations: { ...scope.iterations, [name]: index },
      }
      const statuses = await this.#executeScope(children, `${path}[${index}]/`, iteration)
      iterations.push(iteration)
      // After the loop, its actions read as they were in the last iteration.
      for (const child of Object.keys(children))
        if (iteration.actions[child]) scope.actions[child] = iteration.actions[child]
      const failed = unhandledFailure(children, statuses)
      if (failed) {
        this.#keepResults(scope, name, children, iterations)
        return finish('Failed', {
          outputs: { iterations: index + 1 },
          error: { code: 'ActionFailed', message: `${failed} failed in iteration ${index}` },
        })
      }
      const done = evaluateCondition(action.expression, {
        ...iteration,
        currentAction: { name, status: 'Running', outputs: { iterations: index + 1 } },
      })
      if (typeof done !== 'boolean')
        return finish('Failed', {
          error: {
            code: 'InvalidCondition',
            message: `the condition gave ${JSON.stringify(done)}, not true or false`,
          },
        })
      const limitReached = done
        ? undefined
        : index + 1 >= limit.count
          ? 'count'
          : Date.now() >= deadline
            ? 'timeout'
            : undefined
      if (done || limitReached) {
        this.#keepResults(scope, name, children, iterations)
        if (limitReached === 'timeout')
          return finish('TimedOut', {
            outputs: { iterations: index + 1, limitReached },
            error: { code: 'Timeout', message: `${name} did not end within ${limit.timeout}` },
          })
        return finish('Succeeded', {
          outputs: { iterations: index + 1, ...(limitReached ? { limitReached } : {}) },
        })
      }
    }
    return finish('Succeeded', { outputs: { terminated: true } })
  }

  /** What result('name') gives: each top-level action of the scope or loop, per iteration for loops. */
  #keepResults(
    scope: ExpressionScope,
    name: string,
    children: Record<string, ActionDefinition>,
    runs: ExpressionScope[],
  ): void {
    const one = (run: ExpressionScope, child: string) => {
      const found = run.actions[child]
      return {
        name: child,
        status: found?.status ?? 'Skipped',
        inputs: found?.inputs ?? null,
        outputs: found?.outputs ?? null,
        error: found?.error ?? null,
        code:
          found?.status === 'Succeeded'
            ? 'OK'
            : ((found?.error as { code?: string } | null)?.code ?? found?.status),
      }
    }
    const loop = runs.length !== 1 || runs[0] !== scope
    if (!scope.results) scope.results = {}
    scope.results[name] = Object.keys(children).map((child) =>
      loop ? { name: child, outputs: runs.map((run) => one(run, child)) } : one(scope, child),
    )
  }

  async #terminateFrom(record: ActionRecord): Promise<void> {
    const inputs = this.#unseal(record.inputs) as {
      runStatus: 'Succeeded' | 'Failed' | 'Cancelled'
      runError?: { code?: string; message?: string }
    }
    this.#terminated = new RunTerminated(
      inputs.runStatus,
      inputs.runStatus === 'Failed'
        ? { code: inputs.runError?.code ?? 'Terminated', message: inputs.runError?.message ?? 'terminated' }
        : undefined,
    )
  }
}

/**
 * The first action of a scope that failed (or timed out) with no action of the scope running
 * after it on failure: such a failure fails the scope (and the run), as in Power Automate.
 */
function unhandledFailure(
  actions: Record<string, ActionDefinition>,
  statuses: Record<string, ActionStatus>,
): string | undefined {
  return Object.keys(actions).find(
    (name) =>
      ENDED_BADLY.has(statuses[name] as ActionStatus) &&
      !Object.values(actions).some((other) => other.runAfter[name]?.includes(statuses[name] as ActionStatus)),
  )
}

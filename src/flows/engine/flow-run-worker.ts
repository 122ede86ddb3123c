import { coerceError } from '../../errors.js'
import { startPoller } from '../../poller.js'
import { expireRunningLeases, type FlowRun } from '../../store/flow-runs.js'
import { definitionFacts } from './definition-facts.js'
import { executeClaimedRun, type FlowEngineContext } from './run-flow.js'
import { groupedRunWrites } from './run-writes.js'

export interface FlowRunWorker {
  /** Looks for runs now (after a re-run, a manual or scheduled run was queued). */
  nudge(): void
  /**
   * Takes runs the dispatcher of this process has just committed as queued. A sole worker
   * starts them from memory, without a claim; otherwise they are claimed by id (the claim
   * neither searches the queue for them nor reads them back).
   */
  offer(runs: FlowRun[]): void
  /**
   * Sets free slots aside for up to `count` runs about to be created (server mode; a sole worker
   * starts offered runs without a claim anyway): the statement that creates them starts that many
   * as running with this worker's lease (insertFlowRunsStarting), and `start` then runs them here
   * with no claim. Until `start` or `release`, the slots are nobody else's. Undefined when no
   * slot is free, or when older offered runs wait (they go first).
   */
  reserve(count: number): SlotReservation | undefined
  stop(): Promise<void>
}

/** Free slots set aside by FlowRunWorker.reserve; exactly one of its functions is called. */
export interface SlotReservation {
  slots: number
  leaseSeconds: number
  /** Runs the runs the statement started (at most `slots`), and frees the slots it did not use. */
  start(runs: FlowRun[]): void
  /** Frees the slots (the statement failed, or was rolled back). */
  release(): void
}

export interface FlowRunWorkerOptions {
  batchSize: number
  pollIntervalMs?: number
  /**
   * This worker is the only one on its store (embedded mode: the store admits one process).
   * Runs the dispatcher offers then start from memory without a claim: they stay queued in the
   * store until they have run for `markAfterMs` or record an action before their end, when they
   * are marked running (a run that ends first is written once, at its end, with its start).
   * Every claim from the store marks them first, so its count of running runs holds.
   */
  sole?: boolean
  /** How long a run started from memory runs before it is marked running (default 1 s). */
  markAfterMs?: number
  onError?: (error: Error) => void
}

/**
 * Executes flow runs. The flow_runs table is the queue (as deliveries are): the worker claims
 * runs with SKIP LOCKED and a lease, runs them at once, and claims again while claims come back
 * full. The statement that ends finished runs also claims the runs for the slots they free, and
 * claims asked for otherwise (a nudge, the poll) go in the same stream of statements, so a
 * worker's claims never race each other. Runs whose worker died are claimed again once their
 * lease runs out, and resume from their records. Any number of processes may run workers
 * against one database — except a sole worker's (see FlowRunWorkerOptions.sole).
 */
export function startFlowRunWorker(context: FlowEngineContext & FlowRunWorkerOptions): FlowRunWorker {
  const leaseSeconds = context.leaseSeconds ?? 30
  const sole = context.sole === true
  // Before the lease would need renewing: a renewal only holds a run marked running.
  const markAfterMs = Math.min(context.markAfterMs ?? 1000, (leaseSeconds * 1000) / 4)
  let stopped = false
  const active = new Map<string, Promise<void>>()
  /** Runs in flight per flow (instance and name), for each flow's concurrency. */
  const inFlight = new Map<string, number>()
  /** The flow of each run in flight. */
  const flowOf = new Map<string, string>()
  /** Runs offered and not started yet, oldest first (sole mode). */
  const waiting = new RunQueue()
  /** Offered runs whose flow was at its concurrency when their turn came, per flow, oldest first. */
  const held = new Map<string, RunQueue>()
  let heldCount = 0
  /** Runs started from memory whose running state is not written yet: when each started. */
  const unmarked = new Map<string, { startedAt: string; timer: NodeJS.Timeout }>()
  /** Whether the store may hold queued runs nobody offered (sole mode: re-runs, manual runs, a restart). */
  let storeMayHoldRuns = true
  /** Counts what set storeMayHoldRuns (nudges, the sweep); a claim's short answer counts only if none came since it was sent. */
  let looks = 0
  let looksAtClaim = 0
  /** A claim from the store is in flight: runs offered wait for it, so it cannot take one this worker has just started (sole mode). */
  let claiming = false
  /** When the whole queue was last claimed from (server mode: see SlotRefill.offered). */
  let lastQueueClaim = 0
  /** Flows a claim by id found at their concurrency because of other processes' runs (server mode). */
  const busyElsewhere = new Set<string>()
  /** Slots set aside for runs being created (reserve). */
  let reserved = 0

  const writes = groupedRunWrites(context.db, {
    leaseSeconds,
    limit: (ending) => {
      if (stopped) return 0
      const free = Math.max(0, context.batchSize - active.size - reserved + ending)
      looksAtClaim = looks
      // A sole worker fills its slots from the runs offered first; the store is asked only when
      // it may hold others.
      const limit = sole ? (storeMayHoldRuns ? Math.max(0, free - waiting.size - heldCount) : 0) : free
      if (sole && limit > 0) claiming = true
      return limit
    },
    settled: () => {
      if (!claiming) return
      claiming = false
      startWaiting()
    },
    claimed: (runs, asked) => {
      // A claim that came back short found every queued run there was.
      if (runs.length < asked && looksAtClaim === looks) storeMayHoldRuns = false
      if (runs.length === 0) return
      // The store's claim may take runs offered here and not started yet.
      const taken = new Set(runs.map((run) => run.id))
      waiting.remove(taken)
      for (const [key, runs] of held) {
        heldCount -= runs.remove(taken)
        if (runs.size === 0) held.delete(key)
      }
      for (const run of runs) {
        busyElsewhere.delete(flowKey(run))
        if (!active.has(run.id)) start(run)
      }
    },
    offered: (limit, ending) => {
      // Server mode: runs this process's dispatcher offered are claimed by id (no search of the
      // queue); the whole queue is looked at when none wait, and at least every second, so that
      // runs queued otherwise (re-runs, other processes' events) are not left behind.
      if (
        sole ||
        (waiting.size === 0 && heldCount === 0) ||
        Date.now() - lastQueueClaim >= QUEUE_CLAIM_EVERY_MS
      ) {
        lastQueueClaim = Date.now()
        return undefined
      }
      return takeOffered(limit, ending)
    },
    left: (runs) => {
      // Their flows are at their concurrency elsewhere: held, and tried one at a time.
      for (const run of runs) busyElsewhere.add(flowKey(run))
      holdAgain(runs)
    },
    unmarked: () => [...unmarked].map(([id, { startedAt }]) => ({ id, startedAt })),
    marked: (ids) => {
      for (const id of ids) forgetUnmarked(id)
    },
  })
  // Runs whose end went with a claim for their slot: they need no claim of their own.
  const refilled = new Set<string>()
  const runContext: FlowEngineContext = {
    ...context,
    writes: {
      record: async (runId, record) => {
        // Nothing is recorded of a run the store still has queued: a restart takes such a run
        // up as a fresh one.
        const start = unmarked.get(runId)
        if (start) await writes.mark(runId, start.startedAt)
        await writes.record(runId, record)
      },
      finish: async (runId, outcome, records) => {
        clearTimeout(unmarked.get(runId)?.timer)
        const ended = await writes.finish(runId, outcome, records)
        refilled.add(runId)
        return ended
      },
    },
  }

  const flowKey = (run: FlowRun) => `${run.instanceId}\u0000${run.flowName}`

  function forgetUnmarked(id: string): void {
    const entry = unmarked.get(id)
    if (!entry) return
    clearTimeout(entry.timer)
    unmarked.delete(id)
  }

  function start(run: FlowRun, fromMemory = false): void {
    const key = flowKey(run)
    inFlight.set(key, (inFlight.get(key) ?? 0) + 1)
    flowOf.set(run.id, key)
    if (fromMemory) {
      const timer = setTimeout(() => {
        const entry = unmarked.get(run.id)
        if (entry)
          writes.mark(run.id, entry.startedAt).catch((e: unknown) => context.onError?.(coerceError(e)))
      }, markAfterMs)
      timer.unref?.()
      unmarked.set(run.id, { startedAt: new Date().toISOString(), timer })
    }
    const work: Promise<void> = executeClaimedRun(runContext, run)
      .catch((error: unknown) => context.onError?.(coerceError(error)))
      .finally(() => {
        active.delete(run.id)
        flowOf.delete(run.id)
        forgetUnmarked(run.id)
        const left = (inFlight.get(key) ?? 1) - 1
        if (left > 0) inFlight.set(key, left)
        else inFlight.delete(key)
        const claimedForIt = refilled.delete(run.id)
        if (sole) startWaiting()
        // A run that ended otherwise (failed, or its end failed) frees its slot for a claim.
        if (!claimedForIt) poller.nudge()
      })
    active.set(run.id, work)
  }

  /** Starts offered runs while slots are free, each flow within its concurrency. */
  function startWaiting(): void {
    if (stopped || claiming) return
    for (const run of takeOffered(context.batchSize - active.size - reserved)) start(run, true)
  }

  /**
   * Takes up to `count` offered runs, oldest first, each flow within its concurrency as far as
   * this worker knows (its runs in flight and those taken here): runs of a flow at its limit are
   * held, in order, and taken first once it has room. A flow that a claim found busy elsewhere
   * (server mode: other processes' runs) gives one run at a time until a claim takes it again.
   */
  function takeOffered(count: number, ending: string[] = []): FlowRun[] {
    const taken: FlowRun[] = []
    // Runs whose end goes in the same statement as the claim free their flows' slots.
    const taking = new Map<string, number>()
    for (const id of ending) {
      const key = flowOf.get(id)
      if (key !== undefined) taking.set(key, (taking.get(key) ?? 0) - 1)
    }
    const fits = (run: FlowRun, key: string) =>
      (inFlight.get(key) ?? 0) + (taking.get(key) ?? 0) <
      (busyElsewhere.has(key) ? 1 : definitionFacts(run.definition).definition.concurrency)
    const take = (run: FlowRun, key: string) => {
      taking.set(key, (taking.get(key) ?? 0) + 1)
      taken.push(run)
    }
    // Held runs first: they are older than the runs still waiting.
    for (const [key, runs] of held) {
      while (taken.length < count && runs.size > 0 && fits(runs.first() as FlowRun, key)) {
        heldCount--
        take(runs.shift() as FlowRun, key)
      }
      if (runs.size === 0) held.delete(key)
    }
    while (taken.length < count && waiting.size > 0) {
      const run = waiting.shift() as FlowRun
      if (active.has(run.id)) continue
      const key = flowKey(run)
      if (fits(run, key)) take(run, key)
      else {
        lineOf(key).push(run)
        heldCount++
      }
    }
    return taken
  }

  /** The line of held runs of flow `key` (made when it has none). */
  function lineOf(key: string): RunQueue {
    let line = held.get(key)
    if (!line) {
      line = new RunQueue()
      held.set(key, line)
    }
    return line
  }

  /** Puts runs back at the front of their flows' lines, each flow's in their order. */
  function holdAgain(runs: FlowRun[]): void {
    const byFlow = new Map<string, FlowRun[]>()
    for (const run of runs) {
      const key = flowKey(run)
      const list = byFlow.get(key)
      if (list) list.push(run)
      else byFlow.set(key, [run])
    }
    for (const [key, list] of byFlow) lineOf(key).unshift(list)
    heldCount += runs.length
  }

  // Claims while they come back full; claims asked for otherwise (a nudge, the poll) go in the
  // same stream of statements as the refills, so they never race.
  let leasesTakenOver = !sole
  const poller = startPoller({
    look: async () => {
      if (!leasesTakenOver) {
        // Sole: any run still marked running was left by a process that died; it is taken up
        // now rather than when its lease would have run out.
        await expireRunningLeases(context.db)
        leasesTakenOver = true
      }
      if (sole && !storeMayHoldRuns) return false
      const { asked, claimed } = await writes.claim()
      return asked > 0 && claimed === asked
    },
    intervalMs: context.pollIntervalMs ?? 500,
    onError: context.onError,
  })
  let stopSweep = () => {}
  if (sole) {
    // The store is still looked at every so often (a run queued by a path that did not nudge).
    const sweep = setInterval(
      () => {
        storeMayHoldRuns = true
        looks++
        poller.nudge()
      },
      Math.max(context.pollIntervalMs ?? 500, 5_000),
    )
    sweep.unref?.()
    stopSweep = () => clearInterval(sweep)
  }
  return {
    nudge() {
      storeMayHoldRuns = true
      looks++
      poller.nudge()
    },
    offer(runs) {
      for (const run of runs) {
        // Beyond this many, runs are left to claims from the store (their rows say all of it).
        if (waiting.size >= MAX_WAITING) {
          storeMayHoldRuns = true
          looks++
          break
        }
        if (!active.has(run.id)) waiting.push(run)
      }
      // Sole: started from memory. Otherwise claimed by id, in the next statement.
      if (sole) startWaiting()
      else poller.nudge()
    },
    reserve(count) {
      const slots = Math.min(count, context.batchSize - active.size - reserved)
      if (sole || stopped || slots <= 0 || waiting.size > 0 || heldCount > 0) return undefined
      reserved += slots
      let open = true
      const free = () => {
        if (!open) return false
        open = false
        reserved -= slots
        return true
      }
      return {
        slots,
        leaseSeconds,
        start(runs) {
          if (!free()) return
          // Running in the store with this worker's lease, as a claim leaves them. Were this
          // worker stopping, they are left to a claim once their lease runs out.
          if (!stopped) for (const run of runs.slice(0, slots)) if (!active.has(run.id)) start(run)
          // Slots it did not use go to the next claim.
          if (runs.length < slots) poller.nudge()
        },
        release() {
          if (free()) poller.nudge()
        },
      }
    },
    async stop() {
      stopped = true
      stopSweep()
      await poller.stop()
      while (active.size > 0) await Promise.allSettled([...active.values()])
    },
  }
}

/** Runs offered and held in memory at most, per worker (about 1 KB each). */
const MAX_WAITING = 10_000
/** How often a server-mode worker that has offered runs waiting still claims from the whole queue. */
const QUEUE_CLAIM_EVERY_MS = 1000

/** A first-in, first-out queue of runs: shift is O(1), removing some is O(n). */
class RunQueue {
  #items: FlowRun[] = []
  #head = 0

  get size(): number {
    return this.#items.length - this.#head
  }

  push(run: FlowRun): void {
    this.#items.push(run)
  }

  first(): FlowRun | undefined {
    return this.#items[this.#head]
  }

  /** Puts runs back at the head, in their order (O(n)). */
  unshift(runs: FlowRun[]): void {
    if (runs.length === 0) return
    this.#items = [...runs, ...this.#items.slice(this.#head)]
    this.#head = 0
  }

  shift(): FlowRun | undefined {
    if (this.#head >= this.#items.length) return undefined
    const run = this.#items[this.#head++]
    // Drop what was taken once it is most of the array.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return run
  }

  /** Removes the runs of `ids`; answers how many it removed. */
  remove(ids: Set<string>): number {
    const before = this.size
    this.#items = this.#items.slice(this.#head).filter((run) => !ids.has(run.id))
    this.#head = 0
    return before - this.#items.length
  }
}

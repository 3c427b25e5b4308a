// A worker: the claim loop, leases' heartbeats, the runs in flight and the drain on close.
// Over 300 lines because these share one set of slots and counters (metrics): split apart, the
// rule that a slot is freed exactly once would be spread over several files.
import { randomUUID } from 'node:crypto'
import { err, ok, type Result, ResultAsync } from 'neverthrow'
import {
  CancelledError,
  CompensatedError,
  InvalidOptionsError,
  LeaseLostError,
  RunLockedError,
  StoreError,
} from '../errors.js'
import { checkConcurrency, checkFunction, checkMs, checkSignal, firstError } from '../internal/options.js'
import type { WorkflowEvent } from '../workflow/events.js'
import { CANCELLED_RUN, HELD_LEASE, SLEEP_IN_PROCESS } from '../workflow/held-lease.js'
import type { Lease, RunInfo, RunState, RunStore } from '../workflow/store/types.js'
import { isSuspended } from '../workflow/suspend.js'
import type { WorkflowOptions } from '../workflow/types.js'
import { createWorkflow } from '../workflow/workflow.js'
import type { AnyRegisteredWorkflow, RegisteredWorkflow } from './define.js'
import { checkRunStore } from './store.js'

export interface WorkerOptions {
  /** Most runs this worker runs at once (default 4). */
  readonly concurrency?: number
  /** How long a claimed run stays this worker's without a heartbeat (default 30 000 ms; renewed every third of it). */
  readonly leaseMs?: number
  /** How often an idle worker looks for runs, and a busy one for cancel requests (default 500 ms). */
  readonly pollMs?: number
  /** Aborting it closes the worker gracefully (e.g. `shutdownSignal()`), draining for `drainMs`. */
  readonly signal?: AbortSignal
  /** How long `close()` (and the signal) lets running runs finish before handing them back (default 10 000 ms). */
  readonly drainMs?: number
  /** Receives the workflow events of every run this worker runs. */
  readonly onEvent?: (event: WorkflowEvent) => void
  /** This worker's lease owner token (default a random UUID; must be unique per worker). */
  readonly owner?: string
  /**
   * A `step.sleep` with at most this long left sleeps here, holding its slot (default 1000 ms);
   * a longer one suspends the run: it gives up its slot and lease, and is claimed again when due.
   * `0` suspends every sleep that is not over, `Infinity` none.
   */
  readonly sleepInProcessMs?: number
}

export interface WorkerMetrics {
  /** Runs claimed (a resumed run counts again). */
  readonly claimed: number
  readonly succeeded: number
  readonly failed: number
  readonly cancelled: number
  /** Runs handed back unfinished (drained at close, or the store failed mid-run). */
  readonly released: number
  /** Times a run went to sleep off this worker (a long `step.sleep`, a `waitFor`, children still running). */
  readonly suspended: number
  /** Runs whose lease another worker took over: abandoned, nothing more written. */
  readonly leaseLost: number
  readonly running: number
  /** Store calls of the worker itself (claim, setState, cancel checks) that failed. */
  readonly storeErrors: number
}

export interface Worker {
  /** Starts claiming and running runs. `err(InvalidOptionsError)` for bad options. */
  start(): ResultAsync<void, InvalidOptionsError>
  /**
   * Stops claiming, lets running runs finish for up to `drainMs`, then aborts the rest and hands
   * them back (state pending, lease released) so another worker takes them at once. Leaves no
   * timer, listener or run behind.
   */
  close(options?: { readonly drainMs?: number }): ResultAsync<void, never>
  metrics(): WorkerMetrics
}

interface Active {
  readonly run: RunInfo
  readonly lease: Lease
  readonly controller: AbortController
  /** Why it is being stopped: a cancel request, or the worker closing. */
  stop?: 'cancel' | 'drain'
  done: Promise<void>
}

/**
 * A worker: claims runs of these workflows from the store, runs them (replaying what earlier
 * holders saved), heartbeats their leases, and records how they ended. Any number of workers
 * in any number of processes share a store's runs; a run whose worker died is taken over after
 * `leaseMs`. A run whose lease was taken (this process was frozen or cut off) is abandoned: its
 * steps are aborted and it writes nothing more (`LeaseLostError`).
 *
 * @example
 * const worker = createWorker(store, [checkout], { concurrency: 8, signal: shutdownSignal() })
 * await worker.start()
 */
export function createWorker(
  store: RunStore,
  workflows: readonly AnyRegisteredWorkflow[],
  options: WorkerOptions = {},
): Worker {
  const concurrency = options.concurrency ?? 4
  const leaseMs = options.leaseMs ?? 30_000
  const pollMs = options.pollMs ?? 500
  const owner = options.owner ?? randomUUID()
  const byName = new Map<string, RegisteredWorkflow<unknown, unknown, unknown>>()
  let bad = firstError(
    checkRunStore(store),
    Array.isArray(workflows) ? undefined : new InvalidOptionsError('workflows', workflows, 'an array of workflows'),
    concurrency === Number.POSITIVE_INFINITY
      ? new InvalidOptionsError('concurrency', concurrency, 'a finite integer >= 1')
      : checkConcurrency('concurrency', concurrency),
    leaseMs >= 1
      ? checkMs('leaseMs', leaseMs)
      : new InvalidOptionsError('leaseMs', leaseMs, 'a number of milliseconds >= 1'),
    pollMs >= 1
      ? checkMs('pollMs', pollMs)
      : new InvalidOptionsError('pollMs', pollMs, 'a number of milliseconds >= 1'),
    checkMs('drainMs', options.drainMs),
    checkMs('sleepInProcessMs', options.sleepInProcessMs),
    checkSignal('signal', options.signal),
    checkFunction('onEvent', options.onEvent),
    options.owner === undefined || (typeof options.owner === 'string' && options.owner !== '')
      ? undefined
      : new InvalidOptionsError('owner', options.owner, 'a non-empty string'),
  )
  if (!bad && Array.isArray(workflows)) {
    for (const [i, w] of (workflows as unknown as readonly RegisteredWorkflow<unknown, unknown, unknown>[]).entries()) {
      if (typeof w?.name !== 'string' || typeof w.body !== 'function') {
        bad = new InvalidOptionsError(`workflows[${i}]`, w, 'a workflow made by defineWorkflow')
      } else if (w.invalid) bad = w.invalid
      else if (byName.has(w.name))
        bad = new InvalidOptionsError(`workflows[${i}]`, w.name, 'workflows with distinct names')
      if (bad) break
      byName.set(w.name, w)
    }
  }
  const names = [...byName.keys()]

  const active = new Map<string, Active>()
  const m = {
    claimed: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    released: 0,
    suspended: 0,
    leaseLost: 0,
    storeErrors: 0,
  }
  let started = false
  let closing: Promise<void> | undefined
  let loop: Promise<void> | undefined
  /** Wakes the poll loop early (a slot freed up, or the worker is closing). */
  let wake: (() => void) | undefined
  let detachSignal: (() => void) | undefined

  const idle = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        wake = undefined
        resolve()
      }
      wake = done
    })

  const setState = async (a: Active, state: RunState, error?: RunInfo['error'], dueAt?: number) => {
    try {
      const opts = { ...(error ? { error } : {}), ...(dueAt === undefined ? {} : { dueAt }) }
      await store.setState(a.lease, state, opts)
      return true
    } catch {
      // The lease expires by itself: another worker (or this one) takes the run over then.
      m.storeErrors++
      return false
    }
  }

  /** Records how a run ended (or hands it back), by what its workflow answered. */
  const settle = async (a: Active, r: Result<unknown, unknown>) => {
    if (r.isOk()) {
      if (await setState(a, 'succeeded')) m.succeeded++
      return
    }
    const e = r.error
    // Suspended while a cancel was asked for: the run is cancelled below, not put to sleep.
    if (isSuspended(e) && a.stop !== 'cancel') {
      // Waits off the worker (a sleep, an event, children): no slot, no lease, until due or woken.
      // (A worker that is closing puts it to sleep all the same: it is not this worker's any more.)
      // Without a due time (woken only), looked at again after a minute all the same: polling is the truth.
      if (await setState(a, 'sleeping', undefined, e.dueAt ?? Date.now() + 60_000)) m.suspended++
      return
    }
    if (e instanceof LeaseLostError) {
      m.leaseLost++
      return
    }
    if (e instanceof CancelledError && a.stop === 'drain') {
      // Drained: back to pending, picked up at once elsewhere. (A CancelledError the run ended
      // with by itself, e.g. from a cancelled child, is its failure: it is recorded below.)
      if (await setState(a, 'pending')) m.released++
      return
    }
    if (e instanceof StoreError || e instanceof RunLockedError) {
      // The store failed mid-run: try again later, backing off with each claim (no hot loop).
      const backoff = Math.min(30_000, 100 * 2 ** Math.min(a.run.claims, 9))
      if (await setState(a, 'pending', undefined, Date.now() + backoff)) m.released++
      return
    }
    // A run cancelled while it was suspending: the cancel is its end (not the suspension). A
    // cancelled run whose compensations ran ends cancelled too (its outcome, recorded, says which ran).
    const cancel = a.controller.signal.reason ?? new CancelledError(`run "${a.run.runId}" was cancelled`)
    const error = summary(isSuspended(e) ? cancel : e)
    const cancelled =
      isSuspended(e) ||
      e instanceof CancelledError ||
      (e instanceof CompensatedError && e.error instanceof CancelledError)
    if (cancelled && a.stop === 'cancel') {
      if (await setState(a, 'cancelled', error)) m.cancelled++
      return
    }
    // A ReplayMismatchError has no outcome record; the summary keeps its tag for the client.
    if (await setState(a, 'failed', error)) m.failed++
  }

  const launch = (run: RunInfo, lease: Lease) => {
    const wf = byName.get(run.workflow)
    const controller = new AbortController()
    const a: Active = { run, lease, controller, done: Promise.resolve() }
    active.set(run.runId, a)
    m.claimed++
    // Cancelled while it slept (or waited to be claimed): it replays what it recorded (so its
    // compensations are registered), ends cancelled at its first new step and compensates.
    const cancelled = run.cancelRequested ? new CancelledError(`run "${run.runId}" was cancelled`) : undefined
    if (cancelled) a.stop = 'cancel'
    const body = async (): Promise<void> => {
      if (!wf) {
        await settle(a, err(new InvalidOptionsError('workflow', run.workflow, 'a workflow this worker knows')))
        return
      }
      const o = {
        name: wf.name,
        store,
        runId: run.runId,
        leaseMs,
        retry: true,
        signal: controller.signal,
        onEvent: options.onEvent,
        [HELD_LEASE]: lease,
        [SLEEP_IN_PROCESS]: options.sleepInProcessMs,
        [CANCELLED_RUN]: cancelled,
      } as WorkflowOptions
      const r = await createWorkflow(wf.deps, o)((step, deps) => wf.body(step, deps, run.input))
      await settle(a, r)
    }
    a.done = body()
      .catch(() => {})
      .finally(() => {
        active.delete(run.runId)
        wake?.()
      })
  }

  /** Cancel requests of running runs (the store's flag, seen at each poll). */
  const checkCancels = async () => {
    for (const a of [...active.values()]) {
      if (a.stop) continue
      try {
        const info = await store.getRun(a.run.runId)
        if (info?.cancelRequested && !a.stop) {
          a.stop = 'cancel'
          a.controller.abort(new CancelledError(`run "${a.run.runId}" was cancelled`))
        }
      } catch {
        m.storeErrors++
      }
    }
  }

  const poll = async () => {
    while (!closing) {
      const free = concurrency - active.size
      let got = 0
      if (free > 0) {
        try {
          const claimed = await store.claim(names, owner, leaseMs, free)
          got = claimed.length
          for (const c of claimed) {
            if (closing) {
              // Claimed while closing: hand it straight back.
              await store.setState(c.lease, 'pending').catch(() => {
                m.storeErrors++
              })
            } else launch(c.run, c.lease)
          }
        } catch {
          m.storeErrors++
        }
      }
      if (closing) break
      if (active.size > 0) await checkCancels()
      if (got > 0 && got === free) continue // there may be more waiting
      await idle(pollMs)
    }
  }

  const close = (opts: { readonly drainMs?: number } = {}): ResultAsync<void, never> => {
    closing ??= (async () => {
      detachSignal?.()
      wake?.()
      await loop
      const drainMs = opts.drainMs ?? options.drainMs ?? 10_000
      const all = () => Promise.all([...active.values()].map((a) => a.done))
      if (active.size > 0 && drainMs > 0) {
        let timer: ReturnType<typeof setTimeout> | undefined
        await Promise.race([all(), new Promise<void>((r) => (timer = setTimeout(r, drainMs)))])
        clearTimeout(timer)
      }
      for (const a of active.values()) {
        if (a.stop) continue
        a.stop = 'drain'
        a.controller.abort(new CancelledError('the worker is shutting down'))
      }
      await all()
    })()
    return new ResultAsync(closing.then(() => ok(undefined)))
  }

  return {
    start() {
      if (bad) return new ResultAsync(Promise.resolve(err(bad)))
      if (!started && !closing) {
        started = true
        if (options.signal) {
          const onAbort = () => void close()
          if (options.signal.aborted) onAbort()
          else {
            options.signal.addEventListener('abort', onAbort, { once: true })
            detachSignal = () => options.signal?.removeEventListener('abort', onAbort)
          }
        }
        if (!closing) loop = poll()
      }
      return new ResultAsync(Promise.resolve(ok(undefined)))
    },
    close,
    metrics: () => ({ ...m, running: active.size }),
  }
}

/** A short summary of an error for list views: its tag (when it has one) and message. */
function summary(e: unknown): NonNullable<RunInfo['error']> {
  const tag = (e as { _tag?: unknown } | null)?._tag
  const message = e instanceof Error ? e.message : typeof e === 'string' ? e : (JSON.stringify(e) ?? String(e))
  return typeof tag === 'string' ? { tag, message } : { message }
}

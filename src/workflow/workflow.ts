import { randomUUID } from 'node:crypto'
import { err, errAsync, ok, type Result, ResultAsync } from 'neverthrow'
import { InvalidOptionsError } from '../errors.js'
import { checkFunction, checkMs, checkSignal, firstError } from '../internal/options.js'
import { runOne } from '../internal/run.js'
import { fromThrow } from '../internal/start.js'
import type { DurableError } from './durable.js'
import { checkString, optionsOf, unreadable } from './options.js'
import { createRun, WorkflowExit } from './run.js'
import { makeStep, type Step } from './step.js'
import type { WorkflowStore } from './store/types.js'
import { isSuspended } from './suspend.js'
import type { WorkflowError, WorkflowOptions, WorkflowRunOptions } from './types.js'

/** The body of a workflow: plain async code that calls `step` for each unit of work. */
export type WorkflowBody<D, T> = (step: Step<WorkflowError<D>>, deps: D) => T | PromiseLike<T>

/**
 * Runs a workflow body; returns its value as `ok`, or the first step error. `X` adds the errors
 * of the durable machinery when the workflow has a store (`DurableError`).
 */
export type Workflow<D, X = never> = <T>(
  body: WorkflowBody<D, T>,
  opts?: WorkflowRunOptions,
) => ResultAsync<T, WorkflowError<D> | X>

function checkOptions(o: WorkflowOptions): InvalidOptionsError | undefined {
  const named = checkString('name', o.name, true) ?? checkString('runId', o.runId, true)
  if (named) return named
  if (o.store !== undefined) {
    const st = o.store as Partial<WorkflowStore> | null
    const methods = ['acquire', 'renew', 'release', 'load', 'append', 'reopen'] as const
    if (st === null || typeof st !== 'object' || methods.some((m) => typeof st[m] !== 'function'))
      return new InvalidOptionsError('store', o.store, 'a WorkflowStore (v2)')
    if (o.runId === undefined) return new InvalidOptionsError('runId', o.runId, 'a run id')
  }
  if (o.retry !== undefined && typeof o.retry !== 'boolean')
    return new InvalidOptionsError('retry', o.retry, 'a boolean')
  if (o.leaseMs !== undefined && !(typeof o.leaseMs === 'number' && o.leaseMs >= 1 && o.leaseMs <= 2 ** 31 - 1)) {
    return new InvalidOptionsError('leaseMs', o.leaseMs, 'a number of milliseconds from 1 to 2147483647')
  }
  return firstError(
    checkFunction('onEvent', o.onEvent),
    checkSignal('signal', o.signal),
    checkMs('timeoutMs', o.timeoutMs),
  )
}

/**
 * Builds a workflow over `deps` (functions returning Results, worker pools, anything else the
 * body needs). The result's error type is the union of the deps' error types plus okflow's own —
 * inferred, never written by hand.
 *
 * @example
 * const checkout = createWorkflow({ fetchUser, chargeCard }, { name: 'checkout', onEvent })
 * const result = await checkout(async (step, deps) => {
 *   const user = await step(() => deps.fetchUser(id), { name: 'fetch user', timeoutMs: 500, retry: { attempts: 3 } })
 *   const receipt = await step(({ signal }) => deps.chargeCard(user, signal), { name: 'charge' })
 *   return { user, receipt }
 * })
 *
 * `step` resolves to the ok value; an err ends the workflow with that err. It does so by
 * throwing a `WorkflowExit`, but the error is also recorded on the run: a `try/catch` that
 * swallows the exit changes nothing — the workflow still returns the step's err, and further
 * steps refuse to start.
 *
 * Durable runs (`{ store, runId }`, e.g. `fileStore('./runs')`): every step that finishes is
 * saved before its value reaches the body, as JSON; running the same `runId` again (after a
 * crash, in a new process) replays saved steps without running them — their events carry
 * `replayed: true` — and runs on from the first unsaved step. The rules:
 * - A step's identity is its position (the order the body asks for steps) plus its key (`key`
 *   option, else its name). If a replay asks for another key at a saved position, the run ends
 *   with `ReplayMismatchError` rather than mix histories: keep the body deterministic, and give
 *   steps a stable `key` so a renamed step keeps its history.
 * - Groups (`step.all/any/race`) and `step.offload` are saved and replayed as one unit (their
 *   combined value; children do not run again). `step.sleep` is saved too.
 * - Values and errs must be JSON data: plain objects, arrays, strings, finite numbers,
 *   booleans, null; `undefined` as the whole value (a void step) or as an object property
 *   (dropped, reads back the same). Functions, symbols, BigInt, NaN/Infinity, `undefined` in
 *   arrays, cycles, Map/Set, Date and other class instances end the run with an
 *   `InvalidOptionsError` naming the step and the path (`step "load" value.items[2]`), never
 *   a silent change. An `Error` is saved with its name, message, cause and data fields
 *   (functions and the stack are left out) and replays as an Error that matches the same
 *   ts-pattern; okflow's own errors replay as their classes, other classes as plain `Error`s.
 * - A finished run returns its saved outcome (ok or err) without running the body's steps.
 *   A cancelled run (its `signal`), and one that ended with `ReplayMismatchError`,
 *   `RunLockedError` or `StoreError`, saves no outcome, so it can be resumed (a cancelled run
 *   whose steps' `compensate` ran is over: its CompensatedError is saved, see compensate.ts).
 * - A step still running at the crash was not saved and runs again on resume: steps with
 *   outside effects should be idempotent (an idempotency key derived from the runId helps).
 * - Store failures end the run with `StoreError` (or `RunLockedError`); nothing throws. The
 *   store is locked and loaded before the body starts, outside `timeoutMs` and `signal`.
 */
export function createWorkflow<D>(
  deps: D,
  options: WorkflowOptions & { store: WorkflowStore },
): Workflow<D, DurableError>
/** A workflow without a store: its error type has no durable errors. */
export function createWorkflow<D>(deps: D, options?: WorkflowOptions & { store?: undefined }): Workflow<D>
/** Options that may hold a store: the durable errors are in the error type. */
export function createWorkflow<D>(deps: D, options?: WorkflowOptions): Workflow<D, DurableError>
export function createWorkflow<D>(deps: D, options?: WorkflowOptions): Workflow<D> {
  return <T>(body: WorkflowBody<D, T>, runOpts?: WorkflowRunOptions): ResultAsync<T, WorkflowError<D>> => {
    const o: WorkflowOptions = {}
    try {
      // Read once, inside this guard: a Proxy or a throwing getter is an err, never a throw.
      // Per-run options override the workflow's only where they are set: `{ signal: undefined }`
      // must not erase the workflow's signal.
      const perRun = optionsOf(runOpts, 'options')
      Object.assign(o, optionsOf(options, 'options'))
      for (const k in perRun) if (perRun[k] !== undefined) (o as Record<string, unknown>)[k] = perRun[k]
      const bad = checkOptions(o) ?? checkFunction('body', body, false)
      if (bad) throw bad
    } catch (e) {
      return errAsync(unreadable(e, 'options'))
    }
    return new ResultAsync(runWorkflow(deps, body, o))
  }
}

async function runWorkflow<D, T>(
  deps: D,
  body: WorkflowBody<D, T>,
  o: WorkflowOptions,
): Promise<Result<T, WorkflowError<D>>> {
  type R = Result<T, WorkflowError<D>>
  const name = o.name ?? 'workflow'
  const run = createRun(o.runId ?? randomUUID(), name, o.onEvent)
  // Closes and cancels every step still running, emits the terminal event: no step outlives its run.
  const end = (r: R, replayed?: boolean): R => {
    run.finish(r, replayed)
    return r
  }
  if (o.store) {
    // Locked and loaded before the body starts; a finished run answers from its record.
    // Loaded only by runs with a store: a workflow without one does not pay for leases,
    // records and codecs (a bundler puts this in a chunk of its own).
    const { Durable, fromRecord } = await import('./durable.js')
    const opened = await Durable.open(o.store, run.runId, o)
    if (opened.isErr()) return end(opened as never)
    const d = opened.value
    if (d.outcome) {
      await d.done()
      return end(fromRecord(d.outcome) as R, true)
    }
    run.durable = d
  }
  const bodyTask = (): Promise<R> => {
    const step = makeStep<WorkflowError<D>>(run)
    return Promise.resolve()
      .then(() => body(step, deps))
      .then(
        (value): R => (run.exit ? err(run.exit.error as WorkflowError<D>) : ok(value)),
        (e: unknown): R => {
          if (run.exit) return err(run.exit.error as WorkflowError<D>)
          if (e instanceof WorkflowExit) return err(e.error as WorkflowError<D>)
          return fromThrow(e)
        },
      )
  }
  // A durable run also stops when its lease is lost.
  const d = run.durable
  const signal = d ? (o.signal ? AbortSignal.any([o.signal, d.signal]) : d.signal) : o.signal
  const r = await new Promise<R>((resolve) => {
    runOne<T, WorkflowError<D>>(bodyTask, { signal, timeoutMs: o.timeoutMs, label: name }, (x) => {
      // Without a store the run ends right here, synchronously, however it ended (body done,
      // timeout, abort): running steps are cancelled at once. A durable run closes its store
      // first, but a cancel, a timeout or an error stops it now: no step starts after it, and
      // steps still running are aborted (their results are not saved: they re-run on resume).
      // A suspension (on a worker) lets them finish and save instead (see durable.ts). A run
      // with steps to compensate ends after its compensations.
      if (!run.durable && !run.undo) end(x as R)
      else if (x.isErr() && !isSuspended(x.error)) run.stop(x.error)
      resolve(x as R)
    })
  })
  // Pending appends finish and the outcome is saved before the lock goes and the result is out.
  // A run with steps to undo compensates if it failed (durable: in `close`). From the chunk of
  // the step methods loaded on first use: its name is in this bundle already.
  if (run.durable) return end((await run.durable.close(r, run)) as R)
  return run.undo ? end((await (await import('./primitives/index.js')).compensate(run, r)) as R) : r
}

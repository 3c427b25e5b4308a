// The pool's public face: `createWorkerPool`, its options and the `WorkerPool` interface. The
// engine is dispatcher.ts (queue and threads), the thread side thread.ts, their messages
// protocol.ts; measured history of the design is in benchmarks/README.md.
import type { Transferable } from 'node:worker_threads'
import { err, ok, type Result, ResultAsync } from 'neverthrow'
import {
  CancelledError,
  InvalidOptionsError,
  QueueFullError,
  TimeoutError,
  type WorkerCrashedError,
} from '../errors.js'
import { cancelledBy, onAbort } from '../internal/abort.js'
import { checkMs, checkSignal, firstError, MAX_TIMER_MS } from '../internal/options.js'
import type { Call } from './call.js'
import { callSite } from './decode.js'
import type { WorkerTaskMap, WorkerTasks } from './define.js'
import { Dispatcher } from './dispatcher.js'
import type { WorkerPoolMetrics } from './metrics.js'
import { checkPoolOptions, readOptions, type WorkerPoolOptions, type WorkerPoolTypes } from './options.js'
import { QUEUED } from './states.js'
import type { TaskError, TaskInput, TaskName, TaskOutput, WorkerRunError } from './types.js'

export type { WorkerPoolMetrics } from './metrics.js'

/** What can be moved to a thread instead of copied (an `ArrayBuffer`, a `MessagePort`, …). */
export type TransferItem = Transferable

/** Options of one `pool.run` call. */
export interface RunTaskOptions {
  /** Gives up after this long (queue wait included): `TimeoutError`, and a running task's thread is replaced. */
  timeoutMs?: number | undefined
  /** Aborting it cancels the task: `CancelledError`; queued → removed, running → its thread is replaced. */
  signal?: AbortSignal | undefined
  /** Objects moved to the worker instead of copied (e.g. an `ArrayBuffer`); they are detached here. */
  transfer?: readonly TransferItem[] | undefined
}

/** Options of `pool.close`. */
export interface CloseOptions {
  /** Cancel queued and running tasks (`CancelledError`) instead of letting them finish. */
  force?: boolean | undefined
}

/** A pool of worker threads running the tasks of one tasks module. */
export interface WorkerPool<T extends WorkerTasks<WorkerTaskMap>> {
  /**
   * Runs task `name` with `input` on a worker thread. Never rejects: the task's own `err`s, a
   * throw (`TaskFailedError`), a dead thread (`WorkerCrashedError`), an input that cannot be
   * cloned (`DataCloneError`), a timeout, an abort, a full queue and bad options all come back as
   * a typed `err`.
   */
  run<K extends TaskName<T>>(
    name: K,
    input: TaskInput<T, K>,
    opts?: RunTaskOptions,
  ): ResultAsync<TaskOutput<T, K>, TaskError<T, K> | WorkerRunError>
  /** A snapshot of the pool's counters. */
  metrics(): WorkerPoolMetrics
  /**
   * Resolves once the pool's threads have loaded the tasks module (starting one if none runs),
   * so the first task does not wait for a thread to start. `WorkerCrashedError` if threads keep
   * failing to start; `CancelledError` once the pool is closed.
   */
  ready(): ResultAsync<void, WorkerCrashedError | CancelledError>
  /**
   * Stops the pool: lets queued and running tasks finish (or, with `force`, cancels them), then
   * stops every thread. Later `run` calls get `CancelledError`. Calling it again returns the same
   * wait, except that `{ force: true }` after a plain `close()` still cancels what is left.
   */
  close(opts?: CloseOptions): ResultAsync<void, InvalidOptionsError>
}

const NO_OPTIONS: RunTaskOptions = /* @__PURE__ */ Object.freeze({})

function checkTransfer(value: unknown): InvalidOptionsError | undefined {
  if (value === undefined || Array.isArray(value)) return undefined
  return new InvalidOptionsError('transfer', value, 'an array of transferable objects')
}

/** Reads `pool.run`'s options once, inside a guard (a Proxy or a throwing getter is an err, not a throw). */
function readRunOptions(value: unknown): RunTaskOptions | InvalidOptionsError {
  if (value === undefined) return NO_OPTIONS
  return readOptions(value, 'an object of run options', (o) => {
    const { timeoutMs, signal, transfer } = o as RunTaskOptions
    return (
      firstError(checkMs('timeoutMs', timeoutMs), checkSignal('signal', signal), checkTransfer(transfer)) ?? {
        timeoutMs,
        signal,
        transfer,
      }
    )
  })
}

function readCloseOptions(value: unknown): { force: boolean } | InvalidOptionsError {
  if (value === undefined) return { force: false }
  return readOptions(value, 'an object of close options', (o) => {
    const { force } = o as CloseOptions
    if (force === undefined || typeof force === 'boolean') return { force: force === true }
    return new InvalidOptionsError('force', force, 'a boolean')
  })
}

/** The thread runner next to this module: dist/thread.js, or dist/thread.cjs in the CJS build. */
function runnerUrl(): URL {
  // The CJS build turns import.meta.url into pathToFileURL(__filename).href.
  const here = import.meta.url
  return new URL(here.endsWith('.cjs') ? './thread.cjs' : './thread.js', here)
}

/**
 * Creates a pool of worker threads for a tasks module whose default export is
 * `defineWorkerTasks({...})`. Name the module's type for compile-time checked task names,
 * inputs and outputs: `createWorkerPool<typeof import('./tasks.js').default>(url)`, or (in
 * JavaScript too) `createWorkerPool(url, { types: () => import('./tasks.js') })`.
 *
 * Returns a neverthrow `Result` rather than throwing: `err(InvalidOptionsError)` names the bad
 * option (`filename` when the module does not exist, is a directory, or is TypeScript that this
 * Node cannot load in a thread). No thread starts until the first task unless `minThreads` > 0
 * (or `await pool.ready()`); idle threads do not keep the process alive.
 *
 * A queued task that times out or is aborted leaves the queue at once (O(1)) and never starts;
 * a running task's thread is terminated and replaced, so a task stuck in a loop cannot hold a
 * thread forever.
 */
export function createWorkerPool<T extends WorkerTasks<WorkerTaskMap> = WorkerTasks<WorkerTaskMap>>(
  file: URL | string,
  opts: WorkerPoolOptions & WorkerPoolTypes<T> = {},
): Result<WorkerPool<T>, InvalidOptionsError> {
  const checked = checkPoolOptions(file, opts)
  if (checked instanceof InvalidOptionsError) return err(checked)
  const { maxThreads, maxQueue, idleTimeoutMs, callSites } = checked
  const engine = new Dispatcher({
    ...checked,
    runner: runnerUrl(),
    idleDelay: Number.isFinite(idleTimeoutMs) ? Math.min(idleTimeoutMs, MAX_TIMER_MS) : undefined,
  })
  let closing: ResultAsync<void, InvalidOptionsError> | undefined
  let forced = false

  const submit = (
    name: string,
    input: unknown,
    rawOpts: unknown,
    site: Call['site'],
    resolve: (result: Result<unknown, unknown>) => void,
  ): void => {
    if (engine.closed) return resolve(err(new CancelledError('the worker pool is closed')))
    const runOpts = readRunOptions(rawOpts)
    if (runOpts instanceof InvalidOptionsError) return resolve(err(runOpts))
    if (engine.broken !== undefined) return resolve(err(engine.broken))
    if (engine.running >= maxThreads && engine.queue.size + engine.ahead >= maxQueue) {
      return resolve(err(new QueueFullError(maxQueue)))
    }
    const { timeoutMs, signal, transfer } = runOpts
    if (signal?.aborted) {
      engine.stats.submitted++
      engine.stats.cancelled++
      return resolve(err(cancelledBy(signal)))
    }
    const call: Call = {
      name,
      input,
      transfer,
      resolve,
      site,
      state: QUEUED,
      timer: undefined,
      detach: undefined,
      submittedAt: performance.now(),
      started: 0,
      thread: undefined,
      slot: 0,
      requeued: false,
      prev: undefined,
      next: undefined,
    }
    if (signal) call.detach = onAbort(signal, () => engine.stop(call, cancelledBy(signal)))
    if (timeoutMs !== undefined && timeoutMs !== Number.POSITIVE_INFINITY) {
      call.timer = setTimeout(() => engine.stop(call, new TimeoutError(timeoutMs, name)), timeoutMs)
    }
    engine.submit(call)
  }

  const run = (name: string, input: unknown, runOpts?: unknown): ResultAsync<never, never> => {
    const site = callSites ? callSite(run) : undefined
    return new ResultAsync(
      new Promise<Result<unknown, unknown>>((resolve) => submit(name, input, runOpts, site, resolve)),
    ) as ResultAsync<never, never>
  }

  const pool: WorkerPool<T> = {
    run,

    metrics() {
      return engine.stats.snapshot({
        queued: engine.queue.size + engine.ahead,
        running: engine.running,
        threads: engine.threads.length,
        maxThreads,
      })
    },

    ready() {
      return new ResultAsync(
        engine.whenReady().then(() => {
          if (engine.broken !== undefined) return err(engine.broken)
          if (engine.closed) return err(new CancelledError('the worker pool is closed'))
          return ok(undefined)
        }),
      )
    },

    close(closeOpts) {
      const checkedClose = readCloseOptions(closeOpts)
      if (checkedClose instanceof InvalidOptionsError) return new ResultAsync(Promise.resolve(err(checkedClose)))
      const force = checkedClose.force && !forced
      if (force) forced = true
      if (closing && !force) return closing
      engine.closed = true
      if (force) engine.cancelAll(new CancelledError('the worker pool was closed'))
      if (closing) {
        // A graceful close is already waiting: cancelling everything above lets it end now.
        void engine.stopThreads()
        return closing
      }
      const stopped = force ? engine.stopThreads() : engine.drained().then(() => engine.stopThreads())
      closing = new ResultAsync(
        stopped.then(
          () => ok(undefined),
          () => ok(undefined),
        ),
      )
      return closing
    },
  }
  engine.fill()
  return ok(pool)
}

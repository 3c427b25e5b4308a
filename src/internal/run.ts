import { err, type Result } from 'neverthrow'
import { CancelledError, TimeoutError, type UnexpectedError } from '../errors.js'
import type { AnyInput, ResultLike, ResultPromiseLike, TaskContext } from '../types.js'
import { cancelledBy, LazyContext, onAbort } from './abort.js'
import { release, start } from './start.js'

export interface RunOptions<C extends object = object> {
  /** Cancels the run: it settles at once with CancelledError and the task is aborted. */
  signal?: AbortSignal | undefined
  /** Settles with TimeoutError after this long and aborts the task; Infinity/undefined = never. */
  timeoutMs?: number | undefined
  /** Names the work in a TimeoutError. */
  label?: string | undefined
  /** Extra context fields handed to a lazy task beside `signal` (e.g. `attempt`). */
  context?: C | undefined
}

/** An input, or a task that wants more context than `signal` (given through `context`). */
export type RunInput = AnyInput | ((ctx: never) => ResultLike | ResultPromiseLike)

export type RunResult<T, E> = Result<T, E | UnexpectedError | TimeoutError | CancelledError>

/**
 * Runs one input under a signal and a deadline. Settles exactly once: with the input's own
 * Result, or at once with CancelledError/TimeoutError, in which case the task's signal is
 * aborted (an already-running promise can only be abandoned). Timer and listener are removed
 * on settle, so nothing is left behind.
 */
export function runOne<T, E>(input: RunInput, opts: RunOptions, settle: (result: RunResult<T, E>) => void): Cancel {
  const { signal, timeoutMs, label } = opts
  if (signal?.aborted) {
    release([input])
    settle(err(cancelledBy(signal)))
    return ignore
  }
  const lazy = typeof input === 'function'
  const needsTimer = timeoutMs !== undefined && timeoutMs !== Number.POSITIVE_INFINITY
  const controller = lazy ? new LazyContext() : undefined
  let done = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let detach: (() => void) | undefined
  const finish = (result: RunResult<T, E>, abortReason?: unknown) => {
    if (done) return
    done = true
    if (timer !== undefined) clearTimeout(timer)
    detach?.()
    if (abortReason !== undefined && controller) LazyContext.abort(controller, abortReason)
    settle(result)
  }
  if (signal) {
    detach = onAbort(signal, () => {
      const e = cancelledBy(signal)
      finish(err(e), signal.reason)
    })
  }
  if (needsTimer) {
    timer = setTimeout(() => {
      const e = new TimeoutError(timeoutMs, label)
      finish(err(e), e)
    }, timeoutMs)
  }
  if (controller && opts.context) Object.assign(controller, opts.context)
  start<T, E>(input as AnyInput, controller as TaskContext | undefined, finish)
  // Lets an owner that tracks many runs (a workflow) cancel one without an AbortSignal listener each.
  return (reason) => finish(err(reason instanceof CancelledError ? reason : new CancelledError(reason)), reason)
}

/** Cancels a run: it settles at once with CancelledError and its task is aborted with `reason`. */
export type Cancel = (reason: unknown) => void
const ignore: Cancel = () => {}

/** runOne as a promise that always resolves. */
export function runOnePromise<T, E>(input: RunInput, opts: RunOptions): Promise<RunResult<T, E>> {
  return new Promise((resolve) => runOne(input, opts, resolve))
}

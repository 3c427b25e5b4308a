import { err, ResultAsync } from 'neverthrow'
import type { CancelledError, InvalidOptionsError, TimeoutError, UnexpectedError } from '../errors.js'
import { checkMs, checkSignal, firstError } from '../internal/options.js'
import { runOnePromise } from '../internal/run.js'
import { release } from '../internal/start.js'
import type { AnyInput, ErrOf, OkOf } from '../types.js'

/** Options of `withTimeout`. */
export interface TimeoutOptions {
  /** Aborting it returns `err(CancelledError)` at once. */
  signal?: AbortSignal | undefined
  /** Names the work in the TimeoutError (`error.label`). */
  label?: string | undefined
}

/** Errors `withTimeout` can return for `input`. */
export type WithTimeoutError<I> = ErrOf<I> | TimeoutError | UnexpectedError | CancelledError | InvalidOptionsError

/**
 * Gives `input` `ms` milliseconds. Time out → `err(TimeoutError)` at once and a lazy task's
 * signal is aborted; the timer is cleared as soon as the input settles.
 */
export function withTimeout<I extends AnyInput>(
  input: I,
  ms: number,
  opts?: TimeoutOptions,
): ResultAsync<OkOf<I>, WithTimeoutError<I>> {
  const bad = firstError(checkMs('ms', ms, false), checkSignal('signal', opts?.signal))
  if (bad) {
    release([input])
    return new ResultAsync(Promise.resolve(err(bad)))
  }
  return new ResultAsync(
    runOnePromise<OkOf<I>, ErrOf<I>>(input, { timeoutMs: ms, signal: opts?.signal, label: opts?.label }),
  )
}

import { err, ResultAsync } from 'neverthrow'
import { type CancelledError, InvalidOptionsError, type TimeoutError, type UnexpectedError } from '../errors.js'
import { checkMs, checkSignal, firstError, pickOptions } from '../internal/options.js'
import { runOnePromise } from '../internal/run.js'
import { release } from '../internal/start.js'
import type { AnyInput, ErrOf, OkOf } from '../types.js'

/** Options of `withTimeout`. */
export interface TimeoutOptions {
  /** Aborting it returns `err(CancelledError)` at once. */
  signal?: AbortSignal | undefined
  /** Names the work in the TimeoutError (`error.label`): a string. */
  label?: string | undefined
}

/** Errors `withTimeout` can return, given `E`, the input's own error: `WithTimeoutError<NotFound>`. */
export type WithTimeoutError<E> = E | TimeoutError | UnexpectedError | CancelledError | InvalidOptionsError

function checkLabel(value: unknown): InvalidOptionsError | undefined {
  // Checked up front: a Symbol or a null-prototype object cannot be put in the message, and
  // finding that out inside the timer would throw there, leaving the call unsettled.
  if (value === undefined || typeof value === 'string') return undefined
  return new InvalidOptionsError('label', value, 'a string')
}

/**
 * Gives `input` `ms` milliseconds. Time out → `err(TimeoutError)` at once and a lazy task's
 * signal is aborted; the timer is cleared as soon as the input settles.
 */
export function withTimeout<I extends AnyInput>(
  input: I,
  ms: number,
  opts?: TimeoutOptions,
): ResultAsync<OkOf<I>, WithTimeoutError<ErrOf<I>>> {
  const o = pickOptions<TimeoutOptions>(opts, ['signal', 'label'])
  const bad =
    o instanceof InvalidOptionsError
      ? o
      : firstError(checkMs('ms', ms, false), checkSignal('signal', o.signal), checkLabel(o.label))
  if (bad) {
    release([input])
    return new ResultAsync(Promise.resolve(err(bad)))
  }
  const { signal, label } = o as TimeoutOptions
  return new ResultAsync(runOnePromise<OkOf<I>, ErrOf<I>>(input, { timeoutMs: ms, signal, label }))
}

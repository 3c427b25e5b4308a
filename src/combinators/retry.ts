import { err, ResultAsync } from 'neverthrow'
import { InvalidOptionsError } from '../errors.js'
import { checkFunction } from '../internal/options.js'
import {
  type AttemptError,
  type RetryError,
  type RetryOptions,
  type RetryTask,
  readRetryOptions,
  retryLoop,
} from '../internal/retry.js'
import type { ErrOf, OkOf } from '../types.js'

export {
  type AttemptContext,
  type AttemptError,
  type Backoff,
  backoffDelay,
  type RetryError,
  type RetryOptions,
  type RetryTask,
} from '../internal/retry.js'

/**
 * Calls `task` until it succeeds, at most `attempts` times, sleeping per `backoff` between
 * attempts. Returns the last error when attempts run out or `retryIf` says no; an abort — during
 * an attempt or a backoff sleep — returns `CancelledError`, not the last error.
 */
export function retry<F extends RetryTask>(
  task: F,
  opts: RetryOptions<AttemptError<ErrOf<F>>>,
): ResultAsync<OkOf<F>, RetryError<ErrOf<F>>> {
  const o = readRetryOptions(opts)
  const bad = checkFunction('task', task, false) ?? (o instanceof InvalidOptionsError ? o : undefined)
  if (bad) return new ResultAsync(Promise.resolve(err(bad)))
  return new ResultAsync(retryLoop<OkOf<F>, ErrOf<F>>(task, o as RetryOptions<unknown>))
}

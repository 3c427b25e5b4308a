import { err, ok, type Result, ResultAsync } from 'neverthrow'
import {
  AllFailedError,
  CancelledError,
  InvalidOptionsError,
  type TimeoutError,
  type UnexpectedError,
} from '../errors.js'
import { cancelledBy, onAbort } from '../internal/abort.js'
import { checkInteger, checkMs, checkSignal, firstError, pickOptions } from '../internal/options.js'
import { runOne } from '../internal/run.js'
import type { ErrOf, OkOf } from '../types.js'
import type { RetryTask } from './retry.js'

/** Options of `hedge`: when to start another attempt, how many in total, and their limits. */
export interface HedgeOptions {
  /** Start another attempt when none has succeeded after this many ms. */
  afterMs: number
  /** Attempts in total, the first included (default 2). */
  max?: number | undefined
  /** Time limit for each attempt. */
  timeoutMs?: number | undefined
  /** Aborting it returns `err(CancelledError)` and aborts every attempt. */
  signal?: AbortSignal | undefined
}

/** Errors `hedge` can return, given `E`, the task's own error: `HedgeError<NotFound>`. */
export type HedgeError<E> = AllFailedError<E | UnexpectedError | TimeoutError> | CancelledError | InvalidOptionsError

/**
 * Speculative retries for tail latency: starts `task`, and if no attempt has succeeded after
 * `afterMs`, starts another (up to `max` in all) while the first keeps running. The first ok
 * wins and the other attempts are aborted. An attempt that fails while no other is running
 * brings the next one forward instead of waiting out the timer. All failed →
 * `err(AllFailedError)` with each attempt's error, in attempt order.
 */
export function hedge<F extends RetryTask>(task: F, opts: HedgeOptions): ResultAsync<OkOf<F>, HedgeError<ErrOf<F>>> {
  type E = ErrOf<F> | UnexpectedError | TimeoutError
  const read =
    typeof opts === 'object' && opts !== null
      ? pickOptions<HedgeOptions>(opts, ['afterMs', 'max', 'timeoutMs', 'signal'])
      : new InvalidOptionsError('options', opts, 'an object with afterMs')
  const o: Partial<HedgeOptions> = read instanceof InvalidOptionsError ? {} : read
  const bad =
    typeof task !== 'function'
      ? new InvalidOptionsError('task', task, 'a function')
      : read instanceof InvalidOptionsError
        ? read
        : firstError(
            checkMs('afterMs', o.afterMs, false),
            o.max === undefined ? undefined : checkInteger('max', o.max, 1),
            checkMs('timeoutMs', o.timeoutMs),
            checkSignal('signal', o.signal),
          )
  if (bad) return new ResultAsync(Promise.resolve(err(bad)))
  const afterMs = o.afterMs as number
  const max = o.max ?? 2
  const userSignal = o.signal

  return new ResultAsync(
    new Promise<Result<OkOf<F>, HedgeError<ErrOf<F>>>>((resolve) => {
      if (userSignal?.aborted) return resolve(err(cancelledBy(userSignal)))
      // Every attempt runs under this group signal: aborting it once stops them all.
      const group = new AbortController()
      const errors: E[] = []
      let started = 0
      let running = 0
      let done = false
      let timer: ReturnType<typeof setTimeout> | undefined
      const detach = userSignal
        ? onAbort(userSignal, () => finish(err(cancelledBy(userSignal)), userSignal.reason))
        : undefined

      const finish = (r: Result<OkOf<F>, HedgeError<ErrOf<F>>>, abortReason: unknown) => {
        if (done) return
        done = true
        if (timer !== undefined) clearTimeout(timer)
        detach?.()
        group.abort(abortReason)
        resolve(r)
      }
      // Re-entrancy guard: an attempt that fails synchronously asks for the next one from inside
      // `start`; looping here instead of recursing keeps any `max` off the stack.
      let launching = false
      let again = false
      const launch = () => {
        if (launching) {
          again = true
          return
        }
        launching = true
        do {
          again = false
          start()
        } while (again && !done)
        launching = false
      }
      const start = () => {
        if (timer !== undefined) clearTimeout(timer)
        timer = undefined
        const attempt = ++started
        running++
        // afterMs: Infinity means "never hedge on time", only on failure.
        if (started < max && afterMs !== Number.POSITIVE_INFINITY) timer = setTimeout(launch, afterMs)
        runOne<OkOf<F>, ErrOf<F>>(task, { signal: group.signal, timeoutMs: o.timeoutMs, context: { attempt } }, (r) => {
          if (done) return
          running--
          if (r.isOk()) return finish(ok(r.value), new CancelledError('another attempt succeeded'))
          errors[attempt - 1] = r.error as E
          if (running > 0) return
          if (started < max) return launch()
          finish(err(new AllFailedError(errors)), undefined)
        })
      }
      launch()
    }),
  )
}

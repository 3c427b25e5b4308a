// The retry mechanism shared by the `retry` combinator, batch items, pipeline stages and
// workflow steps: its options, their checks, backoff delays, and the loop itself.
import { err, type Result } from 'neverthrow'
import {
  type CancelledError,
  formatValue,
  InvalidOptionsError,
  type TimeoutError,
  type UnexpectedError,
} from '../errors.js'
import type { ResultLike, ResultPromiseLike, TaskContext } from '../types.js'
import { cancelledBy } from './abort.js'
import { checkFunction, checkInteger, checkMs, checkSignal, MAX_TIMER_MS, pickOptions } from './options.js'
import { runOnePromise } from './run.js'
import { sleep } from './sleep.js'
import { fromThrow } from './start.js'

/** Context of one attempt: its signal and its number (1 for the first call). */
export interface AttemptContext extends TaskContext {
  /** 1 for the first call, 2 for the first retry, and so on. */
  readonly attempt: number
}

/** Exponential backoff between attempts: `min(maxMs, initialMs * factor ** (retry - 1))`. */
export interface Backoff {
  /** Delay before the first retry (default 100). */
  initialMs?: number | undefined
  /** Growth per retry (default 2; 1 gives a constant delay). */
  factor?: number | undefined
  /** Cap on a single delay (default 30 000). */
  maxMs?: number | undefined
  /** `true`: full jitter (a random delay from 0 to the computed one); a fraction `0..1`: that
   * share of the delay is randomised. Spreads retries of many clients apart. Default false. */
  jitter?: boolean | number | undefined
}

/** Options of `retry` (and of per-item `retry` in batch jobs); `E` is the error an attempt can end with. */
export interface RetryOptions<E> {
  /** Calls in total, the first one included (`attempts: 3` → at most 3 calls). */
  attempts: number
  /** Wait between attempts; none when omitted. There is never a sleep after the final attempt. */
  backoff?: Backoff | undefined
  /** Retry only errors for which this returns true (default: every error). */
  retryIf?: ((error: E, attempt: number) => boolean) | undefined
  /** Time limit for each attempt (its TimeoutError can be retried). */
  timeoutMs?: number | undefined
  /** Aborts the current attempt or backoff sleep: the result is then `CancelledError`. */
  signal?: AbortSignal | undefined
  /** Called before each retry, e.g. to log it. */
  onRetry?: ((info: { attempt: number; error: E; delayMs: number }) => void) | undefined
}

/** A task that retry and hedge call once per attempt. */
export type RetryTask = (ctx: AttemptContext) => ResultLike | ResultPromiseLike

/** Errors an attempt can end with, given `E`, the task's own error (what `retryIf` sees). */
export type AttemptError<E> = E | UnexpectedError | TimeoutError
/** Errors `retry` can return, given `E`, the task's own error: `RetryError<NotFound>`. */
export type RetryError<E> = AttemptError<E> | CancelledError | InvalidOptionsError

/**
 * The delay before retry number `retry` (1-based), per `backoff`. Bad arguments throw (this is a
 * sync helper with no Result to return): an InvalidOptionsError naming the backoff field, or a
 * RangeError / TypeError for `retry` / `random`, never a NaN delay.
 */
export function backoffDelay(backoff: Backoff | undefined, retry: number, random: () => number = Math.random): number {
  const b = backoff === undefined ? undefined : readBackoff(backoff, '')
  if (b instanceof InvalidOptionsError) throw b
  if (!(typeof retry === 'number' && Number.isInteger(retry) && retry >= 1)) {
    throw new RangeError(`backoffDelay: retry must be an integer >= 1, got ${formatValue(retry)}`)
  }
  if (typeof random !== 'function')
    throw new TypeError(`backoffDelay: random must be a function, got ${formatValue(random)}`)
  return delayFor(b, retry, random)
}

/** backoffDelay for options already checked (the retry loop): no checks, so none in its bundles. */
function delayFor(backoff: Backoff | undefined, retry: number, random: () => number = Math.random): number {
  if (!backoff) return 0
  const { initialMs = 100, factor = 2, maxMs = 30_000, jitter = false } = backoff
  // Capped at what a timer can wait: Node fires larger delays (and Infinity) after 1 ms.
  const base = Math.min(maxMs, initialMs * factor ** (retry - 1), MAX_TIMER_MS)
  if (jitter === true) return random() * base
  if (typeof jitter === 'number' && jitter > 0) return base * (1 - jitter * random())
  return base
}

const BACKOFF_FIELDS = ['initialMs', 'factor', 'maxMs', 'jitter'] as const

/** Reads (inside a guard) and checks a backoff; `p` prefixes the option names. */
function readBackoff(b: unknown, p: string): Backoff | InvalidOptionsError {
  const read = pickOptions<Backoff>(b, BACKOFF_FIELDS, `${p}backoff`)
  if (read instanceof InvalidOptionsError) return read
  const { initialMs, factor, maxMs, jitter } = read
  if (factor !== undefined && !(typeof factor === 'number' && factor >= 1 && Number.isFinite(factor))) {
    return new InvalidOptionsError(`${p}backoff.factor`, factor, 'a finite number >= 1')
  }
  const badJitter =
    jitter !== undefined && typeof jitter !== 'boolean' && !(typeof jitter === 'number' && jitter >= 0 && jitter <= 1)
  if (badJitter) return new InvalidOptionsError(`${p}backoff.jitter`, jitter, 'a boolean or a fraction from 0 to 1')
  return checkMs(`${p}backoff.initialMs`, initialMs) ?? checkMs(`${p}backoff.maxMs`, maxMs) ?? read
}

const RETRY_FIELDS = ['attempts', 'backoff', 'retryIf', 'timeoutMs', 'signal', 'onRetry'] as const

/**
 * Reads retry options into a checked plain copy (the backoff too), so that the loop never reads
 * a user's object again: a Proxy or a getter can neither throw inside it nor change its answer.
 * `prefix` names where they sit when nested (`'retry.'` gives option names like `retry.attempts`).
 */
export function readRetryOptions(o: unknown, prefix = ''): RetryOptions<unknown> | InvalidOptionsError {
  const name = prefix.slice(0, -1) || 'options'
  if (typeof o !== 'object' || o === null) return new InvalidOptionsError(name, o, 'an object')
  const r = pickOptions<RetryOptions<unknown>>(o, RETRY_FIELDS, name)
  if (r instanceof InvalidOptionsError) return r
  const backoff = r.backoff === undefined ? undefined : readBackoff(r.backoff, prefix)
  if (backoff instanceof InvalidOptionsError) return backoff
  if (backoff) r.backoff = backoff
  return (
    checkInteger(`${prefix}attempts`, r.attempts, 1) ??
    checkFunction(`${prefix}retryIf`, r.retryIf) ??
    checkMs(`${prefix}timeoutMs`, r.timeoutMs) ??
    checkSignal(`${prefix}signal`, r.signal) ??
    checkFunction(`${prefix}onRetry`, r.onRetry) ??
    (r as RetryOptions<unknown>)
  )
}

/** Checks retry options (see readRetryOptions). */
export function checkRetryOptions(o: unknown, prefix = ''): InvalidOptionsError | undefined {
  const r = readRetryOptions(o, prefix)
  return r instanceof InvalidOptionsError ? r : undefined
}

/** The retry loop itself (options already checked); never rejects. Batch jobs call it per item. */
export async function retryLoop<T, E>(
  task: RetryTask,
  opts: RetryOptions<unknown>,
): Promise<Result<T, E | UnexpectedError | TimeoutError | CancelledError>> {
  const { attempts, signal, timeoutMs } = opts
  for (let attempt = 1; ; attempt++) {
    const r = await runOnePromise<T, E>(task, { signal, timeoutMs, context: { attempt } })
    if (r.isOk()) return r
    if (signal?.aborted) return err(cancelledBy(signal))
    if (attempt >= attempts) return r
    const delayMs = delayFor(opts.backoff, attempt)
    try {
      if (opts.retryIf && !opts.retryIf(r.error, attempt)) return r
      opts.onRetry?.({ attempt, error: r.error, delayMs })
    } catch (e) {
      return fromThrow(e)
    }
    if (delayMs > 0) {
      const slept = await sleep(delayMs, signal)
      if (slept.isErr()) return err(slept.error)
    }
  }
}

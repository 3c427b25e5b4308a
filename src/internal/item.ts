import { setMaxListeners } from 'node:events'
import type { Result } from 'neverthrow'
import { type CancelledError, InvalidOptionsError, type TimeoutError, type UnexpectedError } from '../errors.js'
import type { AttemptContext, ResultLike, ResultPromiseLike, TaskContext } from '../types.js'
import { readOptions } from './options.js'
import { checkRetryOptions, type RetryOptions, retryLoop } from './retry.js'
import { runOne } from './run.js'
import { fromThrow, isResult, observeAt } from './start.js'

/**
 * How one item of a batch job, a stream or a pipeline stage runs: with a shared context, under a
 * timeout, with retries. Its one home; batch/ and pipeline/ both use it.
 */

/**
 * Per-item retry: the options of the `retry` combinator, without `signal` (the job's is used;
 * the job's `timeoutMs` bounds the item, retries included).
 */
export interface ItemRetry<E> extends Omit<RetryOptions<E>, 'signal'> {}

/** The per-item function as the runner sees it. */
export type ItemCall<I> = (item: I, index: number, ctx: AttemptContext) => unknown

/** What one item settles to (CancelledError only once the job itself is stopping). */
export type ItemResult<T, E> = Result<T, E | UnexpectedError | TimeoutError | CancelledError>

/** Starts `fn` for one item and calls `sink(index, result)` exactly once with its Result. */
export type RunItem<I, T, E> = (item: I, index: number, sink: (index: number, result: ItemResult<T, E>) => void) => void

export interface ItemOptions {
  timeoutMs?: number | undefined
  retry?: ItemRetry<never> | undefined
}

/** True when items run with neither timeout nor retry: `fn` then gets one shared, plain context. */
export function isPlain(opts: ItemOptions): boolean {
  const { timeoutMs, retry } = opts
  return (timeoutMs === undefined || timeoutMs === Number.POSITIVE_INFINITY) && retry === undefined
}

/**
 * An output of user code, with a foreign thenable read once inside a guard: a `then` getter that
 * throws (or a Proxy trap) becomes an err instead of a throw out of the runner, which would leave
 * the item unsettled. Results, native promises and ResultAsync pass through untouched.
 */
function guarded(out: unknown): unknown {
  if (out instanceof Promise || out === null || (typeof out !== 'object' && typeof out !== 'function')) return out
  let then: unknown
  try {
    if (isResult(out)) return out
    then = (out as { then?: unknown }).then
  } catch (e) {
    return fromThrow(e)
  }
  if (typeof then !== 'function') return out
  return new Promise((resolve, reject) => (then as (a: unknown, b: unknown) => void).call(out, resolve, reject))
}

/**
 * Picks how items run. Timeout and retry go through the shared `runOne` / `retryLoop`; with
 * neither, `fn` is called directly with one shared context, because a per-item AbortController,
 * listener and closure would cost more than many small items do. `jobSignal` is aborted when the
 * job stops, which aborts every running item in all three modes.
 */
export function itemRunner<I, T, E>(fn: ItemCall<I>, opts: ItemOptions, jobSignal: AbortSignal): RunItem<I, T, E> {
  const { timeoutMs, retry } = opts
  const timed = timeoutMs !== undefined && timeoutMs !== Number.POSITIVE_INFINITY
  // Cast: runOne and retryLoop take any Result form, and turn anything else into UnexpectedError.
  const call = (item: I, index: number, ctx: AttemptContext) => guarded(fn(item, index, ctx)) as ResultLike
  // Every running item may listen on the job signal (ours in runOne and retry sleeps, the user's
  // via fetch(url, { signal })): more than Node's default of 10 listeners is expected, not a leak.
  setMaxListeners(0, jobSignal)
  if (!timed && retry === undefined) {
    const ctx: AttemptContext = { signal: jobSignal, attempt: 1 }
    return (item, index, sink) => {
      let out: unknown
      try {
        out = guarded(fn(item, index, ctx))
      } catch (e) {
        sink(index, fromThrow(e))
        return
      }
      observeAt<T, E>(out, index, sink)
    }
  }
  if (retry === undefined) {
    return (item, index, sink) =>
      runOne<T, E>(
        ((ctx: AttemptContext) => call(item, index, ctx)) as (ctx: TaskContext) => ResultLike,
        { signal: jobSignal, timeoutMs, context: { attempt: 1 } },
        (r) => sink(index, r),
      )
  }
  const loop = (item: I, index: number, signal: AbortSignal): Promise<ItemResult<T, E>> =>
    retryLoop<T, E>((ctx) => call(item, index, ctx), { ...retry, signal } as RetryOptions<unknown>)
  if (!timed) {
    return (item, index, sink) =>
      loop(item, index, jobSignal).then(
        (r) => sink(index, r),
        (e: unknown) => sink(index, fromThrow(e)),
      )
  }
  // The item's deadline covers every attempt and backoff sleep: runOne aborts the retry loop.
  return (item, index, sink) =>
    runOne<T, E>(
      ((ctx: TaskContext) => loop(item, index, ctx.signal)) as (ctx: TaskContext) => ResultPromiseLike,
      { signal: jobSignal, timeoutMs },
      (r) => sink(index, r),
    )
}

const RETRY_KEYS = ['attempts', 'backoff', 'retryIf', 'timeoutMs', 'onRetry', 'signal'] as const
const BACKOFF_KEYS = ['initialMs', 'factor', 'maxMs', 'jitter'] as const

/**
 * The per-item `retry` option, read once into plain objects (see `readOptions`) and checked;
 * `prefix` names where it sits (`retry.`, `stages[2].retry.`). Undefined stays undefined.
 */
export function readItemRetry(value: unknown, prefix: string): ItemRetry<never> | undefined | InvalidOptionsError {
  if (value === undefined) return undefined
  const r = readOptions(prefix.slice(0, -1), value, RETRY_KEYS, prefix)
  if (r instanceof InvalidOptionsError) return r
  const backoff =
    r.backoff === undefined ? undefined : readOptions(`${prefix}backoff`, r.backoff, BACKOFF_KEYS, `${prefix}backoff.`)
  if (backoff instanceof InvalidOptionsError) return backoff
  const plain = { ...r, backoff }
  return checkRetryOptions(plain, prefix) ?? (plain as ItemRetry<never>)
}

import { setMaxListeners } from 'node:events'
import type { Result } from 'neverthrow'
import type { CancelledError, TimeoutError, UnexpectedError } from '../errors.js'
import { type RetryOptions, retryLoop } from '../internal/retry.js'
import { runOne } from '../internal/run.js'
import { fromThrow, observeAt } from '../internal/start.js'
import type { ItemContext, ItemFn, ItemRetry } from './types.js'

/** What one item settles to (CancelledError only once the job itself is stopping). */
export type ItemResult<T, E> = Result<T, E | UnexpectedError | TimeoutError | CancelledError>

/** Starts `fn` for one item and calls `sink(index, result)` exactly once with its Result. */
export type RunItem<I, T, E> = (item: I, index: number, sink: (index: number, result: ItemResult<T, E>) => void) => void

export interface ItemOptions {
  timeoutMs?: number | undefined
  retry?: ItemRetry<never> | undefined
}

/**
 * Picks how items run. Timeout and retry go through the shared `runOne` / `retryLoop`; with
 * neither, `fn` is called directly with one shared context, because a per-item AbortController,
 * listener and closure would cost more than many small items do. `jobSignal` is aborted when the
 * job stops, which aborts every running item in all three modes.
 */
export function itemRunner<I, T, E>(fn: ItemFn<I>, opts: ItemOptions, jobSignal: AbortSignal): RunItem<I, T, E> {
  const { timeoutMs, retry } = opts
  const timed = timeoutMs !== undefined && timeoutMs !== Number.POSITIVE_INFINITY
  // Every running item may listen on the job signal (ours in runOne and retry sleeps, the user's
  // via fetch(url, { signal })): more than Node's default of 10 listeners is expected, not a leak.
  setMaxListeners(0, jobSignal)
  if (!timed && retry === undefined) {
    const ctx: ItemContext = { signal: jobSignal, attempt: 1 }
    return (item, index, sink) => {
      let out: unknown
      try {
        out = fn(item, index, ctx)
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
        (ctx: ItemContext) => fn(item, index, ctx),
        { signal: jobSignal, timeoutMs, context: { attempt: 1 } },
        (r) => sink(index, r),
      )
  }
  const loop = (item: I, index: number, signal: AbortSignal): Promise<ItemResult<T, E>> =>
    retryLoop<T, E>((ctx) => fn(item, index, ctx), { ...retry, signal } as RetryOptions<unknown>)
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
      (ctx: ItemContext) => loop(item, index, ctx.signal),
      { signal: jobSignal, timeoutMs },
      (r) => sink(index, r),
    )
}

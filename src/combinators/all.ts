import { err, ok, type Result, ResultAsync } from 'neverthrow'
import type { CancelledError, InvalidOptionsError, UnexpectedError } from '../errors.js'
import { prepareGroup, runGroup } from '../internal/group.js'
import { reshape } from '../internal/shape.js'
import type { ErrUnion, Inputs, NoOptions, OkOf, OkValues, TimeoutOf } from '../types.js'

/** Options of `allAsync` (and `allSettledAsync`, `anyAsync`, `settleAsync`, `asCompleted`). */
export interface AllOptions {
  /** Most lazy tasks running at once (default: all). Already-running inputs are not limited. */
  concurrency?: number | undefined
  /** Aborting it returns `err(CancelledError)` and aborts the pending tasks. */
  signal?: AbortSignal | undefined
  /**
   * Time limit of each input, from its start (a queued task's clock starts when it does): it then
   * settles as `TimeoutError` (label: its key, for a record) and a task is aborted.
   */
  timeoutMs?: number | undefined
}

/**
 * Errors `allAsync` can return, given `E`, the union of the inputs' own errors:
 * `AllError<NotFound | Declined>`.
 */
export type AllError<E> = E | UnexpectedError | CancelledError | InvalidOptionsError

/**
 * Fail-fast combine. All ok → `ok(values)` in the input's shape (tuple, array, record; any other
 * iterable as an array); the first err → that err at once, and every task still pending is aborted.
 *
 * @example
 * const r = await allAsync({ user: () => getUser(id), posts: ({ signal }) => getPosts(id, signal) })
 * // Result<{ user: User; posts: Post[] }, AllError<UserError | PostsError>>
 */
export function allAsync<const I extends Inputs, const O extends AllOptions = NoOptions>(
  inputs: I,
  opts?: O,
): ResultAsync<{ -readonly [K in keyof I]: OkOf<I[K]> }, AllError<ErrUnion<I> | TimeoutOf<O>>> {
  type R = Result<OkValues<I>, AllError<ErrUnion<I>>>
  return new ResultAsync(
    new Promise<R>((resolve) => {
      const p = prepareGroup(inputs, opts)
      if (p instanceof Error) return resolve(err(p))
      const { values: list, keys } = p
      const n = list.length
      const values: unknown[] = new Array(n)
      let left = n
      if (n === 0) return resolve(ok(reshape(values, keys) as OkValues<I>))
      runGroup<unknown, AllError<ErrUnion<I>>>(
        list,
        { ...p.opts, rejectionDecides: true },
        (i, r) => {
          if (r.isErr()) {
            resolve(err(r.error))
            return true
          }
          values[i] = r.value
          if (--left === 0) resolve(ok(reshape(values, keys) as OkValues<I>))
          return undefined
        },
        (e) => resolve(err(e)),
        keys,
      )
    }),
  ) as never
}

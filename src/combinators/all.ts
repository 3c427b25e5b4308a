import { err, ok, type Result, ResultAsync } from 'neverthrow'
import { type CancelledError, InvalidOptionsError, type UnexpectedError } from '../errors.js'
import { type GroupOptions, prepareGroup, runGroup } from '../internal/group.js'
import { reshape } from '../internal/shape.js'
import type { ErrUnion, Inputs, OkValues } from '../types.js'

/** Options of `allAsync` (and `allSettledAsync`, `anyAsync`, `asCompleted`). */
export interface AllOptions {
  /** Most lazy tasks running at once (default: all). Already-running inputs are not limited. */
  concurrency?: number | undefined
  /** Aborting it returns `err(CancelledError)` and aborts the pending tasks. */
  signal?: AbortSignal | undefined
}

/** Errors `allAsync` can return for `inputs`. */
export type AllError<I extends Inputs> = ErrUnion<I> | UnexpectedError | CancelledError | InvalidOptionsError

/**
 * Fail-fast combine. All ok → `ok(values)` in the input's shape (tuple, array or record);
 * the first err → that err at once, and every task still pending is aborted.
 *
 * @example
 * const r = await allAsync({ user: () => getUser(id), posts: ({ signal }) => getPosts(id, signal) })
 * // Result<{ user: User; posts: Post[] }, UserError | PostsError | UnexpectedError | …>
 */
export function allAsync<const I extends Inputs>(inputs: I, opts?: AllOptions): ResultAsync<OkValues<I>, AllError<I>> {
  return new ResultAsync(
    new Promise<Result<OkValues<I>, AllError<I>>>((resolve) => {
      const o: GroupOptions = opts ?? {}
      const listed = prepareGroup(inputs, o)
      if (listed instanceof InvalidOptionsError) return resolve(err(listed))
      const { values: list, keys } = listed
      const n = list.length
      const values: unknown[] = new Array(n)
      let left = n
      if (n === 0) return resolve(ok(reshape(values, keys) as OkValues<I>))
      runGroup<unknown, AllError<I>>(
        list,
        { concurrency: o.concurrency, signal: o.signal, rejectionDecides: true },
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
      )
    }),
  )
}

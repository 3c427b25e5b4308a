import { err, ok, type Result, ResultAsync } from 'neverthrow'
import type { CancelledError, InvalidOptionsError, UnexpectedError } from '../errors.js'
import { prepareGroup, runGroup } from '../internal/group.js'
import { reshape } from '../internal/shape.js'
import type { ErrOf, Inputs, NoOptions, OkOf, TimeoutOf } from '../types.js'
import type { AllOptions } from './all.js'

/** Each input's own Result, in the input's shape, as `settleAsync` returns them. */
export type Settled<I extends Inputs, X = never> = {
  -readonly [K in keyof I]: Result<OkOf<I[K]>, ErrOf<I[K]> | UnexpectedError | X>
}

/** Errors `settleAsync` itself can return: only a cancelled signal or invalid options. */
export type SettleError = CancelledError | InvalidOptionsError

/**
 * Waits for every input and returns **every** Result, ok and err, in the input's shape (tuple,
 * array or record): the Result counterpart of `Promise.allSettled`. Unlike `allSettledAsync`,
 * which returns the values or the list of failures, nothing is dropped. The call itself fails
 * only for an aborted `signal` (`CancelledError`, pending tasks aborted) or invalid options.
 *
 * @example
 * const r = await settleAsync({ user: () => getUser(id), posts: () => getPosts(id) })
 * // Result<{ user: Result<User, NotFound | UnexpectedError>; posts: Result<Post[], …> }, SettleError>
 */
export function settleAsync<const I extends Inputs, const O extends AllOptions = NoOptions>(
  inputs: I,
  opts?: O,
): ResultAsync<
  { -readonly [K in keyof I]: Result<OkOf<I[K]>, ErrOf<I[K]> | UnexpectedError | TimeoutOf<O>> },
  SettleError
> {
  return new ResultAsync(
    new Promise<Result<Settled<I>, SettleError>>((resolve) => {
      const p = prepareGroup(inputs, opts)
      if (p instanceof Error) return resolve(err(p))
      const { values: list, keys } = p
      const n = list.length
      const results: Result<unknown, unknown>[] = new Array(n)
      let left = n
      if (n === 0) return resolve(ok(reshape(results, keys) as Settled<I>))
      runGroup<unknown, unknown>(
        list,
        p.opts,
        (i, r) => {
          results[i] = r
          if (--left === 0) resolve(ok(reshape(results, keys) as Settled<I>))
          return undefined
        },
        (e) => resolve(err(e)),
        keys,
      )
    }),
  ) as never
}

import { err, ok, type Result, ResultAsync } from 'neverthrow'
import { AllFailedError, type CancelledError, type InvalidOptionsError, type UnexpectedError } from '../errors.js'
import { prepareGroup, runGroup } from '../internal/group.js'
import type { ErrUnion, Inputs, NoOptions, OkUnion, TimeoutOf } from '../types.js'
import type { AllOptions } from './all.js'

/**
 * Errors `anyAsync` can return, given `E`, the union of the inputs' own errors:
 * `AnyError<NotFound | Declined>`.
 */
export type AnyError<E> = AllFailedError<E | UnexpectedError> | CancelledError | InvalidOptionsError

/**
 * First success wins and the losers are aborted; inputs count in the order they settled (a plain
 * Result does not overtake an already-settled promise given before it). All failed →
 * `err(AllFailedError)` with each error in input order; no inputs → `err(AllFailedError([]))`.
 * With `concurrency: 1` it tries the inputs one after another (a fallback chain).
 */
export function anyAsync<const I extends Inputs, const O extends AllOptions = NoOptions>(
  inputs: I,
  opts?: O,
): ResultAsync<OkUnion<I>, AnyError<ErrUnion<I> | TimeoutOf<O>>> {
  return new ResultAsync(
    new Promise<Result<OkUnion<I>, AnyError<ErrUnion<I>>>>((resolve) => {
      const p = prepareGroup(inputs, opts)
      if (p instanceof Error) return resolve(err(p))
      const list = p.values
      const errors: (ErrUnion<I> | UnexpectedError)[] = new Array(list.length)
      let left = list.length
      if (left === 0) return resolve(err(new AllFailedError([])))
      runGroup<OkUnion<I>, ErrUnion<I>>(
        list,
        p.opts,
        (i, r) => {
          if (r.isOk()) {
            resolve(ok(r.value))
            return true
          }
          errors[i] = r.error
          if (--left === 0) resolve(err(new AllFailedError(errors)))
          return undefined
        },
        (e) => resolve(err(e)),
        p.keys,
      )
    }),
  )
}

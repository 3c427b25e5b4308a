import { err, ok, type Result, ResultAsync } from 'neverthrow'
import { AllFailedError, type CancelledError, InvalidOptionsError, type UnexpectedError } from '../errors.js'
import { type GroupOptions, prepareGroup, runGroup } from '../internal/group.js'
import type { ErrUnion, Inputs, OkUnion } from '../types.js'
import type { AllOptions } from './all.js'

/** Errors `anyAsync` can return for `inputs`. */
export type AnyError<I extends Inputs> =
  | AllFailedError<ErrUnion<I> | UnexpectedError>
  | CancelledError
  | InvalidOptionsError

/**
 * First success wins and the losers are aborted. All failed → `err(AllFailedError)` with each
 * error in input order; no inputs → `err(AllFailedError([]))`. With `concurrency: 1` it tries
 * the inputs one after another (a fallback chain).
 */
export function anyAsync<const I extends Inputs>(inputs: I, opts?: AllOptions): ResultAsync<OkUnion<I>, AnyError<I>> {
  return new ResultAsync(
    new Promise<Result<OkUnion<I>, AnyError<I>>>((resolve) => {
      const o: GroupOptions = opts ?? {}
      const listed = prepareGroup(inputs, o)
      if (listed instanceof InvalidOptionsError) return resolve(err(listed))
      const list = listed.values
      const errors: (ErrUnion<I> | UnexpectedError)[] = new Array(list.length)
      let left = list.length
      if (left === 0) return resolve(err(new AllFailedError([])))
      runGroup<OkUnion<I>, ErrUnion<I>>(
        list,
        o,
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
      )
    }),
  )
}

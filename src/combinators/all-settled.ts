import { err, ok, type Result, ResultAsync } from 'neverthrow'
import type { CancelledError, InvalidOptionsError, UnexpectedError } from '../errors.js'
import { prepareGroup, runGroup } from '../internal/group.js'
import { reshape } from '../internal/shape.js'
import type { ErrUnion, Inputs, KeyOf, NoOptions, OkOf, OkValues, TimeoutOf } from '../types.js'
import type { AllOptions } from './all.js'

/** One failed input of `allSettledAsync`: its position (`key` too for a record) and its error. */
export type SettledError<E, K extends string = never> = [K] extends [never]
  ? { readonly index: number; readonly error: E }
  : { readonly index: number; readonly key: K; readonly error: E }

/**
 * Errors `allSettledAsync` can return, given `E`, the union of the inputs' own errors, and `K`,
 * the keys of a record input: `AllSettledError<NotFound | Declined>`.
 */
export type AllSettledError<E, K extends string = never> =
  | SettledError<E | UnexpectedError, K>[]
  | CancelledError
  | InvalidOptionsError

/**
 * Waits for every input. All ok → `ok(values)` in the input's shape; otherwise
 * `err(SettledError[])` with every failure, in input order.
 */
export function allSettledAsync<const I extends Inputs, const O extends AllOptions = NoOptions>(
  inputs: I,
  opts?: O,
): ResultAsync<{ -readonly [K in keyof I]: OkOf<I[K]> }, AllSettledError<ErrUnion<I> | TimeoutOf<O>, KeyOf<I>>> {
  type Failure = SettledError<ErrUnion<I> | UnexpectedError, KeyOf<I>>
  return new ResultAsync(
    new Promise<Result<OkValues<I>, AllSettledError<ErrUnion<I>, KeyOf<I>>>>((resolve) => {
      const p = prepareGroup(inputs, opts)
      if (p instanceof Error) return resolve(err(p))
      const { values: list, keys } = p
      const n = list.length
      const values: unknown[] = new Array(n)
      // Indexed by input position so the report comes out in input order, not completion order.
      const failures: (Failure | undefined)[] = []
      let failed = 0
      let left = n
      if (n === 0) return resolve(ok(reshape(values, keys) as OkValues<I>))
      runGroup<unknown, ErrUnion<I>>(
        list,
        p.opts,
        (i, r) => {
          if (r.isOk()) values[i] = r.value
          else {
            failed++
            failures[i] = (keys ? { index: i, key: keys[i], error: r.error } : { index: i, error: r.error }) as Failure
          }
          if (--left > 0) return undefined
          if (failed === 0) resolve(ok(reshape(values, keys) as OkValues<I>))
          else resolve(err(failures.filter((f): f is Failure => f !== undefined)))
          return undefined
        },
        (e) => resolve(err(e)),
        keys,
      )
    }),
  ) as never
}

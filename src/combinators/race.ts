import { err, type Result, ResultAsync } from 'neverthrow'
import type { CancelledError, UnexpectedError } from '../errors.js'
import { InvalidOptionsError } from '../errors.js'
import { prepareGroup, runGroup } from '../internal/group.js'
import type { ErrUnion, Inputs, OkUnion } from '../types.js'

/** Options of `raceAsync`. */
export interface RaceOptions {
  /** Aborting it returns `err(CancelledError)` and aborts the running tasks. */
  signal?: AbortSignal | undefined
}

/** Errors `raceAsync` can return for `inputs`. */
export type RaceError<I extends Inputs> = ErrUnion<I> | UnexpectedError | CancelledError | InvalidOptionsError

/**
 * The first input to settle, ok or err, decides; the others are aborted. An empty input is
 * `err(InvalidOptionsError)` (option `inputs`) rather than a promise that never settles.
 */
export function raceAsync<const I extends Inputs>(
  inputs: I,
  opts?: RaceOptions,
): ResultAsync<OkUnion<I>, RaceError<I>> {
  return new ResultAsync(
    new Promise<Result<OkUnion<I>, RaceError<I>>>((resolve) => {
      const o = { signal: opts?.signal }
      const listed = prepareGroup(inputs, o)
      if (listed instanceof InvalidOptionsError) return resolve(err(listed))
      if (listed.values.length === 0) {
        return resolve(err(new InvalidOptionsError('inputs', inputs, 'at least one input to race')))
      }
      runGroup<OkUnion<I>, ErrUnion<I>>(
        listed.values,
        { signal: o.signal, rejectionDecides: true },
        (_, r) => {
          resolve(r)
          return true
        },
        (e) => resolve(err(e)),
      )
    }),
  )
}

import { err, type Result, ResultAsync } from 'neverthrow'
import { type CancelledError, InvalidOptionsError, type UnexpectedError } from '../errors.js'
import { prepareGroup, runGroup } from '../internal/group.js'
import type { ErrUnion, Inputs, OkUnion } from '../types.js'

/** Options of `raceAsync`. */
export interface RaceOptions {
  /** Aborting it returns `err(CancelledError)` and aborts the running tasks. */
  signal?: AbortSignal | undefined
}

/**
 * Errors `raceAsync` can return, given `E`, the union of the inputs' own errors:
 * `RaceError<NotFound | Declined>`.
 */
export type RaceError<E> = E | UnexpectedError | CancelledError | InvalidOptionsError

/**
 * The first input to settle, ok or err, decides; the others are aborted. Inputs count in the
 * order they settled (a plain Result does not overtake an already-settled promise given before
 * it). An empty input is `err(InvalidOptionsError)` (option `inputs`) rather than a promise that
 * never settles.
 */
export function raceAsync<const I extends Inputs>(
  inputs: I,
  opts?: RaceOptions,
): ResultAsync<OkUnion<I>, RaceError<ErrUnion<I>>> {
  return new ResultAsync(
    new Promise<Result<OkUnion<I>, RaceError<ErrUnion<I>>>>((resolve) => {
      const p = prepareGroup(inputs, opts, ['signal'])
      if (p instanceof Error) return resolve(err(p))
      if (p.values.length === 0) {
        return resolve(err(new InvalidOptionsError('inputs', inputs, 'at least one input to race')))
      }
      runGroup<OkUnion<I>, ErrUnion<I>>(
        p.values,
        { signal: p.opts.signal, rejectionDecides: true },
        (_, r) => {
          resolve(r)
          return true
        },
        (e) => resolve(err(e)),
      )
    }),
  )
}

import { err, ok, type Result, ResultAsync } from 'neverthrow'
import { type CancelledError, InvalidOptionsError, type UnexpectedError } from '../errors.js'
import { cancelledBy, onAbort } from '../internal/abort.js'
import { checkSignal } from '../internal/options.js'
import { release, start } from '../internal/start.js'
import type { AnyInput, ErrUnion, OkUnion } from '../types.js'

/** What `selectAsync` returns: the first input to settle, and the others, still running. */
export interface Selected<T, E> {
  /** Position of the winner in the inputs given to this call. */
  readonly index: number
  /** The winner's own Result, ok or err. */
  readonly result: Result<T, E>
  /** The other inputs, in their original order, already started: pass them back to select again. */
  readonly rest: ResultAsync<T, E>[]
}

/** Options of `selectAsync`. */
export interface SelectOptions {
  /** Given to the tasks started here (they keep running after select returns); aborting it before any input settles returns `err(CancelledError)`. */
  signal?: AbortSignal | undefined
}

/**
 * The first input to settle wins, and — unlike `raceAsync` — the others keep running: `rest`
 * holds them (started once, never again) for a select loop:
 *
 * @example
 * let pending = [a, b, c]
 * while (pending.length > 0) {
 *   const { index, result, rest } = (await selectAsync(pending))._unsafeUnwrap()
 *   handle(result)
 *   pending = rest
 * }
 */
export function selectAsync<const I extends readonly AnyInput[]>(
  inputs: I,
  opts?: SelectOptions,
): ResultAsync<Selected<OkUnion<I>, ErrUnion<I> | UnexpectedError>, CancelledError | InvalidOptionsError> {
  type T = OkUnion<I>
  type E = ErrUnion<I> | UnexpectedError
  return new ResultAsync(
    new Promise<Result<Selected<T, E>, CancelledError | InvalidOptionsError>>((resolve) => {
      const signal = opts?.signal
      const bad = Array.isArray(inputs)
        ? checkSignal('signal', signal)
        : new InvalidOptionsError('inputs', inputs, 'an array of inputs')
      if (bad) {
        if (Array.isArray(inputs)) release(inputs)
        return resolve(err(bad))
      }
      if (inputs.length === 0) {
        return resolve(err(new InvalidOptionsError('inputs', inputs, 'at least one input to select from')))
      }
      if (signal?.aborted) {
        release(inputs)
        return resolve(err(cancelledBy(signal)))
      }
      let decided = false
      const detach = signal ? onAbort(signal, () => decide(err(cancelledBy(signal)))) : undefined
      const decide = (r: Result<Selected<T, E>, CancelledError>) => {
        if (decided) return
        decided = true
        detach?.()
        resolve(r)
      }
      // Without a user signal, a fresh one per call: a process-wide signal would collect the
      // listeners of every task ever selected.
      const ctx = { signal: signal ?? new AbortController().signal }
      const running: Promise<Result<T, E>>[] = inputs.map(
        (input, index) =>
          new Promise<Result<T, E>>((settle) =>
            start<T, E>(input, ctx, (result) => {
              settle(result)
              // Deferred a microtask: a synchronous result settles while `running` is still being built.
              queueMicrotask(() => {
                if (decided) return
                const rest = running.filter((_, j) => j !== index).map((p) => new ResultAsync(p))
                decide(ok({ index, result, rest }))
              })
            }),
          ),
      )
    }),
  )
}

import { err, ok, type Result, ResultAsync } from 'neverthrow'
import { CancelledError, InvalidOptionsError, type UnexpectedError } from '../errors.js'
import { cancelledBy, LazyContext, onAbort } from '../internal/abort.js'
import { checkSignal } from '../internal/options.js'
import { listInputs } from '../internal/shape.js'
import { release, startAt } from '../internal/start.js'
import type { AnyInput, ErrUnion, Inputs, KeyOf, OkUnion } from '../types.js'
import type { Completed } from './as-completed.js'

/**
 * An input still running when `waitCompleted` returned: a `ResultAsync` (await it, or pass it back
 * to `waitCompleted` / `selectAsync`; it is never started again) with its position in the inputs
 * of that call, and `cancel()`.
 */
export type PendingInput<T, E, K extends string = never> = ResultAsync<T, E | CancelledError> &
  ([K] extends [never] ? { readonly index: number } : { readonly index: number; readonly key: K }) & {
    /**
     * Gives up on this input: it settles at once as `err(CancelledError(reason))` and, if okflow
     * started it (a lazy task), its `ctx.signal` is aborted. An already-running promise cannot be
     * stopped, only abandoned. No effect once it has settled.
     */
    cancel(reason?: unknown): void
  }

/** What `waitCompleted` returns: the inputs finished so far, and the others, still running. */
export interface WaitCompleted<T, E, K extends string = never> {
  /** Every input finished by the time the first one was seen, in completion order (at least one, unless the input was empty). */
  readonly completed: Completed<T, E, K>[]
  /** The other inputs, in input order, still running. */
  readonly pending: PendingInput<T, E, K>[]
  /** `cancel(reason)` on every pending input. */
  cancelPending(reason?: unknown): void
}

/** Options of `waitCompleted`. */
export interface WaitCompletedOptions {
  /**
   * Aborting it before any input finishes returns `err(CancelledError)` and aborts every task;
   * aborting it later cancels the inputs still pending (as `cancelPending`).
   */
  signal?: AbortSignal | undefined
}

/** Errors `waitCompleted` itself can return (the inputs' own errors are in each Result). */
export type WaitCompletedError = CancelledError | InvalidOptionsError

/**
 * Restate's `wait_completed`: resolves once at least one input has finished, with every input
 * finished by then (`completed`) and the rest still running (`pending`), to await, wait on again
 * or cancel. Accepts a tuple, an array or a record (`completed` entries then carry `key`).
 * Empty input → `ok({ completed: [], pending: [] })`, so a `while (pending.length > 0)` loop ends.
 *
 * @example
 * let pending = [a, b, c]
 * while (pending.length > 0) {
 *   const r = (await waitCompleted(pending))._unsafeUnwrap()
 *   for (const { index, result } of r.completed) handle(pending[index], result)
 *   pending = r.pending
 * }
 */
export function waitCompleted<const I extends Inputs>(
  inputs: I,
  opts?: WaitCompletedOptions,
): ResultAsync<WaitCompleted<OkUnion<I>, ErrUnion<I> | UnexpectedError, KeyOf<I>>, WaitCompletedError> {
  type T = OkUnion<I>
  type E = ErrUnion<I> | UnexpectedError
  type Out = WaitCompleted<T, E, KeyOf<I>>
  return new ResultAsync(
    new Promise<Result<Out, WaitCompletedError>>((resolve) => {
      const listed = listInputs(inputs)
      if (listed instanceof InvalidOptionsError) return resolve(err(listed))
      const { values, keys } = listed
      const signal = opts?.signal
      const bad = checkSignal('signal', signal)
      if (bad) {
        release(values)
        return resolve(err(bad))
      }
      const n = values.length
      if (n === 0) return resolve(ok({ completed: [], pending: [], cancelPending: () => {} }))
      if (signal?.aborted) {
        release(values)
        return resolve(err(cancelledBy(signal)))
      }

      const contexts: (LazyContext | undefined)[] = new Array(n)
      const finished: (Result<T, E> | undefined)[] = new Array(n)
      const order: number[] = [] // completion order, up to the decision
      const done: boolean[] = new Array(n)
      // After the decision: how each pending input's ResultAsync is settled (once).
      const settlers: (((r: Result<T, E | CancelledError>) => void) | undefined)[] = new Array(n)
      let left = n
      let decided = false
      // True while inputs are being started: a synchronous result then waits for the others to be
      // observed first, so that already-settled promises count as completed too.
      let scheduled = true
      let detach: (() => void) | undefined

      const settlePending = (i: number, r: Result<T, E | CancelledError>): void => {
        const settle = settlers[i]
        if (settle === undefined) return
        settlers[i] = undefined
        contexts[i] = undefined
        settle(r)
        if (--left === 0) detach?.()
      }
      const cancel = (i: number, reason: unknown): void => {
        if (settlers[i] === undefined) return
        const c = contexts[i]
        const error = reason instanceof CancelledError ? reason : new CancelledError(reason)
        if (c) LazyContext.abort(c, error)
        settlePending(i, err(error))
      }
      const decide = (): void => {
        if (decided) return
        decided = true
        const completed = order.map((i) => {
          const result = finished[i] as Result<T, E>
          finished[i] = undefined
          return keys ? { index: i, key: keys[i], result } : { index: i, result }
        }) as Completed<T, E, KeyOf<I>>[]
        const pending: PendingInput<T, E, KeyOf<I>>[] = []
        for (let i = 0; i < n; i++) {
          if (done[i]) continue
          const p = new Promise<Result<T, E | CancelledError>>((settle) => {
            settlers[i] = settle
          })
          const entry = keys
            ? { index: i, key: keys[i], cancel: (reason?: unknown) => cancel(i, reason ?? 'cancelled by the caller') }
            : { index: i, cancel: (reason?: unknown) => cancel(i, reason ?? 'cancelled by the caller') }
          pending.push(Object.assign(new ResultAsync(p), entry) as PendingInput<T, E, KeyOf<I>>)
        }
        left = pending.length
        if (left === 0) detach?.()
        else if (signal) {
          // Re-attached for the pending inputs only; detached once the last of them settles.
          detach?.()
          detach = onAbort(signal, () => {
            const error = cancelledBy(signal)
            for (let i = 0; i < n; i++) cancel(i, error)
          })
        }
        const cancelPending = (reason?: unknown): void => {
          const error = new CancelledError(reason ?? 'cancelled by the caller')
          for (let i = 0; i < n; i++) cancel(i, error)
        }
        resolve(ok({ completed, pending, cancelPending }))
      }
      const onSettle = (i: number, r: Result<T, E>): void => {
        if (decided) return settlePending(i, r)
        contexts[i] = undefined
        finished[i] = r
        done[i] = true
        order.push(i)
        if (scheduled) return
        scheduled = true
        // Deferred a microtask: inputs that finish in the same turn count as completed too.
        queueMicrotask(decide)
      }

      if (signal) {
        detach = onAbort(signal, () => {
          if (decided) return
          decided = true
          detach = undefined
          const reason = cancelledBy(signal)
          for (const c of contexts) if (c) LazyContext.abort(c, reason)
          resolve(err(reason))
        })
      }
      for (let i = 0; i < n; i++) {
        const input = values[i] as AnyInput
        if (decided) {
          // The signal was aborted by a task started synchronously: start no more.
          if (typeof input !== 'function') release([input])
          continue
        }
        if (typeof input === 'function') contexts[i] = new LazyContext()
        startAt<T, E>(input, contexts[i], i, onSettle)
      }
      scheduled = order.length > 0
      if (scheduled) queueMicrotask(decide)
    }),
  )
}

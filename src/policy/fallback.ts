import type { InvalidOptionsError } from '../errors.js'
import { checkFunction, firstError } from '../internal/options.js'
import { fromThrow, start } from '../internal/start.js'
import type { ErrOf, OkOf, ResultLike, ResultPromiseLike, TaskContext } from '../types.js'
import {
  BasePolicy,
  type Chain,
  checking,
  checkOptionsObject,
  type Done,
  type Layer,
  type Policy,
  QuietContext,
} from './executor.js'

/** What a fallback returns: any Result form (its ok value replaces the failed call's). */
export type FallbackReturn = ResultLike | ResultPromiseLike

/** The overloads of `fallback`. */
export interface Fallback {
  /** Handles only the errors `when` accepts; its type guard narrows `onError`'s error and removes it from the call's. */
  <W, R extends FallbackReturn>(
    onError: (error: W, ctx: TaskContext) => R,
    opts: { when: (error: unknown) => error is W },
  ): Policy<ErrOf<R>, OkOf<R>, W>
  /** Handles only the errors `when` accepts (not a type guard: the call's error type keeps every error). */
  <R extends FallbackReturn>(
    onError: (error: unknown, ctx: TaskContext) => R,
    opts: { when: (error: unknown) => boolean },
  ): Policy<ErrOf<R>, OkOf<R>, never>
  /** Handles every error. */
  <R extends FallbackReturn>(onError: (error: unknown, ctx: TaskContext) => R): Policy<ErrOf<R>, OkOf<R>, unknown>
}

/**
 * Answers a failed call with `onError(error, { signal })` instead: its ok value becomes the
 * call's, its err the call's error. With `when`, only the errors it accepts are handled (a type
 * guard narrows `onError`'s error and the call's error type); the rest pass through. A call
 * whose signal aborted is not handled: it stays CancelledError. A throw in `when` or `onError`
 * becomes UnexpectedError.
 *
 * Bad arguments: `invalid` holds the InvalidOptionsError and every `execute` returns it.
 */
export const fallback: Fallback = (
  onError: OnError,
  opts?: { when?: ((error: unknown) => boolean) | undefined },
): never => {
  const bad: InvalidOptionsError | undefined = checking(opts, () =>
    firstError(
      checkFunction('onError', onError, false),
      checkOptionsObject(opts, true) ?? checkFunction('when', opts?.when),
    ),
  )
  return new BasePolicy([new FallbackLayer(onError, bad ? undefined : opts?.when)], bad) as never
}

type OnError = (error: unknown, ctx: TaskContext) => FallbackReturn

class FallbackLayer implements Layer {
  constructor(
    private readonly onError: OnError,
    private readonly when: ((error: unknown) => boolean) | undefined,
  ) {}

  run(signal: AbortSignal | undefined, done: Done, chain: Chain, next: number): void {
    chain.run(next, signal, (r) => {
      if (r.isOk() || signal?.aborted) return done(r)
      const error = r.error
      try {
        if (this.when && this.when(error) !== true) return done(r)
      } catch (e) {
        return done(fromThrow(e))
      }
      const ctx: TaskContext = signal === undefined ? new QuietContext() : { signal }
      start((c: TaskContext) => this.onError(error, c), ctx, done)
    })
  }
}

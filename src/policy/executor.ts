import { err, type Result, ResultAsync } from 'neverthrow'
import { type CancelledError, InvalidOptionsError, type UnexpectedError } from '../errors.js'
import { checkFunction, checkSignal } from '../internal/options.js'
import type { ErrOf, OkOf, ResultLike, ResultPromiseLike, TaskContext } from '../types.js'
import { type Layer, type PolicyTask, runPolicy } from './run.js'

export type { Done, Layer, PolicyTask } from './run.js'
export { Chain, isPolicy, QuietContext } from './run.js'

/** Options of `execute`. */
export interface ExecuteOptions {
  /** Aborting it settles the call at once with CancelledError, aborts the task, and takes it out of any queue. */
  signal?: AbortSignal | undefined
}

/**
 * What a call through a policy can end with: the task's errors (minus `W`, the ones a fallback
 * handles), `X` (added by the policies, e.g. CircuitOpenError), a throw, a cancellation, and bad
 * options.
 */
export type PolicyError<E, X, W> =
  | Exclude<E | UnexpectedError, W>
  | X
  | UnexpectedError
  | CancelledError
  | InvalidOptionsError

/**
 * A resilience policy, or several composed with `policy(a, b, c)`. `X`: errors it adds; `U`: ok
 * values it adds (a fallback's); `W`: errors it takes away (those a fallback handles; `unknown`
 * = all of them).
 */
export interface Policy<X = never, U = never, W = never> {
  /** Type-level only (never set): lets `policy(…)` and step options read `X`, `U`, `W`. */
  readonly '~types'?: { readonly adds: X; readonly ok: U; readonly handles: W } | undefined
  /**
   * Why this policy cannot run (it was built from bad options), or undefined. Every `execute`
   * of such a policy returns this error without running the task: check it at start-up.
   */
  readonly invalid: InvalidOptionsError | undefined
  /** Runs `task` through the policy. Never throws or rejects. */
  execute<F extends PolicyTask>(task: F, opts?: ExecuteOptions): ResultAsync<OkOf<F> | U, PolicyError<ErrOf<F>, X, W>>
  /**
   * The same function, run through this policy: `(…args, ctx) => execute(…)`. The last argument
   * must be the caller's context (`{ signal }`), as in batch items `(item, index, ctx)` and
   * workflow steps `(ctx)`; the function gets that context with the policy's signal.
   */
  wrap<A extends unknown[], C extends TaskContext, R extends ResultLike | ResultPromiseLike>(
    fn: (...args: [...A, C]) => R,
  ): (...args: [...A, C]) => ResultAsync<OkOf<R> | U, PolicyError<ErrOf<R>, X, W>>
}

/**
 * Any policy (a constraint). Structural, not `Policy<any, any, any>`: `W` sits in an `Exclude`,
 * which makes it invariant, and `any` is not assignable to a `never` there.
 */
export interface AnyPolicy {
  readonly '~types'?: { readonly adds: unknown; readonly ok: unknown; readonly handles: unknown } | undefined
  readonly invalid: InvalidOptionsError | undefined
  execute(...args: never[]): unknown
}

/** What a policy type carries: errors it adds, ok values it adds, errors it handles. */
type TypesOf<P> = NonNullable<P extends { readonly '~types'?: infer T } ? T : never>
/** Errors policy `P` adds. */
export type PolicyAdds<P> = TypesOf<P> extends { readonly adds: infer X } ? X : never
/** Ok values policy `P` adds (a fallback's). */
export type PolicyOk<P> = TypesOf<P> extends { readonly ok: infer U } ? U : never
/** Errors policy `P` takes away (those its fallbacks handle). */
export type PolicyHandles<P> = TypesOf<P> extends { readonly handles: infer W } ? W : never

/** The base of every policy: its layers and, when built from bad options, the reason it cannot run. */
export class BasePolicy<X = never, U = never, W = never> implements Policy<X, U, W> {
  declare readonly '~types'?: { readonly adds: X; readonly ok: U; readonly handles: W } | undefined
  /** @internal */
  readonly layers: readonly Layer[]
  readonly invalid: InvalidOptionsError | undefined

  /** No layer may answer before the work inside ends: calls without a signal may take the fast path. */
  private readonly fast: boolean

  constructor(layers: readonly Layer[], invalid: InvalidOptionsError | undefined) {
    this.layers = layers
    this.invalid = invalid
    this.fast = !layers.some((l) => l.early === true)
  }

  execute<F extends PolicyTask>(task: F, opts?: ExecuteOptions): ResultAsync<OkOf<F> | U, PolicyError<ErrOf<F>, X, W>> {
    type Out = Result<OkOf<F> | U, PolicyError<ErrOf<F>, X, W>>
    const bad =
      this.invalid ??
      (typeof task !== 'function' ? checkFunction('task', task, false) : undefined) ??
      (opts === undefined ? undefined : checkExecuteOptions(opts))
    if (bad) return new ResultAsync(Promise.resolve(err(bad)))
    return new ResultAsync(runPolicy(this.layers, task, opts?.signal, undefined, this.fast) as Promise<Out>)
  }

  wrap<A extends unknown[], C extends TaskContext, R extends ResultLike | ResultPromiseLike>(
    fn: (...args: [...A, C]) => R,
  ): (...args: [...A, C]) => ResultAsync<OkOf<R> | U, PolicyError<ErrOf<R>, X, W>> {
    return (...args) => {
      const ctx = args[args.length - 1] as C
      const rest = args.slice(0, -1) as unknown as A
      const signal = (ctx as TaskContext | undefined)?.signal
      return this.execute((inner) => fn(...rest, withSignal(ctx, inner.signal)), { signal }) as never
    }
  }
}

/** The caller's context with the policy's signal (keeping `attempt` and the like). */
function withSignal<C extends TaskContext>(ctx: C, signal: AbortSignal): C {
  if (ctx === undefined || ctx === null) return { signal } as C
  return { ...ctx, signal }
}

function checkExecuteOptions(opts: unknown): InvalidOptionsError | undefined {
  return checking(opts, () => checkOptionsObject(opts, true) ?? checkSignal('signal', (opts as ExecuteOptions)?.signal))
}

/**
 * Runs an options check; options whose very reading throws (a throwing getter, a hostile Proxy)
 * are bad options too, not a throw out of a constructor.
 */
export function checking(opts: unknown, check: () => InvalidOptionsError | undefined): InvalidOptionsError | undefined {
  try {
    return check()
  } catch {
    return new InvalidOptionsError('options', opts, 'an options object whose fields can be read')
  }
}

/** Options must be an object (`undefined` is fine when every option has a default). */
export function checkOptionsObject(opts: unknown, optional: boolean): InvalidOptionsError | undefined {
  if (opts === undefined && optional) return undefined
  if (typeof opts === 'object' && opts !== null && !Array.isArray(opts)) return undefined
  return new InvalidOptionsError('options', opts, 'an object')
}

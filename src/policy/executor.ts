import { err, type Result, ResultAsync } from 'neverthrow'
import { type CancelledError, InvalidOptionsError, type UnexpectedError } from '../errors.js'
import { cancelledBy, onAbort } from '../internal/abort.js'
import { checkFunction, checkSignal } from '../internal/options.js'
import { start } from '../internal/start.js'
import type { AnyInput, ErrOf, OkOf, ResultLike, ResultPromiseLike, TaskContext } from '../types.js'

/**
 * The one executor of every resilience policy. A policy is a list of layers, outermost first;
 * a call runs through them and the innermost starts the user's task (through `start`, so a
 * throw becomes UnexpectedError).
 *
 * The layer protocol: `run(signal, done, chain, next)` calls `done` exactly once.
 * `chain.run(next, signal, done)` runs the layers inside; its `done` comes when the work inside has *really* finished, so a
 * bulkhead slot stays taken until the task ends even if the caller stopped waiting. A layer may
 * answer earlier (a timeout) and then ignores the late result. The caller's own abort is handled
 * once, at the top: `execute` settles with CancelledError at once.
 */

/** Called exactly once with what the work inside settled to. */
export type Done = (result: Result<unknown, unknown>) => void
/**
 * One layer of a policy (a breaker, a bulkhead…): decides whether and when the layers inside
 * run, by calling `chain.run(next, signal, done)` (`next` is their position in the chain).
 */
export interface Layer {
  run(signal: AbortSignal | undefined, done: Done, chain: Chain, next: number): void
}

/**
 * One call's way through the layers: a single object per call instead of a closure per layer.
 * `run(i, …)` runs layer `i` (or, past the last one, the task); a layer may run the rest more
 * than once (a retry).
 */
export class Chain {
  constructor(
    private readonly layers: readonly Layer[],
    private readonly task: PolicyTask,
    private readonly context: object | undefined,
  ) {}

  run(i: number, signal: AbortSignal | undefined, done: Done): void {
    const layer = this.layers[i]
    if (layer === undefined) return runTask(this.task, signal, this.context, done)
    layer.run(signal, done, this, i + 1)
  }
}

/** The lazy task a policy runs: okflow's task, `(ctx: { signal }) => any Result form`. */
export type PolicyTask = (ctx: TaskContext) => ResultLike | ResultPromiseLike

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

  constructor(layers: readonly Layer[], invalid: InvalidOptionsError | undefined) {
    this.layers = layers
    this.invalid = invalid
  }

  execute<F extends PolicyTask>(task: F, opts?: ExecuteOptions): ResultAsync<OkOf<F> | U, PolicyError<ErrOf<F>, X, W>> {
    type Out = Result<OkOf<F> | U, PolicyError<ErrOf<F>, X, W>>
    const bad =
      this.invalid ??
      (typeof task !== 'function' ? checkFunction('task', task, false) : undefined) ??
      (opts === undefined ? undefined : checkExecuteOptions(opts))
    if (bad) return new ResultAsync(Promise.resolve(err(bad)))
    return new ResultAsync(
      new Promise<Out>((resolve) => runPolicy(this.layers, task, opts?.signal, undefined, resolve as Done)),
    )
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

/** True for a policy made by this library (what step options accept). */
export function isPolicy(value: unknown): value is BasePolicy<unknown, unknown, unknown> {
  return value instanceof BasePolicy
}

/**
 * Runs `task` through `layers` and calls `resolve` once. An abort of `signal` settles at once with
 * CancelledError; the layers inside see the same signal and clean up after themselves. `context`
 * adds fields to the task's ctx beside `signal` (a step's `attempt`).
 */
export function runPolicy(
  layers: readonly Layer[],
  task: PolicyTask,
  signal: AbortSignal | undefined,
  context: object | undefined,
  resolve: Done,
): void {
  if (signal?.aborted) return resolve(err(cancelledBy(signal)))
  const chain = new Chain(layers, task, context)
  if (!signal) return chain.run(0, undefined, resolve)
  let settled = false
  const detach = onAbort(signal, () => {
    settled = true
    resolve(err(cancelledBy(signal)))
  })
  chain.run(0, signal, (r) => {
    if (settled) return
    settled = true
    detach()
    resolve(r)
  })
}

/**
 * `fn` as a task that runs through `p`: what a workflow step with `{ policy }` starts. The task's
 * context (e.g. a step's `attempt`) is passed on, with the policy's signal.
 */
export function throughPolicy(p: BasePolicy<unknown, unknown, unknown>, fn: PolicyTask) {
  return (ctx: TaskContext): Promise<Result<unknown, unknown>> =>
    new Promise((resolve) => {
      const { signal, ...context } = ctx
      runPolicy(p.layers, fn, signal, context, resolve)
    })
}

/**
 * The context of a task that nothing will ever abort (no caller signal and no timeout inside):
 * its signal is made only if the task reads it. Unlike LazyContext it need not be abortable, so
 * `signal` can be a prototype getter: about 15 times cheaper to make than LazyContext's own
 * accessor, which was a fifth of the cost of a call. `({ signal }) =>` and `ctx.signal` read it;
 * only a spread (`{ ...ctx }`) does not copy it.
 */
export class QuietContext implements TaskContext {
  #signal: AbortSignal | undefined
  get signal(): AbortSignal {
    this.#signal ??= new AbortController().signal
    return this.#signal
  }
}

function runTask(task: PolicyTask, signal: AbortSignal | undefined, context: object | undefined, done: Done): void {
  const ctx: TaskContext = signal === undefined ? new QuietContext() : { signal }
  if (context) Object.assign(ctx, context)
  start(task as AnyInput, ctx, done)
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

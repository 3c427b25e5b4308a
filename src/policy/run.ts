import { err, type Result } from 'neverthrow'
import { cancelledBy, onAbort } from '../internal/abort.js'
import { start } from '../internal/start.js'
import type { AnyInput, ResultLike, ResultPromiseLike, TaskContext } from '../types.js'

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
  /** Set when the layer may answer before the work inside has ended (a timeout). */
  readonly early?: boolean
}

/**
 * One call's way through the layers: a single object per call instead of a closure per layer.
 * `run(i, …)` runs layer `i` (or, past the last one, the task); a layer may run the rest more
 * than once (a retry).
 */
export class Chain {
  /** The no-signal path (see `runPolicy`): the call's result, or whoever waits for it. */
  private result: Result<unknown, unknown> | undefined
  private wait: Done | undefined

  constructor(
    private readonly layers: readonly Layer[],
    private readonly task: PolicyTask,
    private readonly context: object | undefined,
  ) {}

  run(i: number, signal: AbortSignal | undefined, done: Done): void {
    const layer = this.layers[i]
    if (layer === undefined) return this.runTask(signal, done)
    layer.run(signal, done, this, i + 1)
  }

  /**
   * Starts the call with no signal: the promise of its Result, at once when the layers answered
   * synchronously (a refusal, a plain Result), else a promise waiting for the outcome.
   */
  start(): Promise<Result<unknown, unknown>> {
    this.run(0, undefined, (r) => {
      if (this.wait) this.wait(r)
      else this.result = r
    })
    if (this.result !== undefined) return Promise.resolve(this.result)
    return new Promise((resolve) => {
      this.wait = resolve
    })
  }

  private runTask(signal: AbortSignal | undefined, done: Done): void {
    const ctx: TaskContext = signal === undefined ? new QuietContext() : { signal }
    if (this.context) Object.assign(ctx, this.context)
    start(this.task as AnyInput, ctx, done)
  }
}

/** The lazy task a policy runs: okflow's task, `(ctx: { signal }) => any Result form`. */
export type PolicyTask = (ctx: TaskContext) => ResultLike | ResultPromiseLike

/** What the runner needs of a policy: its layers, and why it cannot run (bad options), if so. */
export interface Runnable {
  readonly layers: readonly Layer[]
  readonly invalid: unknown
}

/**
 * True for a policy made by this library (what step options and `policy(…)` accept). Checked by
 * shape, not `instanceof BasePolicy`, so that a workflow step can take a policy without pulling
 * the policy classes into its bundle.
 */
export function isPolicy(value: unknown): value is Runnable {
  if (typeof value !== 'object' || value === null) return false
  const layers = (value as Partial<Runnable>).layers
  return Array.isArray(layers) && layers.every((l) => typeof (l as Partial<Layer> | null)?.run === 'function')
}

/**
 * Runs `task` through `layers`: the promise of the call's Result. An abort of `signal` settles it
 * at once with CancelledError; the layers inside see the same signal and clean up after
 * themselves. `context` adds fields to the task's ctx beside `signal`. Without a signal, and with
 * no layer that may answer early (`fast`), the call's promise may be built on the task's own:
 * nothing can then settle the call before the task's promise settles.
 */
export function runPolicy(
  layers: readonly Layer[],
  task: PolicyTask,
  signal: AbortSignal | undefined,
  context: object | undefined,
  fast: boolean,
): Promise<Result<unknown, unknown>> {
  if (signal?.aborted) return Promise.resolve(err(cancelledBy(signal)))
  const chain = new Chain(layers, task, context)
  if (!signal && fast) return chain.start()
  return new Promise((resolve) => {
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

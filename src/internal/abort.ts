import { CancelledError } from '../errors.js'

/** Listens for `signal` to abort; returns the function that stops listening. */
export function onAbort(signal: AbortSignal, listener: () => void): () => void {
  signal.addEventListener('abort', listener, { once: true })
  return () => signal.removeEventListener('abort', listener)
}

/** The error for work stopped by `signal`, keeping the signal's reason. */
export function cancelledBy(signal: AbortSignal): CancelledError {
  return signal.reason instanceof CancelledError ? signal.reason : new CancelledError(signal.reason)
}

/**
 * The `ctx` handed to a lazy task. Its AbortController is made only when the task reads
 * `signal`: many tasks never do, and a controller per task is the main cost of starting one.
 * Aborting before the task looked still works: the signal it then gets is already aborted.
 *
 * `signal` is a getter on the prototype, and for a task that declares a parameter also an own,
 * enumerable accessor, so that `{ ...ctx }` and `Object.assign({}, ctx)` keep it; the internals
 * are private fields, invisible to spreads. The own accessor costs ~50 ns a task (defined with
 * `__defineGetter__` and one shared getter: ~10% less than `Object.defineProperty`), more than
 * everything else in starting a trivial task, so it is left out for tasks that declare no
 * parameter (`() => …`): they can reach the context only through `arguments` or a rest
 * parameter, and still read `signal` through the prototype; only a spread of that would lose it.
 */
export class LazyContext {
  #controller: AbortController | undefined
  #abortedWith: { reason: unknown } | undefined

  /** `task`: the task it is for; `signal` is defined on the instance too unless it declares no parameter. */
  constructor(task?: unknown) {
    try {
      if ((task as { length?: unknown } | undefined)?.length !== 0) {
        ;(this as unknown as LegacyAccessors).__defineGetter__('signal', getSignal)
      }
    } catch {} // a Proxy whose trap throws: the prototype getter still serves
  }

  get signal(): AbortSignal {
    return LazyContext.signalOf(this)
  }

  static signalOf(ctx: LazyContext): AbortSignal {
    if (ctx.#controller === undefined) {
      ctx.#controller = new AbortController()
      if (ctx.#abortedWith) ctx.#controller.abort(ctx.#abortedWith.reason)
    }
    return ctx.#controller.signal
  }

  /** Aborts the task's signal (now, or as soon as it is made). */
  static abort(ctx: LazyContext, reason: unknown): void {
    if (ctx.#abortedWith) return
    ctx.#abortedWith = { reason }
    ctx.#controller?.abort(reason)
  }
}

/** Annex B's `Object.prototype.__defineGetter__` (enumerable, configurable), which TypeScript does not declare. */
interface LegacyAccessors {
  __defineGetter__(name: string, getter: () => unknown): void
}

// One shared getter: every context gets the same accessor, so V8 keeps one object shape.
function getSignal(this: LazyContext): AbortSignal {
  return LazyContext.signalOf(this)
}

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
 * `signal` is an own, enumerable accessor (not a prototype getter) so that `{ ...ctx }` and
 * `Object.assign({}, ctx)` keep it; the internals are private fields, invisible to spreads.
 * It is defined with `__defineGetter__` and one shared getter: the same own accessor as
 * `Object.defineProperty` gives, at about a quarter of its cost (no descriptor to read), which
 * is most of what starting a trivial task costs.
 */
export class LazyContext {
  #controller: AbortController | undefined
  #abortedWith: { reason: unknown } | undefined
  declare readonly signal: AbortSignal

  constructor() {
    ;(this as unknown as LegacyAccessors).__defineGetter__('signal', getSignal)
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

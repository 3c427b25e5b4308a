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

let idle: AbortSignal | undefined
/** A signal that never aborts, for tasks nobody can cancel (made on first use, not at import). */
export function neverAborted(): AbortSignal {
  idle ??= new AbortController().signal
  return idle
}

/**
 * The `ctx` handed to a lazy task. Its AbortController is made only when the task reads
 * `signal`: many tasks never do, and a controller per task is the main cost of starting one.
 * Aborting before the task looked still works: the signal it then gets is already aborted.
 */
export class LazyContext {
  private controller: AbortController | undefined
  private abortedWith: { reason: unknown } | undefined

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController()
      if (this.abortedWith) this.controller.abort(this.abortedWith.reason)
    }
    return this.controller.signal
  }

  abort(reason: unknown): void {
    if (this.abortedWith) return
    this.abortedWith = { reason }
    this.controller?.abort(reason)
  }
}

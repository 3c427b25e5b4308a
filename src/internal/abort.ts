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

import { err, ok, type Result } from 'neverthrow'
import type { CancelledError } from '../errors.js'
import { cancelledBy, onAbort } from './abort.js'
import { MAX_TIMER_MS } from './options.js'

/**
 * Waits `ms` (at most MAX_TIMER_MS: callers check; a larger value would fire at once in Node);
 * an abort ends the wait at once with CancelledError. Leaves no timer or listener.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<Result<void, CancelledError>> {
  if (signal?.aborted) return Promise.resolve(err(cancelledBy(signal)))
  return new Promise((resolve) => {
    const detach = signal
      ? onAbort(signal, () => {
          clearTimeout(timer)
          resolve(err(cancelledBy(signal)))
        })
      : undefined
    const timer = setTimeout(
      () => {
        detach?.()
        resolve(ok(undefined))
      },
      Math.min(ms, MAX_TIMER_MS),
    )
  })
}

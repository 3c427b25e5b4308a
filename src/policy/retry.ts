import { err } from 'neverthrow'
import { InvalidOptionsError } from '../errors.js'
import { cancelledBy, onAbort } from '../internal/abort.js'
import { type Backoff, backoffDelay, checkRetryOptions } from '../internal/retry.js'
import { fromThrow } from '../internal/start.js'
import { BasePolicy, type Chain, checking, type Done, type Layer, type Policy } from './executor.js'

/** Options of `retryPolicy`: those of `retry`, minus `signal` and `timeoutMs` (use `timeoutPolicy`). */
export interface RetryPolicyOptions {
  /** Calls in total, the first one included. */
  attempts: number
  /** Wait between attempts; none when omitted. Never a sleep after the final attempt. */
  backoff?: Backoff | undefined
  /** Retry only errors for which this returns true (default: every error). */
  retryIf?: ((error: unknown, attempt: number) => boolean) | undefined
  /** Called before each retry. */
  onRetry?: ((info: { attempt: number; error: unknown; delayMs: number }) => void) | undefined
}

/**
 * `retry` as a policy: runs the layers inside again on an error, at most `attempts` calls in
 * all, sleeping per `backoff` in between. Returns the last error; an abort (during an attempt or
 * a sleep) returns CancelledError. Put it outside a breaker (each attempt then counts) and tell it
 * not to retry `CircuitOpenError` with `retryIf`.
 *
 * Bad options: `invalid` holds the InvalidOptionsError and every `execute` returns it.
 */
export function retryPolicy(options: RetryPolicyOptions): Policy {
  const bad = checking(
    options,
    () => checkRetryOptions(options) ?? notHere(options as unknown as Record<string, unknown>),
  )
  return new BasePolicy(bad ? [] : [new RetryLayer(options)], bad)
}

/** `retry`'s options that a policy gets elsewhere: refused rather than silently ignored. */
function notHere(o: Record<string, unknown>): InvalidOptionsError | undefined {
  if (o.timeoutMs !== undefined) return new InvalidOptionsError('timeoutMs', o.timeoutMs, 'no value: use timeoutPolicy')
  if (o.signal !== undefined) return new InvalidOptionsError('signal', o.signal, 'no value: pass it to execute')
  return undefined
}

class RetryLayer implements Layer {
  constructor(private readonly o: RetryPolicyOptions) {}

  run(signal: AbortSignal | undefined, done: Done, chain: Chain, next: number): void {
    const { attempts, retryIf, onRetry, backoff } = this.o
    let attempt = 0
    const go = (): void => {
      attempt++
      chain.run(next, signal, (r) => {
        if (r.isOk() || signal?.aborted || attempt >= attempts) return done(r)
        let delayMs: number
        try {
          if (retryIf && retryIf(r.error, attempt) !== true) return done(r)
          delayMs = backoffDelay(backoff, attempt)
          onRetry?.({ attempt, error: r.error, delayMs })
        } catch (e) {
          return done(fromThrow(e))
        }
        if (delayMs <= 0) return go()
        let detach: (() => void) | undefined
        const timer = setTimeout(() => {
          detach?.()
          go()
        }, delayMs)
        if (signal) {
          detach = onAbort(signal, () => {
            clearTimeout(timer)
            done(err(cancelledBy(signal)))
          })
        }
      })
    }
    go()
  }
}

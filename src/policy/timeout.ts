import { err } from 'neverthrow'
import { TimeoutError } from '../errors.js'
import { onAbort } from '../internal/abort.js'
import { checkMs } from '../internal/options.js'
import { BasePolicy, type Chain, type Done, type Layer, type Policy } from './executor.js'

/**
 * A time limit per call: after `ms` the call ends with `err(TimeoutError)` at once and the work
 * inside is aborted through its signal. Put it inside a breaker for timeouts to count as
 * failures, and inside a retry for a limit per attempt. The timer is cleared when the call ends.
 *
 * A bad `ms`: `invalid` holds the InvalidOptionsError and every `execute` returns it.
 */
export function timeoutPolicy(ms: number, opts?: { label?: string | undefined }): Policy<TimeoutError> {
  const bad = checkMs('ms', ms, false)
  const layers = bad || ms === Number.POSITIVE_INFINITY ? [] : [new TimeoutLayer(ms, opts?.label)]
  return new BasePolicy<TimeoutError>(layers, bad)
}

class TimeoutLayer implements Layer {
  /** It answers at once when time runs out, while the task may still be running. */
  readonly early = true
  constructor(
    private readonly ms: number,
    private readonly label: string | undefined,
  ) {}

  run(signal: AbortSignal | undefined, done: Done, chain: Chain, next: number): void {
    const inner = new AbortController()
    let settled = false
    let detach: (() => void) | undefined
    const timer = setTimeout(() => {
      const e = new TimeoutError(this.ms, this.label)
      finish(err(e))
      inner.abort(e)
    }, this.ms)
    const finish: Done = (r) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      detach?.()
      done(r)
    }
    if (signal) {
      // The caller gave up: its own abort answers it; the timer is no longer needed.
      detach = onAbort(signal, () => {
        clearTimeout(timer)
        inner.abort(signal.reason)
      })
    }
    chain.run(next, inner.signal, finish)
  }
}

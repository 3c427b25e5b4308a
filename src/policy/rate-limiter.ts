import { err } from 'neverthrow'
import { InvalidOptionsError, RateLimitedError } from '../errors.js'
import { cancelledBy, onAbort } from '../internal/abort.js'
import { checkInteger, checkMs, firstError, MAX_TIMER_MS } from '../internal/options.js'
import { BasePolicy, type Chain, checking, checkOptionsObject, type Done, type Layer, type Policy } from './executor.js'

/** Options of `rateLimiter`. */
export interface RateLimiterOptions {
  /** Tokens the bucket holds, and how many are added back per `intervalMs`. Each call takes one. */
  tokens: number
  /** The refill period: `tokens` per `intervalMs`, added back continuously. */
  intervalMs: number
  /**
   * How long a call may wait for a token (default 0: refuse at once). A call that would have to
   * wait longer is refused at once with `RateLimitedError`, without waiting.
   */
  maxWaitMs?: number | undefined
}

/** A rate limiter: a policy that adds `RateLimitedError`. */
export interface RateLimiter extends Policy<RateLimitedError> {
  /** Tokens free now (fractional while refilling; negative while callers wait for reserved ones). */
  available(): number
}

/**
 * A token bucket: at most `tokens` calls at once after an idle spell, and `tokens` per
 * `intervalMs` in the long run. A call with no token waits for one (in arrival order, each
 * reserving the next token to come) if that takes at most `maxWaitMs`; otherwise it gets
 * `err(RateLimitedError)` with `retryAfterMs` at once. A waiting call whose signal aborts stops
 * waiting at once and gives its token back. No timer runs unless a call is waiting.
 *
 * Bad options: `invalid` holds the InvalidOptionsError and every `execute` returns it.
 */
export function rateLimiter(options: RateLimiterOptions): RateLimiter {
  const bad = checking(options, () => checkLimiterOptions(options))
  const layer = bad
    ? new LimiterLayer(1, 1, 0)
    : new LimiterLayer(options.tokens, options.intervalMs, options.maxWaitMs ?? 0)
  const policy = new BasePolicy<RateLimitedError>([layer], bad) as BasePolicy<RateLimitedError> & RateLimiter
  policy.available = () => layer.refill(Date.now())
  return policy
}

function checkLimiterOptions(o: unknown): InvalidOptionsError | undefined {
  const notObject = checkOptionsObject(o, false)
  if (notObject) return notObject
  const { tokens, intervalMs, maxWaitMs } = o as RateLimiterOptions
  const interval =
    typeof intervalMs === 'number' && intervalMs > 0 && intervalMs <= MAX_TIMER_MS
      ? undefined
      : new InvalidOptionsError('intervalMs', intervalMs, `a number of milliseconds from 1 to ${MAX_TIMER_MS}`)
  const maxWait = maxWaitMs === Number.POSITIVE_INFINITY ? undefined : checkMs('maxWaitMs', maxWaitMs)
  return firstError(checkInteger('tokens', tokens, 1), interval, maxWait)
}

class LimiterLayer implements Layer {
  /** Tokens now; below 0 when waiting calls have reserved tokens still to come. */
  private stored: number
  private last = Date.now()
  private readonly perMs: number

  constructor(
    private readonly capacity: number,
    intervalMs: number,
    private readonly maxWaitMs: number,
  ) {
    this.stored = capacity
    this.perMs = capacity / intervalMs
  }

  refill(now: number): number {
    if (now > this.last) {
      this.stored = Math.min(this.capacity, this.stored + (now - this.last) * this.perMs)
      this.last = now
    }
    return this.stored
  }

  run(signal: AbortSignal | undefined, done: Done, chain: Chain, next: number): void {
    const stored = this.refill(Date.now())
    if (stored >= 1) {
      this.stored = stored - 1
      return chain.run(next, signal, done)
    }
    const waitMs = Math.ceil((1 - stored) / this.perMs)
    if (waitMs > this.maxWaitMs || waitMs > MAX_TIMER_MS) return done(err(new RateLimitedError(waitMs)))
    this.stored = stored - 1 // reserved: the next token to come is this call's
    let detach: (() => void) | undefined
    const timer = setTimeout(() => {
      detach?.()
      chain.run(next, signal, done)
    }, waitMs)
    if (signal) {
      detach = onAbort(signal, () => {
        clearTimeout(timer)
        this.refill(Date.now())
        this.stored = Math.min(this.capacity, this.stored + 1) // not taken after all
        done(err(cancelledBy(signal)))
      })
    }
  }
}

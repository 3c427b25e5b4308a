// circuitBreaker: both modes (consecutive failures, a failure ratio over a window) and the
// half-open trial calls are one state machine over one snapshot; over 300 lines for that reason
// (split, the transitions would live apart from the state they change).
import { err, type Result } from 'neverthrow'
import { BulkheadRejectedError, CircuitOpenError, InvalidOptionsError, RateLimitedError } from '../errors.js'
import { checkFunction, checkInteger, checkMs, firstError, MAX_TIMER_MS } from '../internal/options.js'
import { fromThrow } from '../internal/start.js'
import { BasePolicy, type Chain, checking, checkOptionsObject, type Done, type Layer, type Policy } from './executor.js'

/** `closed`: calls pass. `open`: calls are refused. `half-open`: a few trial calls decide. */
export type BreakerState = 'closed' | 'open' | 'half-open'

/**
 * The whole state of a breaker, as plain JSON: what a `BreakerStore` keeps. Treat it as opaque
 * and immutable: the breaker never changes a snapshot, it `set`s a new one.
 */
export interface BreakerSnapshot {
  readonly state: BreakerState
  /** When it last opened (ms since the epoch; 0 if never). */
  readonly openedAt: number
  /** How many times it has opened: tells a late result from an earlier period apart. */
  readonly openings: number
  /** Consecutive failures (consecutive mode). */
  readonly failures: number
  /** Ratio mode: `[bucket, successes, failures]` triples, oldest first. */
  readonly window: readonly number[]
  /** Half-open: trial calls admitted (and not cancelled). */
  readonly trials: number
  /** Half-open: trial calls that succeeded. */
  readonly trialSuccesses: number
}

/**
 * Where a breaker keeps its state. The default keeps it in memory; give several breakers (in
 * several processes) one store to make them one breaker. Both calls are synchronous, on the hot
 * path: a store backed by Redis or a database keeps a local copy that `get` returns, refreshed by
 * a subscription or a poll, and writes `set` through in the background. Across processes the
 * state is then as fresh as that copy (a failure seen in one process opens the breaker in the
 * others when they next read it).
 */
export interface BreakerStore {
  /** The latest snapshot, or undefined for a new (closed) breaker. */
  get(): BreakerSnapshot | undefined
  /** Saves the next snapshot (called only when something changed). */
  set(snapshot: BreakerSnapshot): void
}

/** A store in memory: the default, and a way to share one breaker between several policies. */
export function memoryBreakerStore(): BreakerStore {
  let current: BreakerSnapshot | undefined
  return {
    get: () => current,
    set: (s) => {
      current = s
    },
  }
}

/** What `onStateChange` receives. */
export interface BreakerStateChange {
  readonly from: BreakerState
  readonly to: BreakerState
  /** When this breaker saw the change (ms since the epoch). */
  readonly at: number
}

/** Options of `circuitBreaker`. */
export interface CircuitBreakerOptions {
  /**
   * When to open. Without `windowMs`: this many failures in a row (an integer >= 1). With
   * `windowMs`: this failure ratio (0 < threshold <= 1) among the calls of the window.
   */
  threshold: number
  /** Ratio mode: the window, in ms (kept as 10 buckets of `windowMs / 10`). */
  windowMs?: number | undefined
  /** Ratio mode: fewer calls than this in the window never open the breaker (default 10). */
  minimumCalls?: number | undefined
  /** How long it stays open before letting trial calls through. */
  halfOpenAfterMs: number
  /** Trial calls let through when half-open; all must succeed to close it (default 1). */
  halfOpenCalls?: number | undefined
  /**
   * Which errors count as failures. Default: every error except okflow's own refusals
   * (CircuitOpenError, BulkheadRejectedError, RateLimitedError), which say nothing about the
   * service. An error that is not a failure counts like a success (the service answered).
   */
  isFailure?: ((error: unknown) => boolean) | undefined
  /** Called when this breaker sees its state change (a throw in it is ignored). */
  onStateChange?: ((change: BreakerStateChange) => void) | undefined
  /** Where the state lives (default: `memoryBreakerStore()`, private to this breaker). */
  store?: BreakerStore | undefined
}

/** Counts of one breaker (this process). Once every call has settled, `calls` is the sum of the rest. */
export interface BreakerMetrics {
  readonly state: BreakerState
  /** Calls that reached the breaker. */
  readonly calls: number
  /** Calls that ended ok. */
  readonly successes: number
  /** Calls that ended with an error `isFailure` counts. */
  readonly failures: number
  /** Calls that ended with an error `isFailure` does not count. */
  readonly ignored: number
  /** Calls refused because the breaker was open (or half-open with its trials taken). */
  readonly rejected: number
  /** Calls whose signal was aborted before they ended: counted neither way. */
  readonly cancelled: number
}

/** A circuit breaker: a policy that adds `CircuitOpenError`, and can be watched. */
export interface CircuitBreaker extends Policy<CircuitOpenError> {
  /** The state now (an open breaker whose `halfOpenAfterMs` has passed reads `half-open`). */
  state(): BreakerState
  metrics(): BreakerMetrics
}

const INITIAL: BreakerSnapshot = {
  state: 'closed',
  openedAt: 0,
  openings: 0,
  failures: 0,
  window: [],
  trials: 0,
  trialSuccesses: 0,
}
const BUCKETS = 10

const isRefusal = (e: unknown): boolean =>
  e instanceof CircuitOpenError || e instanceof BulkheadRejectedError || e instanceof RateLimitedError

/**
 * A circuit breaker. Closed, it counts failures: `threshold` in a row (or, with `windowMs`, a
 * failure ratio over the window) opens it. Open, every call gets `err(CircuitOpenError)` at once
 * without running. After `halfOpenAfterMs` it is half-open: `halfOpenCalls` trial calls run; if
 * all succeed it closes, the first failure opens it again. A trial whose caller aborts frees its
 * place for another. No timer is involved: time is read when a call comes (or `state()` is read).
 *
 * Bad options do not throw: the breaker's `invalid` holds the InvalidOptionsError and every
 * `execute` returns it.
 */
export function circuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const bad = checking(options, () => checkBreakerOptions(options))
  const layer = new BreakerLayer(bad ? { threshold: 1, halfOpenAfterMs: 0 } : options)
  const policy = new BasePolicy<CircuitOpenError>([layer], bad) as BasePolicy<CircuitOpenError> & CircuitBreaker
  policy.state = () => layer.current().state
  policy.metrics = () => layer.metrics()
  return policy
}

function checkBreakerOptions(o: unknown): InvalidOptionsError | undefined {
  const notObject = checkOptionsObject(o, false)
  if (notObject) return notObject
  const opts = o as CircuitBreakerOptions
  const ratio = opts.windowMs !== undefined
  const threshold = ratio
    ? typeof opts.threshold === 'number' && opts.threshold > 0 && opts.threshold <= 1
      ? undefined
      : new InvalidOptionsError('threshold', opts.threshold, 'a failure ratio, 0 < threshold <= 1 (with windowMs)')
    : checkInteger('threshold', opts.threshold, 1)
  const windowMs =
    !ratio || (typeof opts.windowMs === 'number' && opts.windowMs > 0 && opts.windowMs <= MAX_TIMER_MS)
      ? undefined
      : new InvalidOptionsError('windowMs', opts.windowMs, `a number of milliseconds from 1 to ${MAX_TIMER_MS}`)
  return firstError(
    threshold,
    windowMs,
    opts.minimumCalls === undefined ? undefined : checkInteger('minimumCalls', opts.minimumCalls, 1),
    checkMs('halfOpenAfterMs', opts.halfOpenAfterMs, false),
    opts.halfOpenCalls === undefined ? undefined : checkInteger('halfOpenCalls', opts.halfOpenCalls, 1),
    checkFunction('isFailure', opts.isFailure),
    checkFunction('onStateChange', opts.onStateChange),
    checkStore(opts.store),
  )
}

function checkStore(store: unknown): InvalidOptionsError | undefined {
  if (store === undefined) return undefined
  const s = store as BreakerStore | null
  if (typeof s === 'object' && s !== null && typeof s.get === 'function' && typeof s.set === 'function')
    return undefined
  return new InvalidOptionsError('store', store, 'a BreakerStore ({ get(), set(snapshot) })')
}

class BreakerLayer implements Layer {
  private readonly threshold: number
  private readonly bucketMs: number | undefined
  private readonly minimumCalls: number
  private readonly halfOpenAfterMs: number
  private readonly halfOpenCalls: number
  private readonly isFailure: (error: unknown) => boolean
  private readonly onStateChange: ((change: BreakerStateChange) => void) | undefined
  /** The shared store, when given; otherwise the state lives in `local` (no call per read). */
  private readonly store: BreakerStore | undefined
  private local: BreakerSnapshot = INITIAL
  private seen: BreakerState = 'closed'
  private calls = 0
  private successes = 0
  private failures = 0
  private ignored = 0
  private rejected = 0
  private cancelled = 0

  constructor(o: CircuitBreakerOptions) {
    this.threshold = o.threshold
    this.bucketMs = o.windowMs === undefined ? undefined : o.windowMs / BUCKETS
    this.minimumCalls = o.minimumCalls ?? 10
    this.halfOpenAfterMs = o.halfOpenAfterMs
    this.halfOpenCalls = o.halfOpenCalls ?? 1
    this.isFailure = o.isFailure ?? ((e) => !isRefusal(e))
    this.onStateChange = o.onStateChange
    this.store = o.store
  }

  run(signal: AbortSignal | undefined, done: Done, chain: Chain, next: number): void {
    this.calls++
    const s = this.current()
    if (s.state === 'open') {
      const now = Date.now()
      this.rejected++
      return done(err(new CircuitOpenError(Math.max(0, Math.ceil(s.openedAt + this.halfOpenAfterMs - now)))))
    }
    const trial = s.state === 'half-open'
    if (trial) {
      if (s.trials >= this.halfOpenCalls) {
        this.rejected++
        return done(err(new CircuitOpenError(0)))
      }
      this.write({ ...s, trials: s.trials + 1 })
    }
    const openings = s.openings
    chain.run(next, signal, (r) => done(this.record(r, trial, openings, signal)))
  }

  /** The snapshot now: an open breaker whose time is up becomes half-open here. */
  current(): BreakerSnapshot {
    let s = this.store ? (this.store.get() ?? INITIAL) : this.local
    // The clock is read only when open: the closed path is the hot one.
    if (s.state === 'open' && Date.now() - s.openedAt >= this.halfOpenAfterMs) {
      s = { ...s, state: 'half-open', trials: 0, trialSuccesses: 0 }
      this.save(s)
    }
    if (s.state !== this.seen) this.observe(s.state)
    return s
  }

  metrics(): BreakerMetrics {
    const { calls, successes, failures, ignored, rejected, cancelled } = this
    return { state: this.current().state, calls, successes, failures, ignored, rejected, cancelled }
  }

  private record(
    r: Result<unknown, unknown>,
    trial: boolean,
    openings: number,
    signal: AbortSignal | undefined,
  ): Result<unknown, unknown> {
    if (signal?.aborted) {
      // The caller stopped waiting: the call says nothing about the service. A trial frees its place.
      this.cancelled++
      const s = this.current()
      if (trial && s.state === 'half-open' && s.openings === openings) this.write({ ...s, trials: s.trials - 1 })
      return r
    }
    let failure = false
    if (r.isErr()) {
      try {
        failure = this.isFailure(r.error) === true
      } catch (e) {
        r = fromThrow(e)
        failure = true
      }
    }
    if (r.isOk()) this.successes++
    else if (failure) this.failures++
    else this.ignored++
    const s = this.current()
    // A late result from an earlier period (before the breaker last opened) decides nothing now.
    if (s.openings !== openings) return r
    if (trial) {
      if (s.state !== 'half-open') return r
      if (failure) this.open(s)
      else if (s.trialSuccesses + 1 >= this.halfOpenCalls) this.write({ ...INITIAL, openings: s.openings })
      else this.write({ ...s, trialSuccesses: s.trialSuccesses + 1 })
      return r
    }
    if (s.state !== 'closed') return r
    if (this.bucketMs === undefined) {
      if (!failure) {
        if (s.failures !== 0) this.write({ ...s, failures: 0 })
      } else if (s.failures + 1 >= this.threshold) this.open(s)
      else this.write({ ...s, failures: s.failures + 1 })
      return r
    }
    const window = addToWindow(s.window, Math.floor(Date.now() / this.bucketMs), failure)
    if (failure && tripped(window, this.threshold, this.minimumCalls)) this.open(s)
    else this.write({ ...s, window })
    return r
  }

  private open(s: BreakerSnapshot): void {
    this.write({ ...INITIAL, state: 'open', openedAt: Date.now(), openings: s.openings + 1 })
  }

  private save(s: BreakerSnapshot): void {
    if (this.store) this.store.set(s)
    else this.local = s
  }

  private write(s: BreakerSnapshot): void {
    this.save(s)
    if (s.state !== this.seen) this.observe(s.state)
  }

  private observe(state: BreakerState): void {
    const from = this.seen
    this.seen = state
    try {
      this.onStateChange?.({ from, to: state, at: Date.now() })
    } catch {
      // A monitoring callback must not change the outcome of a call.
    }
  }
}

/** The window with one more outcome in bucket `bucket`; buckets older than the window are dropped. */
function addToWindow(window: readonly number[], bucket: number, failure: boolean): number[] {
  const out: number[] = []
  for (let i = 0; i < window.length; i += 3) {
    if ((window[i] as number) > bucket - BUCKETS)
      out.push(window[i] as number, window[i + 1] as number, window[i + 2] as number)
  }
  const last = out.length - 3
  if (last >= 0 && out[last] === bucket) out[last + (failure ? 2 : 1)] = (out[last + (failure ? 2 : 1)] as number) + 1
  else out.push(bucket, failure ? 0 : 1, failure ? 1 : 0)
  return out
}

function tripped(window: readonly number[], threshold: number, minimumCalls: number): boolean {
  let ok = 0
  let failed = 0
  for (let i = 0; i < window.length; i += 3) {
    ok += window[i + 1] as number
    failed += window[i + 2] as number
  }
  const total = ok + failed
  return total >= minimumCalls && failed / total >= threshold
}

import fc from 'fast-check'
import { err, ok, type Result } from 'neverthrow'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  BulkheadRejectedError,
  bulkhead,
  CancelledError,
  CircuitOpenError,
  circuitBreaker,
  fallback,
  policy,
  RateLimitedError,
  rateLimiter,
  retryPolicy,
  timeoutPolicy,
  UnexpectedError,
} from '../../src/index.js'
import { BasePolicy, type Chain, type Done, type Layer } from '../../src/policy/executor.js'

// One generated call: when it comes, how its task ends and after how long, whether the task
// honours its signal, and when (if ever) its caller aborts.
type Call = {
  at: number
  outcome: 'ok' | 'err' | 'throw' | 'reject'
  ms: number
  honoursAbort: boolean
  abortAfter: number | null
}

const call: fc.Arbitrary<Call> = fc.record({
  at: fc.integer({ min: 0, max: 300 }),
  outcome: fc.constantFrom('ok', 'err', 'throw', 'reject'),
  ms: fc.integer({ min: 0, max: 60 }),
  honoursAbort: fc.boolean(),
  abortAfter: fc.option(fc.integer({ min: 0, max: 60 }), { nil: null }),
})

const breakerOptions = fc.oneof(
  fc.record({ threshold: fc.integer({ min: 1, max: 4 }), halfOpenAfterMs: fc.integer({ min: 0, max: 100 }) }),
  fc.record({
    threshold: fc.double({ min: 0.1, max: 1, noNaN: true }),
    windowMs: fc.integer({ min: 10, max: 200 }),
    minimumCalls: fc.integer({ min: 1, max: 5 }),
    halfOpenAfterMs: fc.integer({ min: 0, max: 100 }),
    halfOpenCalls: fc.integer({ min: 1, max: 3 }),
  }),
)

/** Innermost layer that counts how often each run's `done` is called (must be once). */
function doneCounter(counts: number[]) {
  const layer: Layer = {
    run(signal: AbortSignal | undefined, done: Done, chain: Chain, next: number) {
      const k = counts.length
      counts.push(0)
      chain.run(next, signal, (r) => {
        counts[k] = (counts[k] ?? 0) + 1
        done(r)
      })
    },
  }
  return new BasePolicy([layer], undefined)
}

function task(c: Call, started: { n: number }) {
  return ({ signal }: { signal: AbortSignal }): Promise<Result<string, string>> => {
    started.n++
    if (c.outcome === 'throw' && c.ms === 0) throw new Error('sync throw')
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (c.outcome === 'ok') resolve(ok('fine'))
        else if (c.outcome === 'err') resolve(err('down'))
        else reject(new Error('rejected'))
      }, c.ms)
      if (c.honoursAbort) {
        signal.addEventListener('abort', () => {
          clearTimeout(timer)
          resolve(err('aborted'))
        })
      }
    })
  }
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('policy properties (random outcomes, timings and aborts)', () => {
  it('every call settles exactly once; the breaker’s counts add up and match what callers got', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(call, { minLength: 1, maxLength: 40 }),
        breakerOptions,
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        async (calls, bOpts, concurrency, queue) => {
          vi.setSystemTime(0)
          const breaker = circuitBreaker(bOpts)
          expect(breaker.invalid).toBeUndefined()
          const bh = bulkhead({ concurrency, queue })
          const doneCounts: number[] = []
          const p = policy(breaker, bh, doneCounter(doneCounts))
          const settledTimes = calls.map(() => 0)
          const results: Result<unknown, unknown>[] = []
          const started = { n: 0 }
          calls.forEach((c, i) => {
            setTimeout(() => {
              const ac = new AbortController()
              if (c.abortAfter !== null) setTimeout(() => ac.abort('caller'), c.abortAfter)
              // No signal at all when the caller never aborts: that is the executor's fast path.
              const opts = c.abortAfter === null ? undefined : { signal: ac.signal }
              void p.execute(task(c, started), opts).then((r) => {
                settledTimes[i] = (settledTimes[i] ?? 0) + 1
                results[i] = r
              })
            }, c.at)
          })
          await vi.advanceTimersByTimeAsync(1000)
          // Every call settled once, and every run through the layers reported once.
          expect(settledTimes).toEqual(calls.map(() => 1))
          expect(doneCounts.every((n) => n === 1)).toBe(true)
          expect(doneCounts.length).toBe(started.n)
          // Nothing left behind: no timers, no slots, no queue.
          expect(vi.getTimerCount()).toBe(0)
          expect(bh.metrics()).toMatchObject({ active: 0, queued: 0 })
          // The counts add up, and each matches what the callers saw.
          const m = breaker.metrics()
          expect(m.calls).toBe(calls.length)
          expect(m.successes + m.failures + m.ignored + m.rejected + m.cancelled).toBe(m.calls)
          const count = (f: (e: unknown) => boolean) => results.filter((r) => r.isErr() && f(r.error)).length
          expect(m.successes).toBe(results.filter((r) => r.isOk()).length)
          expect(m.rejected).toBe(count((e) => e instanceof CircuitOpenError))
          expect(m.ignored).toBe(count((e) => e instanceof BulkheadRejectedError))
          expect(m.cancelled).toBe(count((e) => e instanceof CancelledError))
          expect(m.failures).toBe(count((e) => e === 'down' || e === 'aborted' || e instanceof UnexpectedError))
          expect(bh.metrics().rejected).toBe(m.ignored)
        },
      ),
      { numRuns: 150 },
    )
  })

  it('a rate limiter never lets more than `tokens` + elapsed refill through, and every waiter settles', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(call, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 10, max: 100 }),
        fc.integer({ min: 0, max: 150 }),
        async (calls, tokens, intervalMs, maxWaitMs) => {
          vi.setSystemTime(0)
          const limiter = rateLimiter({ tokens, intervalMs, maxWaitMs })
          const startTimes: number[] = []
          const results: Result<unknown, unknown>[] = []
          let settled = 0
          calls.forEach((c) => {
            setTimeout(() => {
              const ac = new AbortController()
              if (c.abortAfter !== null) setTimeout(() => ac.abort(), c.abortAfter)
              void limiter
                .execute(
                  () => {
                    startTimes.push(Date.now())
                    return ok(1)
                  },
                  { signal: ac.signal },
                )
                .then((r) => {
                  settled++
                  results.push(r)
                })
            }, c.at)
          })
          await vi.advanceTimersByTimeAsync(2000)
          expect(settled).toBe(calls.length)
          expect(vi.getTimerCount()).toBe(0)
          // Token bucket bound: by time t at most tokens + t * tokens / intervalMs calls started.
          startTimes.forEach((t, k) => {
            expect(k + 1).toBeLessThanOrEqual(tokens + Math.floor((t * tokens) / intervalMs) + 1e-9)
          })
          const limited = results.filter((r) => r.isErr() && r.error instanceof RateLimitedError)
          for (const r of limited) expect((r as { error: RateLimitedError }).error.retryAfterMs).toBeGreaterThan(0)
          expect(
            startTimes.length +
              limited.length +
              results.filter((r) => r.isErr() && r.error instanceof CancelledError).length,
          ).toBe(calls.length)
        },
      ),
      { numRuns: 100 },
    )
  })
})

describe('policy properties: fallback, retry and timeout around a breaker, with and without a signal', () => {
  it('every call settles once, with the value or the error the layers say', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(call, { minLength: 1, maxLength: 25 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 40 }),
        async (calls, withFallback, timeoutMs) => {
          vi.setSystemTime(0)
          const breaker = circuitBreaker({ threshold: 2, halfOpenAfterMs: 30 })
          const layers = [
            retryPolicy({ attempts: 2, backoff: { initialMs: 3 }, retryIf: (e) => !(e instanceof CircuitOpenError) }),
            breaker,
            bulkhead({ concurrency: 2, queue: 2 }),
            timeoutPolicy(timeoutMs),
          ]
          const p = withFallback
            ? policy(
                fallback(() => ok('fallback')),
                ...layers,
              )
            : policy(...layers)
          const settledTimes = calls.map(() => 0)
          const results: Result<unknown, unknown>[] = []
          const started = { n: 0 }
          calls.forEach((c, i) => {
            setTimeout(() => {
              const ac = new AbortController()
              if (c.abortAfter !== null) setTimeout(() => ac.abort('caller'), c.abortAfter)
              const opts = c.abortAfter === null ? undefined : { signal: ac.signal }
              void p.execute(task(c, started), opts).then((r) => {
                settledTimes[i] = (settledTimes[i] ?? 0) + 1
                results[i] = r
              })
            }, c.at)
          })
          await vi.advanceTimersByTimeAsync(2000)
          expect(settledTimes).toEqual(calls.map(() => 1))
          expect(vi.getTimerCount()).toBe(0)
          const m = breaker.metrics()
          expect(m.successes + m.failures + m.ignored + m.rejected + m.cancelled).toBe(m.calls)
          for (const r of results) {
            if (r.isOk()) expect(['fine', 'fallback']).toContain(r.value)
            else if (withFallback) expect(r.error).toBeInstanceOf(CancelledError) // all else is answered
          }
        },
      ),
      { numRuns: 100 },
    )
  })
})

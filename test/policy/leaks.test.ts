import { getEventListeners } from 'node:events'
import { err, ok, type Result } from 'neverthrow'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { bulkhead, circuitBreaker, fallback, policy, rateLimiter, retryPolicy, timeoutPolicy } from '../../src/index.js'

beforeEach(() => {
  vi.useFakeTimers({ now: 0 })
})
afterEach(() => {
  vi.useRealTimers()
})

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length

describe('nothing is left behind when calls settle', () => {
  const cases = {
    circuitBreaker: () => circuitBreaker({ threshold: 2, halfOpenAfterMs: 100 }),
    bulkhead: () => bulkhead({ concurrency: 1, queue: 5 }),
    rateLimiter: () => rateLimiter({ tokens: 1, intervalMs: 50, maxWaitMs: 1000 }),
    fallback: () => fallback(() => ok('fallback')),
    retryPolicy: () => retryPolicy({ attempts: 3, backoff: { initialMs: 10 } }),
    timeoutPolicy: () => timeoutPolicy(30),
    composed: () =>
      policy(
        fallback(() => ok('fallback')),
        retryPolicy({ attempts: 2, backoff: { initialMs: 5 } }),
        circuitBreaker({ threshold: 3, halfOpenAfterMs: 100 }),
        bulkhead({ concurrency: 1, queue: 5 }),
        rateLimiter({ tokens: 2, intervalMs: 20, maxWaitMs: 1000 }),
        timeoutPolicy(30),
      ),
  }
  for (const [name, make] of Object.entries(cases)) {
    it(`${name}: no listener on the caller's signal and no timer once every call has settled`, async () => {
      const p = make()
      const ac = new AbortController()
      const outcomes = [ok(1), err('e'), ok(2), err('e'), ok(3)] as Result<number, string>[]
      const calls = outcomes.map((r, i) =>
        p.execute(() => new Promise<Result<number, string>>((resolve) => setTimeout(() => resolve(r), i * 7)), {
          signal: ac.signal,
        }),
      )
      await vi.advanceTimersByTimeAsync(5000)
      const results = await Promise.all(calls)
      expect(results).toHaveLength(5)
      expect(listeners(ac.signal)).toBe(0)
      expect(vi.getTimerCount()).toBe(0)
    })

    it(`${name}: an abort mid-way leaves no listener and no timer either`, async () => {
      const p = make()
      const ac = new AbortController()
      const calls = [0, 1, 2].map(() =>
        p.execute(
          ({ signal }) =>
            new Promise<Result<number, string>>((resolve) => {
              const t = setTimeout(() => resolve(ok(1)), 50)
              signal.addEventListener('abort', () => {
                clearTimeout(t)
                resolve(err('aborted'))
              })
            }),
          { signal: ac.signal },
        ),
      )
      await vi.advanceTimersByTimeAsync(5)
      ac.abort()
      await Promise.all(calls)
      await vi.advanceTimersByTimeAsync(0)
      expect(vi.getTimerCount()).toBe(0)
    })
  }
})

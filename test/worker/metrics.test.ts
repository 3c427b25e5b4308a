// metrics(): run-time and wait-time histograms beside the counters.
import { describe, expect, test } from 'vitest'
import { DurationHistogram } from '../../src/worker/histogram.js'
import { makePool } from './helpers.js'

describe('DurationHistogram', () => {
  test('count, mean and max are exact; p50 and p99 within 5 %', () => {
    const h = new DurationHistogram()
    for (let ms = 1; ms <= 1000; ms++) h.record(ms)
    const s = h.summary()
    expect(s.count).toBe(1000)
    expect(s.mean).toBe(500.5)
    expect(s.max).toBe(1000)
    expect(Math.abs(s.p50 - 500) / 500).toBeLessThan(0.05)
    expect(Math.abs(s.p99 - 990) / 990).toBeLessThan(0.05)
  })

  test('empty → zeros; sub-microsecond and huge values stay in range', () => {
    expect(new DurationHistogram().summary()).toEqual({ count: 0, mean: 0, p50: 0, p99: 0, max: 0 })
    const h = new DurationHistogram()
    h.record(0)
    h.record(0.0001)
    h.record(2 ** 31)
    h.record(Number.NaN) // ignored
    const s = h.summary()
    expect(s.count).toBe(3)
    expect(s.max).toBe(2 ** 31)
    expect(s.p50).toBeLessThanOrEqual(0.001)
    expect(s.p99).toBeLessThanOrEqual(2 ** 31)
  })
})

describe('pool.metrics()', () => {
  test('runTime counts answered tasks and waitTime every started one, p50 ≤ p99 ≤ max', async () => {
    const pool = makePool({ maxThreads: 2 })
    const runs = [pool.run('spin', 5), pool.run('spin', 5), pool.run('double', 1), pool.run('boom', 'x')]
    await Promise.all(runs)
    const { runTime, waitTime, completed, failed } = pool.metrics()
    expect(runTime.count).toBe(completed + failed)
    expect(runTime.count).toBe(4)
    expect(waitTime.count).toBe(4)
    for (const h of [runTime, waitTime]) {
      expect(h.p50).toBeLessThanOrEqual(h.p99)
      expect(h.p99).toBeLessThanOrEqual(h.max)
      expect(h.mean).toBeGreaterThan(0)
    }
  })
})

import { ok } from 'neverthrow'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CancelledError, RateLimitedError, rateLimiter } from '../../src/index.js'

beforeEach(() => {
  vi.useFakeTimers({ now: 0 })
})
afterEach(() => {
  vi.useRealTimers()
})

const task = () => ok('sent')

describe('rateLimiter (token bucket)', () => {
  it('lets `tokens` calls through, then refuses with retryAfterMs until a token refills', async () => {
    const l = rateLimiter({ tokens: 2, intervalMs: 1000 })
    expect((await l.execute(task)).isOk()).toBe(true)
    expect((await l.execute(task)).isOk()).toBe(true)
    const e = (await l.execute(task))._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(RateLimitedError)
    expect((e as RateLimitedError).retryAfterMs).toBe(500) // 2 per 1000 ms: one every 500 ms
    await vi.advanceTimersByTimeAsync(499)
    expect((await l.execute(task)).isErr()).toBe(true)
    await vi.advanceTimersByTimeAsync(1)
    expect((await l.execute(task)).isOk()).toBe(true)
    expect((await l.execute(task)).isErr()).toBe(true)
  })

  it('refills continuously up to `tokens`, never beyond', async () => {
    const l = rateLimiter({ tokens: 3, intervalMs: 300 })
    for (let i = 0; i < 3; i++) await l.execute(task)
    expect(l.available()).toBe(0)
    await vi.advanceTimersByTimeAsync(150)
    expect(l.available()).toBeCloseTo(1.5)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(l.available()).toBe(3)
    for (let i = 0; i < 3; i++) expect((await l.execute(task)).isOk()).toBe(true)
    expect((await l.execute(task)).isErr()).toBe(true)
  })

  it('with maxWaitMs, waits for the next token in arrival order; beyond maxWaitMs it refuses at once', async () => {
    const l = rateLimiter({ tokens: 1, intervalMs: 100, maxWaitMs: 250 })
    const order: number[] = []
    const run = (i: number) =>
      l.execute(() => {
        order.push(i)
        return ok(i)
      })
    const ps = [run(0), run(1), run(2)]
    expect(order).toEqual([0]) // 1 and 2 wait for tokens at 100 and 200 ms
    const far = await run(3) // its token would come at 300 ms: longer than maxWaitMs
    expect((far._unsafeUnwrapErr() as RateLimitedError).retryAfterMs).toBe(300)
    await vi.advanceTimersByTimeAsync(100)
    expect(order).toEqual([0, 1])
    await vi.advanceTimersByTimeAsync(100)
    expect(order).toEqual([0, 1, 2])
    expect((await Promise.all(ps)).map((r) => r._unsafeUnwrap())).toEqual([0, 1, 2])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a waiting call whose signal aborts stops at once, clears its timer and gives its token back', async () => {
    const l = rateLimiter({ tokens: 1, intervalMs: 100, maxWaitMs: 1000 })
    await l.execute(task)
    const ac = new AbortController()
    let ran = false
    const p = l.execute(
      () => {
        ran = true
        return ok(1)
      },
      { signal: ac.signal },
    )
    expect(vi.getTimerCount()).toBe(1)
    ac.abort('no longer needed')
    expect((await p)._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(100)
    expect(ran).toBe(false)
    // The token it had reserved is free again: the next caller does not wait.
    expect((await l.execute(task)).isOk()).toBe(true)
  })

  it('uses no timer while no call waits', async () => {
    const l = rateLimiter({ tokens: 1, intervalMs: 1000 })
    await l.execute(task)
    await l.execute(task)
    expect(vi.getTimerCount()).toBe(0)
  })
})

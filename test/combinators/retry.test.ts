import { err, ok, type Result } from 'neverthrow'
import { describe, expect, it, vi } from 'vitest'
import {
  backoffDelay,
  CancelledError,
  InvalidOptionsError,
  retry,
  TimeoutError,
  UnexpectedError,
} from '../../src/index.js'
import { expectNoLeaks, later, timers } from '../helpers.js'

describe('retry', () => {
  it('makes at most `attempts` calls and returns the last error', async () => {
    const seen: number[] = []
    const r = await retry(
      ({ attempt }) => {
        seen.push(attempt)
        return err(`fail ${attempt}`)
      },
      { attempts: 3 },
    )
    expect(r._unsafeUnwrapErr()).toBe('fail 3')
    expect(seen).toEqual([1, 2, 3])
  })

  it('stops at the first success', async () => {
    let calls = 0
    const r = await retry(() => (++calls < 2 ? err('flaky') : ok(calls)), { attempts: 5 })
    expect([r._unsafeUnwrap(), calls]).toEqual([2, 2])
  })

  it('retryIf can refuse to retry an error', async () => {
    let calls = 0
    const r = await retry(
      () => {
        calls++
        return err({ code: 404 })
      },
      { attempts: 5, retryIf: (e) => !('code' in e && e.code === 404) },
    )
    expect(r._unsafeUnwrapErr()).toEqual({ code: 404 })
    expect(calls).toBe(1)
  })

  it('sleeps per backoff between attempts, never after the last one', async () => {
    vi.useFakeTimers()
    try {
      const calledAt: number[] = []
      const delays: number[] = []
      const t0 = Date.now()
      let result: Result<never, unknown> | undefined
      void retry(
        () => {
          calledAt.push(Date.now() - t0)
          return err('no')
        },
        { attempts: 3, backoff: { initialMs: 20, factor: 2 }, onRetry: ({ delayMs }) => delays.push(delayMs) },
      ).then((r) => {
        result = r
      })
      await vi.advanceTimersByTimeAsync(19)
      expect(calledAt).toEqual([0])
      await vi.advanceTimersByTimeAsync(1)
      expect(calledAt).toEqual([0, 20])
      await vi.advanceTimersByTimeAsync(40)
      expect(calledAt).toEqual([0, 20, 60])
      expect(delays).toEqual([20, 40])
      expect(result?._unsafeUnwrapErr()).toBe('no') // settled at once after the last call
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it('backoff delays are capped at what a timer can wait', async () => {
    expect(backoffDelay({ initialMs: 1, factor: 1e10, maxMs: Number.POSITIVE_INFINITY }, 3)).toBe(2_147_483_647)
    vi.useFakeTimers()
    try {
      const c = new AbortController()
      let calls = 0
      const pending = retry(
        () => {
          calls++
          return err('x')
        },
        { attempts: 3, backoff: { initialMs: 1, factor: 1e10, maxMs: Number.POSITIVE_INFINITY }, signal: c.signal },
      )
      await vi.advanceTimersByTimeAsync(60_000)
      expect(calls).toBe(2) // waiting out the (capped) second delay, not firing after 1 ms
      c.abort()
      expect((await pending)._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it('an attempt context keeps signal and attempt through a spread', async () => {
    let attemptCtx: Record<string, unknown> = {}
    await retry(
      (ctx) => {
        attemptCtx = { ...ctx }
        return ok(1)
      },
      { attempts: 1 },
    )
    expect(Object.keys(attemptCtx).sort()).toEqual(['attempt', 'signal'])
    expect(attemptCtx.signal).toBeInstanceOf(AbortSignal)
  })

  it('an abort during a backoff sleep returns CancelledError, not the last error, and clears the timer', async () => {
    const c = new AbortController()
    const before = timers()
    const pending = retry(() => err('no'), { attempts: 3, backoff: { initialMs: 10_000 }, signal: c.signal })
    await later(5, ok(null))
    c.abort('shutdown')
    const r = await pending
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect((r._unsafeUnwrapErr() as CancelledError).reason).toBe('shutdown')
    expect(timers()).toBe(before)
  })

  it('an abort during an attempt aborts it', async () => {
    const c = new AbortController()
    let aborted = false
    setTimeout(() => c.abort(), 5)
    const r = await retry(
      ({ signal }) => {
        signal.addEventListener('abort', () => {
          aborted = true
        })
        return later(5_000, ok(1), signal)
      },
      { attempts: 3, signal: c.signal },
    )
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect(aborted).toBe(true)
  })

  it('per-attempt timeouts are retried as TimeoutError', async () => {
    let calls = 0
    const r = await expectNoLeaks(() =>
      retry(({ signal }) => later(++calls === 1 ? 5_000 : 1, ok(calls), signal), { attempts: 2, timeoutMs: 10 }),
    )
    expect(r._unsafeUnwrap()).toBe(2)
    const all = await retry(({ signal }) => later(5_000, ok(1), signal), { attempts: 2, timeoutMs: 5 })
    expect(all._unsafeUnwrapErr()).toBeInstanceOf(TimeoutError)
  })

  it('a throwing task or retryIf gives UnexpectedError', async () => {
    const r = await retry(
      () => {
        throw new Error('kaput')
      },
      { attempts: 2 },
    )
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
    const r2 = await retry(() => err('x'), {
      attempts: 2,
      retryIf: () => {
        throw new Error('bad predicate')
      },
    })
    expect((r2._unsafeUnwrapErr() as UnexpectedError).cause).toEqual(new Error('bad predicate'))
  })

  it.each([
    [{ attempts: 0 }, 'attempts'],
    [{ attempts: 1.5 }, 'attempts'],
    [{ attempts: Number.NaN }, 'attempts'],
    [{ attempts: 2, backoff: { initialMs: -1 } }, 'backoff.initialMs'],
    [{ attempts: 2, backoff: { factor: 0.5 } }, 'backoff.factor'],
    [{ attempts: 2, backoff: { jitter: 2 } }, 'backoff.jitter'],
    [{ attempts: 2, timeoutMs: -5 }, 'timeoutMs'],
  ])('%o → InvalidOptionsError(%s)', async (opts, option) => {
    let calls = 0
    const r = await retry(() => {
      calls++
      return ok(1)
    }, opts)
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(InvalidOptionsError)
    expect(r._unsafeUnwrapErr()).toMatchObject({ option })
    expect(calls).toBe(0)
  })
})

describe('backoffDelay', () => {
  it('grows exponentially up to maxMs', () => {
    const b = { initialMs: 100, factor: 3, maxMs: 1_000 }
    expect([1, 2, 3, 4].map((n) => backoffDelay(b, n))).toEqual([100, 300, 900, 1_000])
  })
  it('full jitter draws from 0 to the delay; a fraction randomises that share', () => {
    expect(backoffDelay({ initialMs: 100, jitter: true }, 1, () => 0.25)).toBe(25)
    expect(backoffDelay({ initialMs: 100, jitter: 0.5 }, 1, () => 1)).toBe(50)
    expect(backoffDelay({ initialMs: 100, jitter: 0.5 }, 1, () => 0)).toBe(100)
  })
  it('no backoff means no delay', () => {
    expect(backoffDelay(undefined, 3)).toBe(0)
  })
})

describe('backoffDelay with bad input', () => {
  it('throws a named error instead of returning NaN', () => {
    expect(() => backoffDelay({ initialMs: Number.NaN }, 1)).toThrow(/backoff.initialMs/)
    expect(() => backoffDelay({ factor: 0 }, 1)).toThrow(/backoff.factor/)
    expect(() => backoffDelay(5 as never, 1)).toThrow(/backoff/)
    expect(() => backoffDelay({}, 0)).toThrow(RangeError)
    expect(() => backoffDelay({}, 1, 5 as never)).toThrow(TypeError)
  })
})

describe('retry options read safely', () => {
  it('a throwing getter in the options is InvalidOptionsError naming it', async () => {
    const opts = Object.defineProperty({ attempts: 2 }, 'backoff', {
      enumerable: true,
      get() {
        throw new Error('getter')
      },
    })
    expect((await retry(() => ok(1), opts as never))._unsafeUnwrapErr()).toMatchObject({ option: 'backoff' })
  })
})

import { err, ok, type Result } from 'neverthrow'
import { describe, expect, it, vi } from 'vitest'
import { AllFailedError, CancelledError, hedge, InvalidOptionsError } from '../../src/index.js'
import { expectNoLeaks, later } from '../helpers.js'

describe('hedge', () => {
  it('does not start a second attempt when the first answers before afterMs', async () => {
    const starts: number[] = []
    const r = await expectNoLeaks(() =>
      hedge(
        ({ attempt }) => {
          starts.push(attempt)
          return later(5, ok(attempt))
        },
        { afterMs: 200 },
      ),
    )
    expect(r._unsafeUnwrap()).toBe(1)
    expect(starts).toEqual([1])
  })

  it('starts the second attempt only after afterMs, and the first ok wins while the other is aborted', async () => {
    vi.useFakeTimers()
    try {
      const startedAt: number[] = []
      const aborted: number[] = []
      const t0 = Date.now()
      let result: Result<number, unknown> | undefined
      void hedge(
        ({ attempt, signal }) => {
          startedAt.push(Date.now() - t0)
          signal.addEventListener('abort', () => aborted.push(attempt))
          return later(attempt === 1 ? 5_000 : 5, ok(attempt), signal)
        },
        { afterMs: 30 },
      ).then((r) => {
        result = r
      })
      await vi.advanceTimersByTimeAsync(29)
      expect(startedAt).toEqual([0])
      await vi.advanceTimersByTimeAsync(1)
      expect(startedAt).toEqual([0, 30])
      await vi.advanceTimersByTimeAsync(5)
      expect(result?._unsafeUnwrap()).toBe(2)
      expect(aborted).toEqual([1])
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it('returns AllFailedError with each attempt error in attempt order', async () => {
    const r = await hedge(({ attempt }) => later(attempt === 1 ? 40 : 1, err(`e${attempt}`)), { afterMs: 10, max: 3 })
    const e = r._unsafeUnwrapErr() as AllFailedError<string>
    expect(e).toBeInstanceOf(AllFailedError)
    expect(e.errors).toEqual(['e1', 'e2', 'e3'])
  })

  it('an early failure brings the next attempt forward', async () => {
    vi.useFakeTimers()
    try {
      const starts: number[] = []
      const t0 = Date.now()
      let result: Result<string, unknown> | undefined
      void hedge(
        ({ attempt }) => {
          starts.push(Date.now() - t0)
          return attempt === 1 ? later(10, err('fast fail')) : ok('second')
        },
        { afterMs: 5_000 },
      ).then((r) => {
        result = r
      })
      await vi.advanceTimersByTimeAsync(10)
      expect(result?._unsafeUnwrap()).toBe('second')
      expect(starts).toEqual([0, 10]) // the second attempt at the failure, not at afterMs
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it('with many attempts that fail synchronously it resolves (no stack overflow, no rejection)', async () => {
    const r = await hedge(() => err('x'), { afterMs: 10, max: 5_000 })
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(AllFailedError)
    expect((r._unsafeUnwrapErr() as AllFailedError<string>).errors).toHaveLength(5_000)
  })

  it('afterMs: Infinity never hedges on time', async () => {
    vi.useFakeTimers()
    try {
      let calls = 0
      let result: Result<number, unknown> | undefined
      void hedge(
        () => {
          calls++
          return later(60_000, ok(calls))
        },
        { afterMs: Number.POSITIVE_INFINITY, max: 3 },
      ).then((r) => {
        result = r
      })
      await vi.advanceTimersByTimeAsync(60_000)
      expect([result?._unsafeUnwrap(), calls]).toEqual([1, 1])
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it('a signal cancels every attempt', async () => {
    const c = new AbortController()
    setTimeout(() => c.abort(), 5)
    const r = await expectNoLeaks(() =>
      hedge(({ signal }) => later(5_000, ok(1), signal), { afterMs: 1, max: 3, signal: c.signal }),
    )
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
  })

  it('rejects bad options', async () => {
    expect((await hedge(() => ok(1), { afterMs: -1 }))._unsafeUnwrapErr()).toMatchObject({ option: 'afterMs' })
    expect((await hedge(() => ok(1), { afterMs: 1, max: 0 }))._unsafeUnwrapErr()).toBeInstanceOf(InvalidOptionsError)
  })
})

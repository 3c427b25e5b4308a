import { err, ok, okAsync, type Result } from 'neverthrow'
import { describe, expect, it, vi } from 'vitest'
import { CancelledError, InvalidOptionsError, TimeoutError, withTimeout } from '../../src/index.js'
import { expectNoLeaks, later, probe } from '../helpers.js'

describe('withTimeout', () => {
  it('passes the result through and clears its timer', async () => {
    const r = await expectNoLeaks(() => withTimeout(() => later(1, ok('fast')), 1_000))
    expect(r._unsafeUnwrap()).toBe('fast')
    const e = await expectNoLeaks(() =>
      withTimeout(
        okAsync(1).andThen(() => err('typed' as const)),
        1_000,
      ),
    )
    expect(e._unsafeUnwrapErr()).toBe('typed')
  })

  it('times out with TimeoutError and aborts the task', async () => {
    vi.useFakeTimers()
    try {
      const slow = probe(5_000, ok('slow'))
      let result: Result<string, unknown> | undefined
      void withTimeout(slow, 10, { label: 'fetch user' }).then((r) => {
        result = r
      })
      await vi.advanceTimersByTimeAsync(9)
      expect(result).toBeUndefined()
      await vi.advanceTimersByTimeAsync(1)
      const e = result?._unsafeUnwrapErr() as TimeoutError
      expect(e).toBeInstanceOf(TimeoutError)
      expect([e.ms, e.label, e.name, e._tag]).toEqual([10, 'fetch user', 'TimeoutError', 'TimeoutError'])
      expect(e.message).toBe('fetch user timed out after 10 ms')
      expect(slow.state.reason).toBe(e)
      expect(vi.getTimerCount()).toBe(0) // the task's own 5 s timer was cleared by its abort
    } finally {
      vi.useRealTimers()
    }
  })

  it('Infinity means no timer', async () => {
    expect((await withTimeout(() => later(1, ok(1)), Number.POSITIVE_INFINITY))._unsafeUnwrap()).toBe(1)
  })

  it('a signal cancels it', async () => {
    const c = new AbortController()
    setTimeout(() => c.abort('bye'), 2)
    const r = await expectNoLeaks(() => withTimeout(probe(5_000, ok(1)), 1_000, { signal: c.signal }))
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
  })

  it.each([-1, Number.NaN, 2 ** 31, '10'])('ms %s → InvalidOptionsError', async (ms) => {
    const t = probe(1, ok(1))
    const e = (await withTimeout(t, ms as number))._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(InvalidOptionsError)
    expect(e).toMatchObject({ option: 'ms' })
    expect(t.state.started).toBe(0)
  })

  it('a label that is not a string (a Symbol, a null-prototype object) is InvalidOptionsError, not a throw in the timer', async () => {
    for (const label of [Symbol('l'), Object.create(null), 42]) {
      const t = probe(1, ok(1))
      const e = (await withTimeout(t, 10, { label } as never))._unsafeUnwrapErr()
      expect(e).toMatchObject({ _tag: 'InvalidOptionsError', option: 'label' })
      expect(t.state.started).toBe(0)
    }
  })
})

import { err, ok, okAsync } from 'neverthrow'
import { describe, expect, it, vi } from 'vitest'
import { AllFailedError, anyAsync, CancelledError, InvalidOptionsError, TimeoutError } from '../../src/index.js'
import { expectNoLeaks, later, probe } from '../helpers.js'

describe('anyAsync', () => {
  it('returns the first success and aborts the losers', async () => {
    const slow = probe(5_000, ok('slow'))
    const failing = probe(1, err('down'))
    const r = await expectNoLeaks(() => anyAsync([failing, slow, () => later(10, ok('fast'))]))
    expect(r._unsafeUnwrap()).toBe('fast')
    expect(slow.state.aborted).toBe(true)
    expect(failing.state.aborted).toBe(false) // it had already settled
  })

  it('collects all errors in input order when every input fails', async () => {
    const r = await anyAsync([() => later(20, err('a')), () => later(1, err('b')), err('c')])
    const e = r._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(AllFailedError)
    expect((e as AllFailedError<string>).errors).toEqual(['a', 'b', 'c'])
  })

  it('returns AllFailedError([]) for no inputs instead of hanging', async () => {
    const e = (await anyAsync([]))._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(AllFailedError)
    expect((e as AllFailedError<never>).errors).toEqual([])
  })

  it('tries inputs one after another with concurrency 1 (fallback chain)', async () => {
    const third = probe(1, ok('third'))
    const r = await anyAsync([() => later(1, err('x')), () => later(1, ok('second')), third], { concurrency: 1 })
    expect(r._unsafeUnwrap()).toBe('second')
    expect(third.state.started).toBe(0)
  })

  it('works on records', async () => {
    const r = await anyAsync({ primary: () => later(10, err('down')), mirror: () => later(1, ok('mirror')) })
    expect(r._unsafeUnwrap()).toBe('mirror')
  })

  it('honours an already-aborted signal and bad options', async () => {
    expect((await anyAsync([ok(1)], { signal: AbortSignal.abort() }))._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect((await anyAsync([ok(1)], { concurrency: 0 }))._unsafeUnwrapErr()).toBeInstanceOf(InvalidOptionsError)
  })
})

describe('anyAsync settle order', () => {
  it('a plain Result does not overtake an already-settled promise given before it', async () => {
    const r = await anyAsync([err('x'), okAsync(42), ok(100)])
    expect(r._unsafeUnwrap()).toBe(42)
    const lazy = await anyAsync([() => err('x'), () => okAsync(42), () => ok(100)])
    expect(lazy._unsafeUnwrap()).toBe(42)
  })
})

describe('anyAsync timeoutMs', () => {
  it('times out each input on its own; a slow one becomes TimeoutError and is aborted', async () => {
    vi.useFakeTimers()
    try {
      const slow = probe(5_000, ok('slow'))
      let out: unknown
      void anyAsync([slow, () => later(50, err('late'))], { timeoutMs: 100 }).then((r) => {
        out = r
      })
      await vi.advanceTimersByTimeAsync(100)
      const e = (out as { error: AllFailedError<unknown> }).error
      expect(e).toBeInstanceOf(AllFailedError)
      expect(e.errors[0]).toBeInstanceOf(TimeoutError)
      expect(e.errors[1]).toBe('late')
      expect(slow.state.reason).toBeInstanceOf(TimeoutError)
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })
})

import { err, ok } from 'neverthrow'
import { describe, expect, it, vi } from 'vitest'
import { allSettledAsync, CancelledError, InvalidOptionsError, TimeoutError, UnexpectedError } from '../../src/index.js'
import { expectNoLeaks, later, probe } from '../helpers.js'

describe('allSettledAsync', () => {
  it('returns every value in input order when all succeed', async () => {
    const r = await allSettledAsync([() => later(10, ok('a')), ok('b'), () => later(1, ok('c'))])
    expect(r._unsafeUnwrap()).toEqual(['a', 'b', 'c'])
  })

  it('waits for all inputs and reports every error in input order, not completion order', async () => {
    const slowOk = probe(20, ok('slow'))
    const r = await expectNoLeaks(() =>
      allSettledAsync([() => later(15, err('first')), slowOk, () => later(1, err('third')), ok('fine')]),
    )
    expect(r._unsafeUnwrapErr()).toEqual([
      { index: 0, error: 'first' },
      { index: 2, error: 'third' },
    ])
    expect(slowOk.state.aborted).toBe(false)
  })

  it('adds the key of each failure for a record input', async () => {
    const r = await allSettledAsync({ a: ok(1), b: err('bad b'), c: () => Promise.reject(new Error('c threw')) })
    const errors = r._unsafeUnwrapErr() as { index: number; key: string; error: unknown }[]
    expect(errors.map(({ index, key }) => [index, key])).toEqual([
      [1, 'b'],
      [2, 'c'],
    ])
    expect(errors[1]?.error).toBeInstanceOf(UnexpectedError)
  })

  it('handles empty inputs', async () => {
    expect((await allSettledAsync([]))._unsafeUnwrap()).toEqual([])
  })

  it('bounds concurrency and stops on abort', async () => {
    const c = new AbortController()
    const tasks = [probe(5_000, ok(1)), probe(5_000, ok(2)), probe(5_000, ok(3))]
    setTimeout(() => c.abort(), 5)
    const r = await allSettledAsync(tasks, { concurrency: 2, signal: c.signal })
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect(tasks.map((t) => [t.state.started, t.state.aborted])).toEqual([
      [1, true],
      [1, true],
      [0, false],
    ])
  })

  it('rejects bad concurrency', async () => {
    expect((await allSettledAsync([ok(1)], { concurrency: -1 }))._unsafeUnwrapErr()).toBeInstanceOf(InvalidOptionsError)
  })
})

describe('allSettledAsync timeoutMs', () => {
  it('reports a timed-out input as a TimeoutError failure and keeps waiting for the others', async () => {
    vi.useFakeTimers()
    try {
      let out: unknown
      void allSettledAsync([({ signal }) => later(5_000, ok(1), signal), () => later(50, ok(2))], {
        timeoutMs: 100,
      }).then((r) => {
        out = r
      })
      await vi.advanceTimersByTimeAsync(100)
      const failures = (out as { error: { index: number; error: unknown }[] }).error
      expect(failures.map((f) => f.index)).toEqual([0])
      expect(failures[0]?.error).toBeInstanceOf(TimeoutError)
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })
})

import { ok, type Result } from 'neverthrow'
import { describe, expect, it } from 'vitest'
import { BulkheadRejectedError, bulkhead, CancelledError } from '../../src/index.js'

function deferred<T>() {
  let resolve!: (r: Result<T, never>) => void
  const promise = new Promise<Result<T, never>>((r) => {
    resolve = r
  })
  let started = 0
  return {
    task: () => {
      started++
      return promise
    },
    get started() {
      return started
    },
    resolve: (v: T) => resolve(ok(v)),
  }
}

describe('bulkhead', () => {
  it('runs at most `concurrency` calls at once; the rest wait in order, then run', async () => {
    const b = bulkhead({ concurrency: 2, queue: 2 })
    const ds = [deferred<number>(), deferred<number>(), deferred<number>(), deferred<number>()]
    const ps = ds.map((d) => b.execute(d.task))
    expect(ds.map((d) => d.started)).toEqual([1, 1, 0, 0])
    expect(b.metrics()).toEqual({ active: 2, queued: 2, rejected: 0 })
    ds[1]?.resolve(1)
    await ps[1]
    expect(ds.map((d) => d.started)).toEqual([1, 1, 1, 0]) // first in line goes first
    ds[0]?.resolve(0)
    await ps[0]
    expect(ds[3]?.started).toBe(1)
    ds[2]?.resolve(2)
    ds[3]?.resolve(3)
    expect((await Promise.all(ps)).map((r) => r._unsafeUnwrap())).toEqual([0, 1, 2, 3])
    expect(b.metrics()).toEqual({ active: 0, queued: 0, rejected: 0 })
  })

  it('a full queue → BulkheadRejectedError at once, the task never started', async () => {
    const b = bulkhead({ concurrency: 1, queue: 1 })
    const d = deferred<number>()
    const p1 = b.execute(d.task)
    const p2 = b.execute(d.task)
    let started = false
    const r3 = await b.execute(() => {
      started = true
      return ok(3)
    })
    const e = r3._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(BulkheadRejectedError)
    expect(e).toMatchObject({ concurrency: 1, queue: 1 })
    expect(started).toBe(false)
    expect(b.metrics().rejected).toBe(1)
    d.resolve(1)
    await Promise.all([p1, p2])
  })

  it('queue: 0 (the default) refuses any call without a free slot', async () => {
    const b = bulkhead({ concurrency: 1 })
    const d = deferred<number>()
    const p = b.execute(d.task)
    expect((await b.execute(() => ok(2)))._unsafeUnwrapErr()).toBeInstanceOf(BulkheadRejectedError)
    d.resolve(1)
    await p
  })

  it('a queued call whose signal aborts leaves the queue at once and frees its place', async () => {
    const b = bulkhead({ concurrency: 1, queue: 1 })
    const d = deferred<number>()
    const p1 = b.execute(d.task)
    const ac = new AbortController()
    let ran = false
    const p2 = b.execute(
      () => {
        ran = true
        return ok(2)
      },
      { signal: ac.signal },
    )
    expect(b.metrics().queued).toBe(1)
    ac.abort('gave up')
    const e = (await p2)._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(CancelledError)
    expect((e as CancelledError).reason).toBe('gave up')
    expect(b.metrics().queued).toBe(0)
    // Its place is free for the next caller.
    const p3 = b.execute(() => ok(3))
    expect(b.metrics().queued).toBe(1)
    d.resolve(1)
    expect((await p3)._unsafeUnwrap()).toBe(3)
    expect(ran).toBe(false)
    await p1
  })

  it('an abort of a running call answers at once, but its slot is held until the task ends', async () => {
    const b = bulkhead({ concurrency: 1, queue: 1 })
    const stubborn = deferred<string>() // ignores its signal
    let sawAbort = false
    const ac = new AbortController()
    const p1 = b.execute(
      (ctx) => {
        ctx.signal.addEventListener('abort', () => {
          sawAbort = true
        })
        return stubborn.task()
      },
      { signal: ac.signal },
    )
    const next = deferred<string>()
    const p2 = b.execute(next.task)
    ac.abort()
    expect((await p1)._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect(sawAbort).toBe(true)
    expect(next.started).toBe(0)
    expect(b.metrics()).toMatchObject({ active: 1, queued: 1 })
    stubborn.resolve('finally')
    await new Promise((r) => setImmediate(r))
    expect(next.started).toBe(1)
    next.resolve('next')
    expect((await p2)._unsafeUnwrap()).toBe('next')
  })

  it('synchronous tasks drain a long queue without growing the stack', async () => {
    const b = bulkhead({ concurrency: 1, queue: 10_000 })
    const d = deferred<number>()
    const first = b.execute(d.task)
    const rest = Array.from({ length: 10_000 }, (_, i) => b.execute(() => ok(i)))
    d.resolve(-1)
    await first
    const rs = await Promise.all(rest)
    expect(rs.every((r, i) => r._unsafeUnwrap() === i)).toBe(true)
  })
})

import { err, ok, okAsync } from 'neverthrow'
import { describe, expect, it } from 'vitest'
import { asCompleted, CancelledError, InvalidOptionsError } from '../../src/index.js'
import { expectNoLeaks, later, probe, tick } from '../helpers.js'

describe('asCompleted', () => {
  it('yields every input once, in completion order', async () => {
    const seen: [number, unknown][] = []
    for await (const { index, result } of asCompleted([
      () => later(30, ok('slow')),
      () => later(1, err('fast err')),
      ok('sync'),
    ])) {
      seen.push([index, result.isOk() ? result.value : result.error])
    }
    expect(seen).toEqual([
      [2, 'sync'],
      [1, 'fast err'],
      [0, 'slow'],
    ])
  })

  it('carries keys for a record', async () => {
    const keys: string[] = []
    for await (const item of asCompleted({ a: () => later(10, ok(1)), b: ok(2) })) keys.push(item.key)
    expect(keys).toEqual(['b', 'a'])
  })

  it('breaking out aborts the tasks still running', async () => {
    const slow = probe(5_000, ok('slow'))
    await expectNoLeaks(async () => {
      for await (const item of asCompleted([slow, () => later(1, ok('fast'))])) {
        expect(item.index).toBe(1)
        break
      }
    })
    expect(slow.state.aborted).toBe(true)
  })

  it('respects concurrency', async () => {
    let running = 0
    let peak = 0
    const task = async () => {
      running++
      peak = Math.max(peak, running)
      await later(2, ok(null))
      running--
      return ok(1)
    }
    let count = 0
    for await (const _ of asCompleted(
      Array.from({ length: 10 }, () => task),
      { concurrency: 2 },
    ))
      count++
    expect([count, peak]).toEqual([10, 2])
  })

  it('yields pending inputs as CancelledError when the signal aborts', async () => {
    const c = new AbortController()
    const results: [number, string][] = []
    setTimeout(() => c.abort(), 10)
    for await (const { index, result } of asCompleted([() => later(1, ok('x')), probe(5_000, ok('y'))], {
      signal: c.signal,
    })) {
      results.push([index, result.isOk() ? 'ok' : (result.error as Error).name])
    }
    expect(results).toEqual([
      [0, 'ok'],
      [1, 'CancelledError'],
    ])
    expect(CancelledError.name).toBe('CancelledError')
  })

  it('invalid options yield each input as InvalidOptionsError without starting any', async () => {
    const t = probe(1, ok(1))
    const out = []
    for await (const item of asCompleted([t, t], { concurrency: 0 })) out.push(item)
    expect(out.map((o) => o.result._unsafeUnwrapErr())).toEqual([
      expect.any(InvalidOptionsError),
      expect.any(InvalidOptionsError),
    ])
    expect(t.state.started).toBe(0)
  })

  it('yields nothing for no inputs', async () => {
    const out = []
    for await (const item of asCompleted([])) out.push(item)
    expect(out).toEqual([])
  })
})

describe('asCompleted as an async iterator (the shared channel)', () => {
  it('next() calls made without awaiting each get one input, in completion order', async () => {
    const it = asCompleted([later(20, ok('slow')), later(5, ok('fast'))])
    const [a, b, c] = await Promise.all([it.next(), it.next(), it.next()])
    expect(a.value?.index).toBe(1)
    expect(b.value?.index).toBe(0)
    expect(c.done).toBe(true)
  })

  it('return() while a next() waits settles that next() as done and aborts the rest', async () => {
    const slow = probe(1000, ok(1))
    const it = asCompleted([slow])
    const pending = it.next()
    await tick()
    expect(slow.state.started).toBe(1)
    await it.return()
    expect((await pending).done).toBe(true)
    expect(slow.state.aborted).toBe(true)
    expect((await it.next()).done).toBe(true)
  })

  it('nothing starts before the first next(), and a break after it stops what runs', async () => {
    const task = probe(1000, ok(1))
    const stream = asCompleted([() => okAsync(0), task])
    await tick()
    expect(task.state.started).toBe(0)
    for await (const r of stream) {
      expect(r.index).toBe(0)
      break
    }
    expect(task.state.started).toBe(1)
    expect(task.state.aborted).toBe(true)
  })
})

describe('asCompleted with a record and bad options', () => {
  it('yields each key once as InvalidOptionsError, and nothing for an empty input', async () => {
    const out: [number, string, string][] = []
    for await (const x of asCompleted({ a: ok(1), b: ok(2) }, { concurrency: 0 })) {
      out.push([x.index, x.key, (x.result._unsafeUnwrapErr() as InvalidOptionsError).option])
    }
    expect(out).toEqual([
      [0, 'a', 'concurrency'],
      [1, 'b', 'concurrency'],
    ])
    const empty = []
    for await (const x of asCompleted([], { concurrency: 0 })) empty.push(x)
    expect(empty).toEqual([])
  })
})

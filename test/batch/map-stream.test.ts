import { ok } from 'neverthrow'
import { describe, expect, it } from 'vitest'
import {
  CancelledError,
  err,
  InvalidOptionsError,
  mapStream,
  type Result,
  TimeoutError,
  UnexpectedError,
} from '../../src/index.js'
import {
  collect,
  countingSource,
  delay,
  flush,
  inFlight,
  noUnhandledRejections,
  onFakeClock,
  range,
  throwingThen,
  values,
} from '../helpers.js'

noUnhandledRejections() // fails the test during which something rejected unhandled

describe('mapStream', () => {
  it('yields in input order by default, whatever the completion order', async () => {
    const rs = await collect(
      mapStream(
        range(12),
        async (x) => {
          await delay((12 - x) % 5)
          return ok(x * 2)
        },
        { concurrency: 4 },
      ),
    )
    expect(values(rs)).toEqual(range(12).map((x) => x * 2))
  })

  it('ordered: false yields in completion order', async () => {
    const rs = await collect(
      mapStream(
        [30, 1, 15],
        async (ms) => {
          await delay(ms)
          return ok(ms)
        },
        { concurrency: 3, ordered: false },
      ),
    )
    expect(values(rs)).toEqual([1, 15, 30])
  })

  it('really processes an async generator and never exceeds concurrency', async () => {
    const t = inFlight()
    const { items, stats } = countingSource(range(200))
    const rs = await collect(
      mapStream(
        items,
        async (x) => {
          t.enter()
          await delay(x % 3)
          t.leave()
          return ok(x)
        },
        { concurrency: 5 },
      ),
    )
    expect(values(rs)).toEqual(range(200))
    expect(stats.pulled).toBe(200)
    expect(t.s.max).toBe(5)
  })

  it('backpressure: the source is never more than `concurrency` items ahead of the consumer', async () => {
    let consumed = 0
    let maxAhead = 0
    async function* source() {
      for (let i = 0; i < 30; i++) {
        await Promise.resolve()
        maxAhead = Math.max(maxAhead, i + 1 - consumed)
        yield i
      }
    }
    for await (const r of mapStream(source(), async (x) => ok(x), { concurrency: 4 })) {
      expect(r.isOk()).toBe(true)
      consumed++
      await delay(1) // a slow consumer
    }
    expect(consumed).toBe(30)
    // 4 ahead of what was handed over, +1: the result the loop body holds (its slot went back at
    // hand-over, so work overlaps with the consumer).
    expect(maxAhead).toBeLessThanOrEqual(4 + 1)
  })

  it('yields an item error and goes on', async () => {
    const rs = await collect(mapStream(range(4), (x) => (x === 1 ? err(`bad ${x}`) : ok(x)), { concurrency: 2 }))
    expect(values(rs)).toEqual([0, { err: 'bad 1' }, 2, 3])
  })

  it('a throw in fn is yielded as UnexpectedError', async () => {
    const rs = await collect(
      mapStream(
        [1],
        () => {
          throw new Error('boom')
        },
        { concurrency: 1 },
      ),
    )
    expect(rs[0]?._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
  })

  it('breaking out of the loop aborts running items and closes the source', async () => {
    const { items, stats } = countingSource(range(100))
    const aborted: number[] = []
    const started: number[] = []
    for await (const r of mapStream(
      items,
      async (x, _i, { signal }) => {
        started.push(x)
        await delay(x === 0 ? 1 : 50, signal)
        if (signal.aborted) aborted.push(x)
        return ok(x)
      },
      { concurrency: 4 },
    )) {
      expect(r._unsafeUnwrap()).toBe(0)
      break
    }
    await flush()
    expect(stats.returned).toBe(true)
    expect(stats.pulled).toBeLessThanOrEqual(5)
    // Every item that started, but the one handed over, was aborted (a pull that arrived after
    // the break starts nothing).
    expect(aborted.sort((a, b) => a - b)).toEqual(started.slice(1))
    expect(started.length).toBeGreaterThanOrEqual(4)
  })

  it('an aborted signal yields one err(CancelledError) and ends', async () => {
    const controller = new AbortController()
    const { items, stats } = countingSource(range(100))
    const rs: Result<number, unknown>[] = []
    for await (const r of mapStream(
      items,
      async (x, _i, { signal }) => {
        await delay(x < 2 ? 1 : 1000, signal)
        return ok(x)
      },
      { concurrency: 3, signal: controller.signal },
    )) {
      rs.push(r)
      if (rs.length === 2) controller.abort('enough')
    }
    expect(values(rs.slice(0, 2))).toEqual([0, 1])
    expect(rs).toHaveLength(3)
    expect(rs[2]?._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    await flush()
    expect(stats.returned).toBe(true)
    const pre = await collect(mapStream([1], (x) => ok(x), { concurrency: 1, signal: AbortSignal.abort() }))
    expect(pre).toHaveLength(1)
    expect(pre[0]?._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
  })

  it('a throwing source: items already started are yielded, then err(UnexpectedError)', async () => {
    const { items } = countingSource(range(10), { throwAt: 3 })
    const rs = await collect(mapStream(items, async (x) => ok(x), { concurrency: 2 }))
    expect(values(rs.slice(0, 3))).toEqual([0, 1, 2])
    expect(rs).toHaveLength(4)
    expect(rs[3]?._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
  })

  it('per-item timeout and retry', async () => {
    let calls = 0
    const rs = await onFakeClock(1000, () =>
      collect(
        mapStream(
          range(3),
          async (x, _i, { signal, attempt }) => {
            if (x === 1) {
              await delay(1000, signal)
              return ok(-1)
            }
            if (x === 2) {
              calls++
              if (attempt < 2) return err('flaky')
            }
            return ok(x)
          },
          { concurrency: 3, timeoutMs: 20, retry: { attempts: 2 } },
        ),
      ),
    )
    expect(rs[0]?._unsafeUnwrap()).toBe(0)
    expect(rs[1]?._unsafeUnwrapErr()).toBeInstanceOf(TimeoutError)
    expect(rs[2]?._unsafeUnwrap()).toBe(2)
    expect(calls).toBe(2)
  })

  it('empty inputs yield nothing', async () => {
    async function* none() {}
    expect(await collect(mapStream([], (x) => ok(x), { concurrency: 2 }))).toEqual([])
    expect(await collect(mapStream(none(), (x) => ok(x), { concurrency: 2 }))).toEqual([])
  })

  it('invalid options yield one err(InvalidOptionsError) naming the option, without reading the source', async () => {
    const { items, stats } = countingSource(range(3))
    for (const [opts, option] of [
      [{ concurrency: 0 }, 'concurrency'],
      [{ concurrency: 2, ordered: 'yes' }, 'ordered'],
      [{ concurrency: 2, timeoutMs: -1 }, 'timeoutMs'],
      [{ concurrency: 2, retry: { attempts: -1 } }, 'retry.attempts'],
    ] as const) {
      const rs = await collect(mapStream(items, (x) => ok(x), opts as unknown as { concurrency: number }))
      expect(rs).toHaveLength(1)
      const e = rs[0]?._unsafeUnwrapErr()
      expect(e).toBeInstanceOf(InvalidOptionsError)
      expect((e as InvalidOptionsError).option).toBe(option)
    }
    expect(stats.pulled).toBe(0)
  })

  it('nothing starts before the first next()', async () => {
    let calls = 0
    const stream = mapStream(range(3), (x) => ok(calls++ + x), { concurrency: 3 })
    await flush()
    expect(calls).toBe(0)
    await collect(stream)
    expect(calls).toBe(3)
  })
})

describe('mapStream: hand-over, index, bad input (0.2)', () => {
  it('frees a slot on hand-over: with concurrency 1 the next item runs while the consumer works', async () => {
    const log: string[] = []
    const release: (() => void)[] = []
    const stream = mapStream(
      range(3),
      (x) => {
        log.push(`start ${x}`)
        return ok(x)
      },
      { concurrency: 1 },
    )
    for await (const r of stream) {
      log.push(`consume ${r._unsafeUnwrap()}`)
      // The consumer is busy until its own promise settles: the next item must start meanwhile.
      await new Promise<void>((resolve) => {
        release.push(resolve)
        setImmediate(resolve)
      })
      log.push(`done ${r._unsafeUnwrap()}`)
    }
    expect(log.indexOf('start 1')).toBeLessThan(log.indexOf('done 0'))
    expect(log.indexOf('start 2')).toBeLessThan(log.indexOf('done 1'))
    expect(log.filter((l) => l.startsWith('start'))).toEqual(['start 0', 'start 1', 'start 2'])
  })

  it('still never runs more than `concurrency` items that were not handed over', async () => {
    const t = inFlight()
    let handedButRunning = 0
    for await (const r of mapStream(
      range(20),
      async (x) => {
        t.enter()
        await delay(x % 3)
        t.leave()
        return ok(x)
      },
      { concurrency: 3 },
    )) {
      handedButRunning = Math.max(handedButRunning, t.s.now)
      await delay(1)
      expect(r.isOk()).toBe(true)
    }
    expect(t.s.max).toBeLessThanOrEqual(3)
    expect(handedButRunning).toBeLessThanOrEqual(3)
  })

  it('withIndex: true yields { index, result } in order, and in completion order unordered', async () => {
    const ordered = await collectAll(
      mapStream(range(5), async (x) => (x === 2 ? err(`bad ${x}`) : ok(x * 10)), { concurrency: 3, withIndex: true }),
    )
    expect(ordered.map((o) => o.index)).toEqual([0, 1, 2, 3, 4])
    expect(ordered.map((o) => (o.result.isOk() ? o.result.value : o.result.error))).toEqual([0, 10, 'bad 2', 30, 40])
    const unordered = await collectAll(
      mapStream(
        range(4),
        async (x) => {
          await delay(x === 0 ? 20 : 1)
          return ok(x)
        },
        { concurrency: 4, ordered: false, withIndex: true },
      ),
    )
    expect(unordered[unordered.length - 1]).toMatchObject({ index: 0 })
    for (const o of unordered) expect(o.result._unsafeUnwrap()).toBe(o.index)
  })

  it("withIndex: the stream's own errors come at index -1", async () => {
    const bad = await collectAll(mapStream(range(2), (x) => ok(x), { concurrency: 0, withIndex: true }))
    expect(bad).toHaveLength(1)
    expect(bad[0]?.index).toBe(-1)
    expect(bad[0]?.result._unsafeUnwrapErr()).toBeInstanceOf(InvalidOptionsError)
  })

  it('mapStream(items, fn) with no options object yields err(InvalidOptionsError) naming concurrency, no throw', async () => {
    const call = mapStream as unknown as (items: unknown, fn: unknown) => AsyncIterable<Result<unknown, unknown>>
    const rs = await collect(call(range(2), (x: number) => ok(x)))
    expect(rs).toHaveLength(1)
    expect(rs[0]?._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'concurrency' })
  })

  it('an item whose returned object has a throwing then getter yields err(UnexpectedError), no hang', async () => {
    const hostile = () => throwingThen()
    async function* source() {
      yield 1
      yield 2
    }
    for (const opts of [
      { concurrency: 2 },
      { concurrency: 2, timeoutMs: 1000 },
      { concurrency: 2, retry: { attempts: 2 } },
    ]) {
      const rs = await collect(mapStream(source(), () => hostile() as never, opts))
      expect(rs).toHaveLength(2)
      for (const r of rs) expect(r._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
    }
  })

  it('refuses sizes past the bound (2 ** 31, 1e21) and options behind throwing getters, by name', async () => {
    for (const concurrency of [2 ** 31, 1e21]) {
      const [r] = await collect(mapStream(range(2), (x) => ok(x), { concurrency }))
      expect(r?._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'concurrency' })
    }
    const getter = Object.defineProperty({ concurrency: 1 }, 'ordered', {
      enumerable: true,
      get() {
        throw new Error('no')
      },
    })
    const [r] = await collect(mapStream(range(2), (x) => ok(x), getter))
    expect(r?._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'ordered' })
  })
})

async function collectAll<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const v of stream) out.push(v)
  return out
}

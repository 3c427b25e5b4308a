import { errAsync, ok, okAsync } from 'neverthrow'
import { describe, expect, it } from 'vitest'
import {
  type BatchCheckpoint,
  type BatchProgress,
  CancelledError,
  err,
  InvalidOptionsError,
  ItemFailedError,
  processInBatches,
  type Result,
  TimeoutError,
  UnexpectedError,
} from '../../src/index.js'
import {
  countingSource,
  deferred,
  delay,
  fields,
  flush,
  inFlight,
  noUnhandledRejections,
  onFakeClock,
  range,
  throwingThen,
} from '../helpers.js'

noUnhandledRejections() // fails the test during which something rejected unhandled

describe('processInBatches: outputs and concurrency', () => {
  it('returns outputs in input order whatever the completion order', async () => {
    const r = await processInBatches(
      range(20),
      async (x) => {
        await delay((20 - x) % 7)
        return ok(x * 2)
      },
      { concurrency: 5 },
    )
    expect(r._unsafeUnwrap()).toEqual(range(20).map((x) => x * 2))
  })

  it('really processes an async generator (not ok([]))', async () => {
    const { items, stats } = countingSource(range(1000))
    const r = await processInBatches(items, async (x) => ok(x + 1), { concurrency: 8 })
    expect(r._unsafeUnwrap()).toEqual(range(1000).map((x) => x + 1))
    expect(stats.pulled).toBe(1000)
    expect(stats.finished).toBe(true)
  })

  it('accepts sync iterables (Set, generator)', async () => {
    const fromSet = await processInBatches(new Set(['a', 'b']), (s, i) => ok(`${s}${i}`), { concurrency: 1 })
    expect(fromSet._unsafeUnwrap()).toEqual(['a0', 'b1'])
    const { items } = countingSource([1, 2, 3], { async: false })
    expect((await processInBatches(items, (x) => okAsync(x * 10), { concurrency: 2 }))._unsafeUnwrap()).toEqual([
      10, 20, 30,
    ])
  })

  it('never has more than `concurrency` items in flight, and fills the window', async () => {
    const t = inFlight()
    const r = await processInBatches(
      countingSource(range(60)).items,
      async (x) => {
        t.enter()
        await delay(x % 3)
        t.leave()
        return ok(x)
      },
      { concurrency: 4 },
    )
    expect(r.isOk()).toBe(true)
    expect(t.s.max).toBe(4)
  })

  it('reads the source at most `concurrency` items ahead of completion', async () => {
    let completed = 0
    let maxAhead = 0
    const concurrency = 3
    async function* source() {
      for (let i = 0; i < 40; i++) {
        await Promise.resolve()
        // Checked right before each item is handed out: pulled so far (this one included) − completed.
        maxAhead = Math.max(maxAhead, i + 1 - completed)
        yield i
      }
    }
    const r = await processInBatches(
      source(),
      async (x) => {
        await delay(x % 4)
        completed++
        return ok(x)
      },
      { concurrency },
    )
    expect(r.isOk()).toBe(true)
    expect(maxAhead).toBeLessThanOrEqual(concurrency)
    expect(maxAhead).toBe(concurrency)
  })

  it('slides: a slow item does not hold back later batches (no barrier)', async () => {
    const slow = deferred()
    const started: number[] = []
    const job = processInBatches(
      range(10),
      async (x) => {
        started.push(x)
        if (x === 0) await slow.promise
        return ok(x)
      },
      { concurrency: 2, batchSize: 2 },
    )
    await delay(5)
    // Item 0 is stuck, yet items of batches 1..4 all ran through the other slot.
    expect(started).toEqual(range(10))
    slow.resolve()
    expect((await job).isOk()).toBe(true)
  })

  it('handles items that settle synchronously without deep recursion', async () => {
    const r = await processInBatches(range(100_000), (x) => ok(x), { concurrency: 4, collect: false })
    expect(r.isOk()).toBe(true)
  })

  it('empty inputs give empty outputs; no checkpoint, one final progress call', async () => {
    async function* none() {}
    const checkpoints: BatchCheckpoint[] = []
    const progress: BatchProgress[] = []
    const opts = { concurrency: 2, afterBatch: (c: BatchCheckpoint) => void checkpoints.push(c) }
    expect((await processInBatches([], () => ok(1), opts))._unsafeUnwrap()).toEqual([])
    expect((await processInBatches(none(), () => ok(1), opts))._unsafeUnwrap()).toEqual([])
    const settled = await processInBatches(none(), () => ok(1), {
      concurrency: 2,
      mode: 'settle',
      onProgress: (p) => progress.push(p),
    })
    expect(settled._unsafeUnwrap()).toMatchObject({ values: [], errors: [], stats: { total: 0, failed: 0 } })
    expect(checkpoints).toEqual([])
    expect(progress).toHaveLength(1)
    expect(progress[0]).toMatchObject({ done: 0, failed: 0, ratePerSec: 0 })
  })

  it('collect: false keeps no outputs', async () => {
    const r = await processInBatches(range(10), (x) => ok(x), { concurrency: 3, collect: false })
    expect(r._unsafeUnwrap()).toBeUndefined()
    const s = await processInBatches(range(10), (x) => (x === 3 ? err('no') : ok(x)), {
      concurrency: 3,
      collect: false,
      mode: 'settle',
    })
    expect(s._unsafeUnwrap().values).toBeUndefined()
    expect(fields(s._unsafeUnwrap().errors)).toEqual([{ index: 3, error: 'no' }])
  })
})

describe('processInBatches: failures', () => {
  it('fail-fast: the first err stops the job, aborts running items and closes the source', async () => {
    const { items, stats } = countingSource(range(100))
    const started: number[] = []
    const aborted: number[] = []
    const completed: number[] = []
    const r = await processInBatches(
      items,
      async (x, _i, { signal }) => {
        started.push(x)
        if (x === 5) return err({ code: 'E5' as const })
        await delay(x < 2 ? 1 : 50, signal)
        ;(signal.aborted ? aborted : completed).push(x)
        return ok(x)
      },
      { concurrency: 4 },
    )
    const e = r._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(ItemFailedError)
    expect(fields(e as ItemFailedError)).toEqual({ index: 5, error: { code: 'E5' } })
    const startedAtStop = started.length
    await flush()
    expect(stats.returned).toBe(true)
    expect(startedAtStop).toBeLessThanOrEqual(4 + 2)
    // Everything still running when item 5 failed was aborted.
    expect(aborted.sort((a, b) => a - b)).toEqual([2, 3, 4])
    expect(completed.sort((a, b) => a - b)).toEqual([0, 1])
    await delay(60)
    expect(started.length).toBe(startedAtStop) // nothing new started after the stop
  })

  it('a sync throw in fn becomes err({ index, error: UnexpectedError }) with the cause', async () => {
    const boom = new Error('boom')
    const r = await processInBatches(
      range(5),
      (x) => {
        if (x === 2) throw boom
        return ok(x)
      },
      { concurrency: 1 },
    )
    const e = r._unsafeUnwrapErr()
    expect(e).toMatchObject({ index: 2 })
    expect((e as { error: unknown }).error).toBeInstanceOf(UnexpectedError)
    expect(((e as { error: UnexpectedError }).error as UnexpectedError).cause).toBe(boom)
  })

  it('a rejected promise in fn becomes UnexpectedError (settle mode keeps going)', async () => {
    const r = await processInBatches(
      range(4),
      async (x) => {
        if (x % 2) throw new Error(`odd ${x}`)
        return ok(x)
      },
      { concurrency: 2, mode: 'settle' },
    )
    const { values, errors, stats } = r._unsafeUnwrap()
    expect(values).toEqual([0, 2])
    expect(errors.map((e) => e.index)).toEqual([1, 3])
    expect(errors[0]?.error).toBeInstanceOf(UnexpectedError)
    expect(stats).toMatchObject({ total: 4, succeeded: 2, failed: 2 })
    expect(stats.durationMs).toBeGreaterThanOrEqual(0)
  })

  it('settle: errors in input order, values of successes in input order, ok(undefined) kept', async () => {
    const r = await processInBatches(
      range(12),
      async (x) => {
        await delay((12 - x) % 5)
        if (x % 4 === 1) return err(`e${x}`)
        return ok(x === 0 ? undefined : x)
      },
      { concurrency: 6, mode: 'settle' },
    )
    const { values, errors, stats } = r._unsafeUnwrap()
    expect(values).toEqual([undefined, 2, 3, 4, 6, 7, 8, 10, 11])
    expect(fields(errors)).toEqual([
      { index: 1, error: 'e1' },
      { index: 5, error: 'e5' },
      { index: 9, error: 'e9' },
    ])
    expect(stats).toMatchObject({ total: 12, succeeded: 9, failed: 3 })
  })

  it('a source that throws → err(UnexpectedError), running items aborted', async () => {
    const { items, stats } = countingSource(range(10), { throwAt: 4 })
    const aborted: number[] = []
    const r = await processInBatches(
      items,
      async (x, _i, { signal }) => {
        await delay(30, signal)
        if (signal.aborted) aborted.push(x)
        return ok(x)
      },
      { concurrency: 8 },
    )
    const e = r._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(UnexpectedError)
    expect((e as UnexpectedError).cause).toEqual(new Error('source broke'))
    await flush()
    expect(aborted.sort()).toEqual([0, 1, 2, 3])
    expect(stats.returned).toBe(false) // a throwing iterator is not closed again
  })

  it('a sync iterator that throws → err(UnexpectedError)', async () => {
    const { items } = countingSource(range(10), { async: false, throwAt: 2 })
    const r = await processInBatches(items, (x) => ok(x), { concurrency: 2 })
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
  })

  it('a throwing Symbol.iterator → err(UnexpectedError)', async () => {
    const items = {
      [Symbol.iterator](): Iterator<number> {
        throw new Error('no iterator')
      },
    }
    const r = await processInBatches(items, (x) => ok(x), { concurrency: 2 })
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
  })

  it('fn returning a non-Result → UnexpectedError', async () => {
    const r = await processInBatches([1], (() => 42) as unknown as () => Result<number, never>, {
      concurrency: 1,
    })
    expect((r._unsafeUnwrapErr() as { error: unknown }).error).toBeInstanceOf(UnexpectedError)
  })
})

describe('processInBatches: cancellation', () => {
  it('abort mid-job → err(CancelledError), running items aborted, source closed', async () => {
    const controller = new AbortController()
    const { items, stats } = countingSource(range(1000))
    const aborted: number[] = []
    let started = 0
    const job = processInBatches(
      items,
      async (x, _i, { signal }) => {
        started++
        if (started === 10) controller.abort('user stop')
        await delay(20, signal)
        if (signal.aborted) aborted.push(x)
        return ok(x)
      },
      { concurrency: 4, signal: controller.signal },
    )
    const r = await job
    const e = r._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(CancelledError)
    expect((e as CancelledError).reason).toBe('user stop')
    await flush()
    expect(aborted.length).toBeGreaterThan(0)
    expect(stats.returned).toBe(true)
    expect(stats.pulled).toBeLessThan(20)
  })

  it('an already-aborted signal → CancelledError without calling fn', async () => {
    let calls = 0
    const r = await processInBatches(range(3), () => ok(calls++), { concurrency: 1, signal: AbortSignal.abort() })
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect(calls).toBe(0)
  })
})

describe('processInBatches: checkpoints (afterBatch)', () => {
  it('runs in batch order even when later batches finish first', async () => {
    const finished = new Set<number>()
    const calls: { batch: number; done: number; allEarlierDone: boolean }[] = []
    const r = await processInBatches(
      range(10),
      async (x) => {
        // Batch 0 (items 0-2) is slowest, the last batch fastest.
        await delay(x < 3 ? 30 : x < 6 ? 15 : 1)
        finished.add(x)
        return ok(x)
      },
      {
        concurrency: 10,
        batchSize: 3,
        afterBatch: ({ batch, done }) => {
          const upTo = Math.min(10, (batch + 1) * 3)
          calls.push({ batch, done, allEarlierDone: range(upTo).every((i) => finished.has(i)) })
        },
      },
    )
    expect(r.isOk()).toBe(true)
    expect(calls.map((c) => c.batch)).toEqual([0, 1, 2, 3])
    expect(calls.every((c) => c.allEarlierDone)).toBe(true)
    // Batch 0 finished last, so by its checkpoint every item was done.
    expect(calls[0]?.done).toBe(10)
  })

  it('async checkpoints never overlap, and the job waits for the last one', async () => {
    let running = 0
    let overlap = false
    const log: number[] = []
    const r = await processInBatches(range(9), (x) => ok(x), {
      concurrency: 3,
      batchSize: 2,
      afterBatch: async ({ batch }) => {
        if (running++ > 0) overlap = true
        await delay(3)
        log.push(batch)
        running--
        return ok(undefined)
      },
    })
    expect(r.isOk()).toBe(true)
    expect(overlap).toBe(false)
    expect(log).toEqual([0, 1, 2, 3, 4])
  })

  it('an err from afterBatch stops the job: no new items, running ones aborted, source closed', async () => {
    const { items, stats } = countingSource(range(100))
    const started: number[] = []
    const aborted: number[] = []
    const r = await processInBatches(
      items,
      async (x, _i, { signal }) => {
        started.push(x)
        await delay(x < 4 ? 1 : 20, signal)
        if (signal.aborted) aborted.push(x)
        return ok(x)
      },
      {
        concurrency: 4,
        batchSize: 2,
        afterBatch: ({ batch }) =>
          batch === 1 ? errAsync({ _tag: 'CheckpointFailed' as const, batch }) : ok(undefined),
      },
    )
    expect(r._unsafeUnwrapErr()).toEqual({ _tag: 'CheckpointFailed', batch: 1 })
    const startedAtStop = started.length
    await flush()
    expect(stats.returned).toBe(true)
    expect(aborted.length).toBeGreaterThan(0)
    await delay(30)
    expect(started.length).toBe(startedAtStop)
  })

  it('a throw from afterBatch → err(UnexpectedError)', async () => {
    const r = await processInBatches(range(6), (x) => ok(x), {
      concurrency: 2,
      batchSize: 3,
      afterBatch: () => {
        throw new Error('disk full')
      },
    })
    const e = r._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(UnexpectedError)
    expect((e as UnexpectedError).message).toContain('disk full')
  })

  it('counts failed items as finished in settle mode; the last batch may be short', async () => {
    const calls: BatchCheckpoint[] = []
    await processInBatches(range(7), (x) => (x % 2 ? err(x) : ok(x)), {
      concurrency: 2,
      batchSize: 3,
      mode: 'settle',
      afterBatch: (c) => void calls.push(c),
    })
    expect(calls).toEqual([
      { batch: 0, done: 3 },
      { batch: 1, done: 6 },
      { batch: 2, done: 7 },
    ])
  })
})

describe('processInBatches: progress', () => {
  it('is throttled and ends with a final call (array: total and etaMs known)', async () => {
    const calls: BatchProgress[] = []
    const r = await processInBatches(range(5000), async (x) => ok(x), {
      concurrency: 8,
      mode: 'settle',
      onProgress: (p) => calls.push(p),
    })
    expect(r.isOk()).toBe(true)
    expect(calls.length).toBeGreaterThanOrEqual(1)
    expect(calls.length).toBeLessThan(5000)
    expect(calls.at(-1)).toMatchObject({ done: 5000, failed: 0, total: 5000 })
  })

  it('reports every completion with progressIntervalMs: 0, only the final one with Infinity', async () => {
    const every: BatchProgress[] = []
    await processInBatches(range(5), (x) => (x === 1 ? err('x') : ok(x)), {
      concurrency: 2,
      mode: 'settle',
      progressIntervalMs: 0,
      onProgress: (p) => every.push(p),
    })
    expect(every.map((p) => [p.done, p.failed])).toEqual([
      [1, 0],
      [2, 1],
      [3, 1],
      [4, 1],
      [5, 1],
      [5, 1],
    ])
    const last: BatchProgress[] = []
    await processInBatches(range(5), async (x) => ok(x), {
      concurrency: 2,
      progressIntervalMs: Number.POSITIVE_INFINITY,
      onProgress: (p) => last.push(p),
    })
    expect(last).toHaveLength(1)
    expect(last[0]).toMatchObject({ done: 5, total: 5 })
  })

  it('takes total from the option for iterables; etaMs appears with a rate', async () => {
    const calls: BatchProgress[] = []
    await processInBatches(countingSource(range(50)).items, async (x) => ok(x), {
      concurrency: 4,
      total: 50,
      progressIntervalMs: 0,
      onProgress: (p) => calls.push(p),
    })
    expect(calls.every((p) => p.total === 50)).toBe(true)
    const withRate = calls.find((p) => p.ratePerSec > 0)
    expect(withRate?.etaMs).toBeGreaterThanOrEqual(0)
    const noTotal: BatchProgress[] = []
    await processInBatches(countingSource(range(3)).items, async (x) => ok(x), {
      concurrency: 4,
      onProgress: (p) => noTotal.push(p),
    })
    expect(noTotal.at(-1)).not.toHaveProperty('total')
    expect(noTotal.at(-1)).not.toHaveProperty('etaMs')
  })

  it('a throwing onProgress stops the job with UnexpectedError', async () => {
    const r = await processInBatches(range(5), (x) => ok(x), {
      concurrency: 1,
      progressIntervalMs: 0,
      onProgress: () => {
        throw new Error('tty gone')
      },
    })
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
  })
})

describe('processInBatches: progress on a fake clock', () => {
  it('throttles reports by time: one per progressIntervalMs, and the final one', async () => {
    const calls: BatchProgress[] = []
    // 50 items of 10 ms each, one at a time: 500 ms, a report due every 100 ms.
    const r = await onFakeClock(1000, () =>
      processInBatches(
        range(50),
        async (x) => {
          await delay(10)
          return ok(x)
        },
        { concurrency: 1, progressIntervalMs: 100, onProgress: (p) => calls.push(p) },
      ),
    )
    expect(r.isOk()).toBe(true)
    expect(calls.map((c) => c.done)).toEqual([10, 20, 30, 40, 50, 50])
    expect(calls[0]?.ratePerSec).toBe(100) // 10 items in 100 ms
    expect(calls[0]?.etaMs).toBe(400)
  })
})

describe('processInBatches: per-item timeout and retry', () => {
  it('times out a slow item and aborts it', async () => {
    let sawAbort = false
    const r = await onFakeClock(1000, () =>
      processInBatches(
        range(4),
        async (x, _i, { signal }) => {
          if (x === 2) {
            await delay(1000, signal)
            sawAbort = signal.aborted
          }
          return ok(x)
        },
        { concurrency: 4, timeoutMs: 20, mode: 'settle' },
      ),
    )
    const { values, errors } = r._unsafeUnwrap()
    expect(values).toEqual([0, 1, 3])
    expect(errors[0]?.index).toBe(2)
    expect(errors[0]?.error).toBeInstanceOf(TimeoutError)
    await flush()
    expect(sawAbort).toBe(true)
  })

  it('retries a failing item (ctx.attempt counts calls)', async () => {
    const calls = new Map<number, number[]>()
    const r = await processInBatches(
      range(3),
      async (x, _i, { attempt }) => {
        calls.set(x, [...(calls.get(x) ?? []), attempt])
        return x === 1 && attempt < 3 ? err('flaky') : ok(x)
      },
      { concurrency: 3, retry: { attempts: 3, backoff: { initialMs: 1 } } },
    )
    expect(r._unsafeUnwrap()).toEqual([0, 1, 2])
    expect(calls.get(1)).toEqual([1, 2, 3])
    expect(calls.get(0)).toEqual([1])
  })

  it('returns the last error when attempts run out, and honours retryIf', async () => {
    let calls = 0
    const r = await processInBatches(
      [1],
      async () => {
        calls++
        return err({ fatal: calls === 2 })
      },
      { concurrency: 1, retry: { attempts: 5, retryIf: (e) => !(e as { fatal?: boolean }).fatal } },
    )
    expect(fields(r._unsafeUnwrapErr() as ItemFailedError)).toEqual({ index: 0, error: { fatal: true } })
    expect(calls).toBe(2)
  })

  it('timeoutMs bounds the item including retries; retry.timeoutMs bounds each attempt', async () => {
    let calls = 0
    const r = await onFakeClock(1000, () =>
      processInBatches(
        [1],
        async (_x, _i, { signal }) => {
          calls++
          await delay(1000, signal)
          return ok(1)
        },
        { concurrency: 1, timeoutMs: 80, retry: { attempts: 100, timeoutMs: 10 } },
      ),
    )
    const e = r._unsafeUnwrapErr() as { error: unknown }
    expect(e.error).toBeInstanceOf(TimeoutError)
    expect((e.error as TimeoutError).ms).toBe(80)
    expect(calls).toBeGreaterThan(1)
    expect(calls).toBeLessThan(100)
  })
})

describe('processInBatches: invalid options', () => {
  const fn = (x: number) => ok(x)
  const cases: [string, unknown, unknown][] = [
    ['concurrency', { concurrency: 0 }, 0],
    ['concurrency', { concurrency: -1 }, -1],
    ['concurrency', { concurrency: Number.NaN }, Number.NaN],
    ['concurrency', { concurrency: 1.5 }, 1.5],
    ['concurrency', {}, undefined],
    ['batchSize', { concurrency: 1, batchSize: 0 }, 0],
    ['mode', { concurrency: 1, mode: 'yolo' }, 'yolo'],
    ['timeoutMs', { concurrency: 1, timeoutMs: -5 }, -5],
    ['timeoutMs', { concurrency: 1, timeoutMs: Number.NaN }, Number.NaN],
    ['retry.attempts', { concurrency: 1, retry: { attempts: 0 } }, 0],
    ['retry.backoff.factor', { concurrency: 1, retry: { attempts: 2, backoff: { factor: 0.5 } } }, 0.5],
    ['signal', { concurrency: 1, signal: 'stop' }, 'stop'],
    ['collect', { concurrency: 1, collect: 'no' }, 'no'],
    ['total', { concurrency: 1, total: -1 }, -1],
    ['progressIntervalMs', { concurrency: 1, progressIntervalMs: -1 }, -1],
    ['onProgress', { concurrency: 1, onProgress: 5 }, 5],
    ['afterBatch', { concurrency: 1, afterBatch: 'x' }, 'x'],
  ]
  it.each(cases)('%s: %o → err(InvalidOptionsError)', async (option, opts, value) => {
    const r = await processInBatches(range(3), fn, opts as { concurrency: number })
    const e = r._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(InvalidOptionsError)
    expect((e as InvalidOptionsError).option).toBe(option)
    expect(Object.is((e as InvalidOptionsError).value, value)).toBe(true)
  })

  it('rejects non-iterable items, a non-function fn and missing options without throwing', async () => {
    const a = await processInBatches(42 as unknown as number[], fn, { concurrency: 1 })
    expect((a._unsafeUnwrapErr() as InvalidOptionsError).option).toBe('items')
    const b = await processInBatches([1], 'fn' as unknown as typeof fn, { concurrency: 1 })
    expect((b._unsafeUnwrapErr() as InvalidOptionsError).option).toBe('fn')
    const c = await processInBatches([1], fn, undefined as unknown as { concurrency: number })
    expect((c._unsafeUnwrapErr() as InvalidOptionsError).option).toBe('options')
  })

  it('does not touch the source when the options are bad', async () => {
    const { items, stats } = countingSource(range(3))
    await processInBatches(items, fn, { concurrency: 0 })
    expect(stats.pulled).toBe(0)
  })
})

describe('processInBatches: many listeners on ctx.signal', () => {
  it('does not warn when more than 10 running items listen on their signal', async () => {
    const warnings: string[] = []
    const onWarning = (w: Error) => warnings.push(w.name)
    process.on('warning', onWarning)
    await processInBatches(
      range(40),
      async (x, _i, { signal }) => {
        await delay(2, signal) // adds an abort listener, as fetch(url, { signal }) does
        return ok(x)
      },
      { concurrency: 20 },
    )
    await flush()
    process.off('warning', onWarning)
    expect(warnings).not.toContain('MaxListenersExceededWarning')
  })
})

describe('processInBatches: readable failures, bounded sizes, hostile input (0.2)', () => {
  it('a fail-fast failure is an ItemFailedError that logs readably, keeping index and error', async () => {
    const r = await processInBatches(range(5), (x) => (x === 3 ? err({ code: 'E3' }) : ok(x)), { concurrency: 1 })
    const e = r._unsafeUnwrapErr() as ItemFailedError<{ code: string }>
    expect(e).toBeInstanceOf(ItemFailedError)
    expect(e._tag).toBe('ItemFailedError')
    expect(e.name).toBe('ItemFailedError')
    expect(e.index).toBe(3)
    expect(e.error).toEqual({ code: 'E3' })
    expect(String(e)).toBe('ItemFailedError: Item 3 failed: {"code":"E3"}')
    expect(String(e)).not.toContain('[object Object]')
    const timedOut = await processInBatches([1], () => new Promise<never>(() => {}), { concurrency: 1, timeoutMs: 1 })
    expect(String(timedOut._unsafeUnwrapErr())).toBe(
      'ItemFailedError: Item 0 failed: TimeoutError: Timed out after 1 ms',
    )
  })

  it('settle mode lists ItemFailedErrors too', async () => {
    const r = await processInBatches(range(4), (x) => (x % 2 ? err(`odd ${x}`) : ok(x)), {
      concurrency: 2,
      mode: 'settle',
    })
    const { errors } = r._unsafeUnwrap()
    expect(errors.every((e) => e instanceof ItemFailedError)).toBe(true)
    expect(errors.map(String)).toEqual([
      'ItemFailedError: Item 1 failed: odd 1',
      'ItemFailedError: Item 3 failed: odd 3',
    ])
  })

  it('bounds every size option: concurrency and batchSize of 2 ** 31 or 1e21 are refused by name', async () => {
    for (const [opts, option] of [
      [{ concurrency: 2 ** 31 }, 'concurrency'],
      [{ concurrency: 1e21 }, 'concurrency'],
      [{ concurrency: 1, batchSize: 2 ** 31 }, 'batchSize'],
      [{ concurrency: 1, batchSize: 1e21 }, 'batchSize'],
    ] as const) {
      const r = await processInBatches(range(2), (x) => ok(x), opts)
      expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option })
    }
    // The bound itself and Infinity still work.
    expect((await processInBatches(range(3), (x) => ok(x), { concurrency: 2 ** 30 }))._unsafeUnwrap()).toEqual(range(3))
    expect((await processInBatches(range(3), (x) => ok(x), { concurrency: Infinity }))._unsafeUnwrap()).toEqual(
      range(3),
    )
  })

  it('an item returning an object whose then getter throws ends as err(UnexpectedError), on every path, no hang', async () => {
    const hostile = () => throwingThen()
    async function* source() {
      yield 1 // started asynchronously: after an await of the source
    }
    for (const opts of [
      { concurrency: 1 },
      { concurrency: 1, timeoutMs: 1000 },
      { concurrency: 1, retry: { attempts: 2 } },
    ]) {
      const r = await processInBatches(source(), () => hostile() as never, opts)
      const e = r._unsafeUnwrapErr() as ItemFailedError
      expect(e.error).toBeInstanceOf(UnexpectedError)
      expect((e.error as UnexpectedError).message).toContain('then getter')
    }
  })

  it('options behind throwing getters or Proxies are refused by name, never thrown or rejected', async () => {
    const getter = (name: string) =>
      Object.defineProperty({ concurrency: 1 }, name, {
        enumerable: true,
        get() {
          throw new Error(`no ${name}`)
        },
      })
    for (const name of ['mode', 'onProgress', 'afterBatch', 'retry']) {
      const r = await processInBatches(range(2), (x) => ok(x), getter(name) as never)
      expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: name })
    }
    const retryGetter = {
      concurrency: 1,
      retry: Object.defineProperty({}, 'attempts', {
        get() {
          throw new Error('no attempts')
        },
      }),
    }
    const r = await processInBatches(range(2), (x) => ok(x), retryGetter as never)
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'retry.attempts' })
    const trap = () => {
      throw new Error('trap')
    }
    const proxy = new Proxy({}, { get: trap, has: trap, ownKeys: trap, getPrototypeOf: trap })
    expect((await processInBatches(range(2), (x) => ok(x), proxy as never))._unsafeUnwrapErr()).toBeInstanceOf(
      InvalidOptionsError,
    )
    expect((await processInBatches(proxy as never, (x) => ok(x), { concurrency: 1 }))._unsafeUnwrapErr()).toMatchObject(
      {
        option: 'items',
      },
    )
  })

  it('refuses garbage items, accepts Sets, Maps, generators and map.values()', async () => {
    for (const items of [42, null, undefined, {}, { length: 2 }, true, Symbol('x'), () => [1]]) {
      const r = await processInBatches(items as never, (x) => ok(x), { concurrency: 1 })
      expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'items' })
    }
    const map = new Map([
      ['a', 1],
      ['b', 2],
    ])
    function* gen() {
      yield 1
      yield 2
    }
    expect((await processInBatches(new Set([1, 2]), (x) => ok(x), { concurrency: 1 }))._unsafeUnwrap()).toEqual([1, 2])
    expect((await processInBatches(map, ([k]) => ok(k), { concurrency: 1 }))._unsafeUnwrap()).toEqual(['a', 'b'])
    expect((await processInBatches(map.values(), (x) => ok(x), { concurrency: 1 }))._unsafeUnwrap()).toEqual([1, 2])
    expect((await processInBatches(gen(), (x) => ok(x), { concurrency: 1 }))._unsafeUnwrap()).toEqual([1, 2])
  })

  it('an iterator whose results have throwing getters ends the job with err(UnexpectedError)', async () => {
    const items = {
      [Symbol.iterator]: () => ({
        next: () =>
          Object.defineProperty({}, 'done', {
            get() {
              throw new Error('done getter')
            },
          }),
      }),
    }
    const r = await processInBatches(items as Iterable<number>, (x) => ok(x), { concurrency: 1 })
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
    const asyncItems = {
      [Symbol.asyncIterator]: () => ({
        next: async () =>
          Object.defineProperty({ done: false }, 'value', {
            get() {
              throw new Error('value getter')
            },
          }),
      }),
    }
    const ra = await processInBatches(asyncItems as AsyncIterable<number>, (x) => ok(x), { concurrency: 1 })
    expect(ra._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
  })
})

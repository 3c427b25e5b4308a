import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import {
  CancelledError,
  err,
  InvalidOptionsError,
  ok,
  okAsync,
  type Pipeline,
  pipeline,
  type ResultAsync,
  StageFailedError,
  TimeoutError,
  UnexpectedError,
} from '../../src/index.js'
import {
  collect,
  countingSource,
  deferred,
  delay,
  expectNoLeaks,
  flush,
  inFlight,
  noUnhandledRejections,
  onFakeClock,
  range,
  throwingThen,
  values,
} from '../helpers.js'

noUnhandledRejections() // fails the test during which something rejected unhandled

describe('pipeline', () => {
  it('types and values flow stage to stage; run() returns the outputs in order', async () => {
    const r = await pipeline(range(10))
      .stage({ name: 'double', concurrency: 3, fn: async (n) => ok(n * 2) })
      .stage({ name: 'show', fn: (n) => okAsync(`#${n}`) })
      .run()
    expect(r._unsafeUnwrap()).toEqual(range(10).map((n) => `#${n * 2}`))
  })

  it('reads arrays, sync iterables and async iterables; a pipeline without stages passes items through', async () => {
    const a = countingSource(range(5), { async: false })
    const b = countingSource(range(5), { async: true })
    expect((await pipeline(a.items).run())._unsafeUnwrap()).toEqual(range(5))
    expect((await pipeline(b.items).run())._unsafeUnwrap()).toEqual(range(5))
    expect((await pipeline(new Set(['x', 'y'])).run())._unsafeUnwrap()).toEqual(['x', 'y'])
    expect(a.stats.finished && b.stats.finished).toBe(true)
  })

  it('ordered (default) keeps input order through every stage; ordered: false passes items on as they finish', async () => {
    const slowFirst = async (ms: number) => {
      await delay(ms)
      return ok(ms)
    }
    const ordered = await pipeline([30, 1, 15, 5])
      .stage({ name: 'wait', concurrency: 4, fn: slowFirst })
      .stage({ name: 'again', concurrency: 4, fn: slowFirst })
      .run()
    expect(ordered._unsafeUnwrap()).toEqual([30, 1, 15, 5])
    const unordered = await pipeline([30, 1, 15, 5], { ordered: false })
      .stage({ name: 'wait', concurrency: 4, fn: slowFirst })
      .stage({ name: 'again', concurrency: 4, fn: slowFirst })
      .run()
    expect(unordered._unsafeUnwrap()).toEqual([1, 5, 15, 30])
  })

  it('every item comes out exactly once, ordered or not, with mixed sync and async completions', async () => {
    const fn = (n: number) => (n % 3 === 0 ? ok(n) : delay((n * 7) % 5).then(() => ok(n)))
    for (const ordered of [true, false]) {
      const r = await pipeline(range(200), { ordered })
        .stage({ name: 'a', concurrency: 5, buffer: 2, fn })
        .stage({ name: 'b', concurrency: 3, buffer: 0, fn })
        .run()
      const out = r._unsafeUnwrap()
      if (ordered) expect(out).toEqual(range(200))
      else expect([...out].sort((x, y) => x - y)).toEqual(range(200))
    }
  })

  it('each stage runs at most `concurrency` items at once', async () => {
    const a = inFlight()
    const b = inFlight()
    const body = (t: ReturnType<typeof inFlight>) => async (n: number) => {
      t.enter()
      await delay(n % 3)
      t.leave()
      return ok(n)
    }
    await pipeline(range(40))
      .stage({ name: 'a', concurrency: 3, fn: body(a) })
      .stage({ name: 'b', concurrency: 2, fn: body(b) })
      .run()
    expect(a.s.max).toBe(3)
    expect(b.s.max).toBe(2)
  })

  it('backpressure: a stuck last stage bounds the reads to the sum of buffers and concurrencies', async () => {
    const src = countingSource(range(1000), { async: false })
    const gate = deferred()
    const done = pipeline(src.items)
      .stage({ name: 'fast', concurrency: 2, buffer: 3, fn: (n) => ok(n) })
      .stage({ name: 'slow', concurrency: 1, buffer: 2, fn: (n) => gate.promise.then(() => ok(n)) })
      .run({ collect: false })
    for (let i = 0; i < 5; i++) await flush()
    // fast: 3 waiting + 2 held (finished, no room downstream); slow: 2 waiting + 1 running.
    expect(src.stats.pulled).toBe(8)
    gate.resolve()
    expect((await done).isOk()).toBe(true)
    expect(src.stats.pulled).toBe(1000)
  })

  it('backpressure: a slow consumer holds every stage back (async source, counted pulls)', async () => {
    const src = countingSource(range(200), { async: true })
    const flow = pipeline(src.items)
      .stage({ name: 'a', concurrency: 2, buffer: 1, fn: async (n) => ok(n) })
      .chunk({ name: 'c', size: 4 })
      .stage({ name: 'b', concurrency: 1, buffer: 0, fn: (xs) => ok(xs.length) })
    let taken = 0
    let maxAhead = 0
    for await (const r of flow) {
      taken += r._unsafeUnwrap()
      await delay(1)
      for (let i = 0; i < 3; i++) await flush()
      maxAhead = Math.max(maxAhead, src.stats.pulled - taken)
    }
    // Items: a (1 + 2) + chunk (4 filling + 4 full) + b (one chunk of 4) + one chunk at the consumer (4).
    expect(maxAhead).toBeLessThanOrEqual(3 + 4 + 4 + 4 + 4)
    expect(maxAhead).toBeGreaterThan(0)
    expect(taken).toBe(200)
  })

  it('a failed item is typed with the stage name and the item index (fail-fast: the run stops)', async () => {
    const src = countingSource(range(100), { async: true })
    const r = await pipeline(src.items)
      .stage({ name: 'parse', fn: (n) => ok(n) })
      .stage({ name: 'check', concurrency: 2, fn: (n) => (n === 7 ? err({ bad: n }) : ok(n)) })
      .run()
    const e = r._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(StageFailedError)
    expect(e).toEqual(new StageFailedError('check', 7, { bad: 7 }))
    expect(e).toMatchObject({ _tag: 'StageFailedError', name: 'StageFailedError', stage: 'check', index: 7 })
    expect((e as StageFailedError).cause).toEqual({ bad: 7 })
    expect(src.stats.returned).toBe(true)
    expect(src.stats.pulled).toBeLessThan(30)
  })

  it('a failed item logs readably: stage, index and the error, never [object Object]', async () => {
    const r = await pipeline(range(5))
      .stage({ name: 'parse', fn: (n) => (n === 3 ? err({ code: 'E3' }) : ok(n)) })
      .run()
    const e = r._unsafeUnwrapErr()
    expect(String(e)).toBe('StageFailedError: Stage "parse" failed at index 3: {"code":"E3"}')
    const shown = inspect(e)
    expect(shown).toContain('Stage "parse" failed at index 3')
    expect(shown).toContain("stage: 'parse'")
    expect(shown).toContain("code: 'E3'") // the cause
    expect(shown).not.toContain('[object Object]')
    const timed = await onFakeClock(100, () =>
      pipeline([1])
        .stage({ name: 'slow', timeoutMs: 5, fn: (_n, { signal }) => delay(100, signal).then(() => ok(1)) })
        .run(),
    )
    expect(String(timed._unsafeUnwrapErr())).toBe(
      'StageFailedError: Stage "slow" failed at index 0: TimeoutError: Timed out after 5 ms',
    )
  })

  it('a fail-fast err stops the stage: nothing after the failed item starts', async () => {
    const calls: number[] = []
    const r = await pipeline(range(10))
      .stage({
        name: 's',
        concurrency: 1,
        buffer: 4,
        fn: (n) => {
          calls.push(n)
          return n === 0 ? delay(5).then(() => ok(n)) : err('sync failure')
        },
      })
      .run()
    expect(r._unsafeUnwrapErr()).toEqual(new StageFailedError('s', 1, 'sync failure'))
    expect(calls).toEqual([0, 1])
  })

  it('a throw becomes UnexpectedError; a timeout TimeoutError, both with the stage and index', async () => {
    const thrown = await pipeline(['a', 'b'])
      .stage({
        name: 'boom',
        fn: (s) => {
          if (s === 'b') throw new Error('nope')
          return ok(s)
        },
      })
      .run()
    const e = thrown._unsafeUnwrapErr() as { stage: string; index: number; error: unknown }
    expect(e.stage).toBe('boom')
    expect(e.index).toBe(1)
    expect(e.error).toBeInstanceOf(UnexpectedError)
    const timed = await onFakeClock(1000, () =>
      pipeline([1])
        .stage({ name: 'slow', timeoutMs: 5, fn: (_n, { signal }) => delay(1000, signal).then(() => ok(1)) })
        .run(),
    )
    expect(timed._unsafeUnwrapErr()).toMatchObject({ stage: 'slow', index: 0 })
    expect((timed._unsafeUnwrapErr() as { error: unknown }).error).toBeInstanceOf(TimeoutError)
  })

  it('settle mode: failed items are reported in place and the flow goes on', async () => {
    const flow = pipeline(range(8), { mode: 'settle' })
      .stage({ name: 'even', concurrency: 3, fn: async (n) => (n % 2 ? err('odd' as const) : ok(n)) })
      .stage({ name: 'big', fn: (n) => (n === 4 ? err('four' as const) : ok(n * 10)) })
    const rs = await collect(flow)
    expect(values(rs)).toEqual([
      0,
      { err: new StageFailedError('even', 1, 'odd') },
      20,
      { err: new StageFailedError('even', 3, 'odd') },
      { err: new StageFailedError('big', 4, 'four') },
      { err: new StageFailedError('even', 5, 'odd') },
      60,
      { err: new StageFailedError('even', 7, 'odd') },
    ])
    const run = (await flow.run())._unsafeUnwrap()
    expect(run.values).toEqual([0, 20, 60])
    expect(run.errors.map((e) => `${e.stage}:${e.index}`)).toEqual(['even:1', 'even:3', 'big:4', 'even:5', 'even:7'])
    expect(run.stats).toMatchObject({ done: 3, failed: 5 })
    const m = flow.metrics()
    expect(m.stages.map((s) => [s.name, s.in, s.out, s.failed])).toEqual([
      ['even', 8, 4, 4],
      ['big', 4, 3, 1],
    ])
  })

  it('fail-fast vs settle on the same flow; in iteration, the first err is the last result', async () => {
    const fn = (n: number) => (n === 2 ? err('two' as const) : ok(n))
    const ff = await collect(pipeline([0, 1, 2, 3, 4]).stage({ name: 's', fn }))
    expect(values(ff)).toEqual([0, 1, { err: new StageFailedError('s', 2, 'two') }])
    const st = await collect(pipeline([0, 1, 2, 3, 4], { mode: 'settle' }).stage({ name: 's', fn }))
    expect(values(st)).toEqual([0, 1, { err: new StageFailedError('s', 2, 'two') }, 3, 4])
  })

  it('breaking out mid-flow aborts running items, closes the source and leaves no timers', async () => {
    const src = countingSource(range(1000), { async: true })
    const aborted: unknown[] = []
    await expectNoLeaks(async () => {
      const flow = pipeline(src.items)
        .stage({
          name: 'work',
          concurrency: 3,
          fn: async (n, { signal }) => {
            signal.addEventListener('abort', () => aborted.push(signal.reason))
            await delay(n === 0 ? 0 : 50, signal)
            return ok(n)
          },
        })
        .chunk({ name: 'c', size: 10, maxWaitMs: 1000 })
      let seen = 0
      for await (const r of flow) {
        seen += r._unsafeUnwrap().length
        break
      }
      expect(seen).toBeGreaterThan(0)
    })
    expect(src.stats.returned).toBe(true)
    expect(aborted.length).toBeGreaterThan(0)
    expect(aborted[0]).toBeInstanceOf(CancelledError)
  })

  it('an aborted signal stops every stage with CancelledError and closes the source', async () => {
    const src = countingSource(range(1000), { async: true })
    const ac = new AbortController()
    const r = await expectNoLeaks(() => {
      const run = pipeline(src.items, { signal: ac.signal })
        .stage({ name: 'a', concurrency: 2, fn: (n, { signal }) => delay(5, signal).then(() => ok(n)) })
        .chunk({ name: 'c', size: 50, maxWaitMs: 10_000 })
        .run()
      setTimeout(() => ac.abort('enough'), 20)
      return run
    })
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect((r._unsafeUnwrapErr() as CancelledError).reason).toBe('enough')
    expect(src.stats.returned).toBe(true)
    const pre = await pipeline([1], { signal: AbortSignal.abort() }).run()
    expect(pre._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
  })

  it('a throwing source ends the run with UnexpectedError', async () => {
    const src = countingSource(range(10), { async: true, throwAt: 4 })
    const r = await pipeline(src.items)
      .stage({ name: 'a', fn: (n) => ok(n) })
      .run()
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
    expect((r._unsafeUnwrapErr() as UnexpectedError).message).toContain('source broke')
  })

  it('invalid options come back as InvalidOptionsError naming the option, never thrown', async () => {
    const bad = async (p: { run(): ResultAsync<unknown, unknown> }, option: string) => {
      const e = (await p.run())._unsafeUnwrapErr()
      expect(e).toBeInstanceOf(InvalidOptionsError)
      expect((e as InvalidOptionsError).option).toBe(option)
    }
    const fn = (n: number) => ok(n)
    await bad(pipeline([1]).stage({ name: 'a', fn }).stage({ name: 'b', concurrency: 0, fn }), 'stages[1].concurrency')
    await bad(pipeline([1]).stage({ name: 'a', buffer: -1, fn }), 'stages[0].buffer')
    await bad(pipeline([1]).stage({ name: 'a', concurrency: Number.POSITIVE_INFINITY, fn }), 'stages[0].concurrency')
    await bad(pipeline([1]).chunk({ name: 'c', size: 0 }), 'stages[0].size')
    await bad(pipeline([1]).chunk({ name: 'c', size: 2, maxWaitMs: -1 }), 'stages[0].maxWaitMs')
    await bad(pipeline([1]).stage({ name: 'a', fn: 3 as unknown as typeof fn }), 'stages[0].fn')
    await bad(pipeline([1], { mode: 'all' as 'settle' }), 'mode')
    await bad(pipeline(5 as unknown as number[]), 'source')
    const rs = await collect(pipeline([1]).stage({ name: 'a', concurrency: -1, fn }))
    expect(rs).toHaveLength(1)
    expect((rs[0]!._unsafeUnwrapErr() as InvalidOptionsError).option).toBe('stages[0].concurrency')
  })

  it('metrics and onProgress show per-stage counters, busy time and buffer high-water marks', async () => {
    const reports: { done: number; stages: readonly { name: string }[] }[] = []
    const flow = pipeline(range(30), { onProgress: (p) => reports.push(p), progressIntervalMs: 0 })
      .stage({ name: 'fast', concurrency: 2, buffer: 4, fn: (n) => ok(n) })
      .stage({ name: 'slow', concurrency: 1, buffer: 4, fn: (n) => delay(1).then(() => ok(n)) })
    expect(flow.metrics().stages.map((s) => s.in)).toEqual([0, 0])
    await flow.run()
    const m = flow.metrics()
    expect(m).toMatchObject({ pulled: 30, done: 30, failed: 0 })
    const [fast, slow] = m.stages
    expect(fast).toMatchObject({ name: 'fast', kind: 'fn', in: 30, out: 30, running: 0, queued: 0 })
    expect(slow).toMatchObject({ name: 'slow', in: 30, out: 30 })
    expect(slow?.bufferHighWater).toBe(4) // the bottleneck's buffer filled up
    expect(slow?.busyMs).toBeGreaterThan(0)
    expect(slow?.utilization).toBeGreaterThan(0)
    expect(reports.at(-1)?.done).toBe(30)
    expect(reports.at(-1)?.stages.map((s) => s.name)).toEqual(['fast', 'slow'])
  })

  it('a throwing onProgress stops the run with UnexpectedError', async () => {
    const r = await pipeline(range(5), {
      progressIntervalMs: 0,
      onProgress: () => {
        throw new Error('bad callback')
      },
    }).run()
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
  })

  it('retry calls a stage fn again; ctx carries the index and attempt', async () => {
    const seen: string[] = []
    const r = await pipeline(['a', 'b'])
      .stage({
        name: 'flaky',
        retry: { attempts: 3 },
        fn: (s, { index, attempt }) => {
          seen.push(`${s}${index}@${attempt}`)
          return attempt < 2 ? err('again') : ok(s.toUpperCase())
        },
      })
      .run()
    expect(r._unsafeUnwrap()).toEqual(['A', 'B'])
    expect(seen).toEqual(['a0@1', 'a0@2', 'b1@1', 'b1@2'])
  })

  it('synchronous stages over a large sync source do not grow the stack', async () => {
    const r = await pipeline(range(100_000))
      .stage({ name: 'a', concurrency: 4, fn: (n) => ok(n + 1) })
      .chunk({ name: 'c', size: 1000 })
      .stage({ name: 'sum', fn: (xs) => ok(xs.length) })
      .run()
    expect(r._unsafeUnwrap().reduce((a, b) => a + b, 0)).toBe(100_000)
  })

  it('a synchronous endless source still yields to the event loop, so a signal can stop it', async () => {
    function* forever(): Generator<number> {
      for (let i = 0; ; i++) yield i
    }
    const ac = new AbortController()
    setTimeout(() => ac.abort('stop'), 20)
    const r = await expectNoLeaks(() =>
      pipeline(forever(), { signal: ac.signal })
        .stage({ name: 'inc', concurrency: 4, fn: (n) => ok(n + 1) })
        .run({ collect: false }),
    )
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
  })
})

describe('pipeline: bounded sizes and hostile input (0.2)', () => {
  it('refuses concurrency, buffer and chunk size of 2 ** 31 or 1e21 by name (no out-of-memory, no reject)', async () => {
    for (const [build, option] of [
      [
        () => pipeline(range(3)).stage({ name: 's', concurrency: 2 ** 31, fn: (x: number) => ok(x) }),
        'stages[0].concurrency',
      ],
      [
        () => pipeline(range(3)).stage({ name: 's', concurrency: 1e21, fn: (x: number) => ok(x) }),
        'stages[0].concurrency',
      ],
      [() => pipeline(range(3)).stage({ name: 's', buffer: 2 ** 31, fn: (x: number) => ok(x) }), 'stages[0].buffer'],
      [() => pipeline(range(3)).chunk({ name: 'c', size: 1e21 }), 'stages[0].size'],
    ] as [() => Pipeline<unknown, unknown>, string][]) {
      const r = await build().run()
      expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option })
      const [first] = await collect(build())
      expect(first?._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option })
    }
  })

  it('a stage at the bound allocates only what is in flight', async () => {
    const r = await pipeline(range(50))
      .stage({ name: 'wide', concurrency: 2 ** 30, buffer: 2 ** 30, fn: async (x) => ok(x * 2) })
      .run()
    expect(r._unsafeUnwrap()).toEqual(range(50).map((x) => x * 2))
  })

  it('a stage returning an object whose then getter throws fails that item with UnexpectedError, no hang', async () => {
    const hostile = () => throwingThen()
    async function* source() {
      yield 1
      yield 2
    }
    for (const extra of [{}, { timeoutMs: 1000 }, { retry: { attempts: 2 } }]) {
      const r = await pipeline(source(), { mode: 'settle' })
        .stage({ name: 'h', fn: () => hostile() as never, ...extra })
        .run()
      const { errors } = r._unsafeUnwrap()
      expect(errors).toHaveLength(2)
      for (const e of errors) expect(e.error).toBeInstanceOf(UnexpectedError)
    }
  })

  it('options, stages and run options behind throwing getters or Proxies are refused by name', async () => {
    const getter = (base: object, name: string) =>
      Object.defineProperty({ ...base }, name, {
        enumerable: true,
        get() {
          throw new Error(`no ${name}`)
        },
      })
    const byOpts = await pipeline(range(2), getter({}, 'mode') as never).run()
    expect(byOpts._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'mode' })
    const byStage = await pipeline(range(2))
      .stage(getter({ name: 's' }, 'fn') as never)
      .run()
    expect(byStage._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'stages[0].fn' })
    const trap = () => {
      throw new Error('trap')
    }
    const proxy = new Proxy({}, { get: trap, has: trap, ownKeys: trap, getPrototypeOf: trap })
    const byProxyStage = await pipeline(range(2))
      .stage(proxy as never)
      .run()
    expect(byProxyStage._unsafeUnwrapErr()).toBeInstanceOf(InvalidOptionsError)
    expect(
      pipeline(range(2))
        .stage(proxy as never)
        .metrics().stages,
    ).toHaveLength(1) // no throw before a run
    const byProxySource = await pipeline(proxy as never).run()
    expect(byProxySource._unsafeUnwrapErr()).toMatchObject({ option: 'source' })
    const byRunOpts = await pipeline(range(2)).run(getter({}, 'collect') as never)
    expect(byRunOpts._unsafeUnwrapErr()).toMatchObject({ option: 'collect' })
  })
})

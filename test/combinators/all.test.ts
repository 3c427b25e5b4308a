import { err, ok, okAsync, ResultAsync } from 'neverthrow'
import { describe, expect, it, vi } from 'vitest'
import {
  allAsync,
  CancelledError,
  InvalidOptionsError,
  type TaskContext,
  TimeoutError,
  UnexpectedError,
} from '../../src/index.js'
import { later, probe, throwingThen } from '../helpers.js'

describe('allAsync', () => {
  it('collects every kind of input in input order', async () => {
    const r = await allAsync([ok(1), okAsync('two'), Promise.resolve(ok(3)), () => ok(4), async () => ok(5)])
    expect(r._unsafeUnwrap()).toEqual([1, 'two', 3, 4, 5])
  })

  it('keeps the shape of a record', async () => {
    const r = await allAsync({ user: () => later(10, ok({ id: 1 })), posts: okAsync(['p']) })
    expect(r._unsafeUnwrap()).toEqual({ user: { id: 1 }, posts: ['p'] })
  })

  it('returns ok([]) and ok({}) for empty inputs', async () => {
    expect((await allAsync([]))._unsafeUnwrap()).toEqual([])
    expect((await allAsync({}))._unsafeUnwrap()).toEqual({})
  })

  it('returns the first err at once, without waiting for slower inputs, and aborts pending tasks', async () => {
    vi.useFakeTimers()
    try {
      const slow = probe(5_000, ok('slow'))
      const queued = probe(10, ok('queued'))
      let settled: unknown
      void allAsync([slow, () => later(5, err('boom' as const)), queued], { concurrency: 2 }).then((r) => {
        settled = r
      })
      await vi.advanceTimersByTimeAsync(5)
      // Decided at 5 ms, not after the 5 s of `slow`; nothing of it is left scheduled.
      expect((settled as { error?: unknown })?.error).toBe('boom')
      expect([slow.state.aborted, queued.state.started]).toEqual([true, 0])
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it('a task context keeps its signal through a spread, and hides its internals', async () => {
    let spread: Record<string, unknown> = {}
    await allAsync([
      (ctx: TaskContext) => {
        spread = { ...ctx }
        return ok(1)
      },
    ])
    expect(Object.keys(spread)).toEqual(['signal'])
    expect(spread.signal).toBeInstanceOf(AbortSignal)
  })

  it('a task that declares no parameter still gets a working signal through arguments or a rest parameter', async () => {
    const seen: AbortSignal[] = []
    const r = await allAsync([
      function (this: unknown) {
        // biome-ignore lint/complexity/noArguments: the case under test
        seen.push((arguments[0] as TaskContext).signal)
        return later(50, ok(1), seen[0])
      },
      (...args: TaskContext[]) => {
        seen.push((args[0] as TaskContext).signal)
        return err('stop' as const)
      },
    ])
    expect(r._unsafeUnwrapErr()).toBe('stop')
    expect(seen.map((s) => s instanceof AbortSignal)).toEqual([true, true])
    expect(seen[0]?.aborted).toBe(true) // the pending one was aborted through it
    expect(seen[1]?.aborted).toBe(false)
  })

  it('does not abort tasks that already succeeded', async () => {
    const winner = probe(1, ok('fast'))
    await allAsync([winner, () => later(20, err('late'))])
    expect(winner.state.aborted).toBe(false)
  })

  it('turns sync throws, rejections and non-Results into UnexpectedError with the cause', async () => {
    const boom = new Error('sync boom')
    const thrown = await allAsync([
      () => {
        throw boom
      },
    ])
    expect(thrown._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
    expect((thrown._unsafeUnwrapErr() as UnexpectedError).cause).toBe(boom)
    const rejected = await allAsync([Promise.reject(new Error('nope'))])
    expect((rejected._unsafeUnwrapErr() as UnexpectedError).message).toContain('nope')
    const notResult = await allAsync([() => 42 as never])
    expect((notResult._unsafeUnwrapErr() as UnexpectedError).message).toContain('Expected a Result, got 42')
  })

  it('respects concurrency for lazy tasks', async () => {
    let running = 0
    let peak = 0
    const task = (i: number) => async () => {
      running++
      peak = Math.max(peak, running)
      await later(2, ok(null))
      running--
      return ok(i)
    }
    const r = await allAsync(
      Array.from({ length: 20 }, (_, i) => task(i)),
      { concurrency: 3 },
    )
    expect(r._unsafeUnwrap()).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(peak).toBe(3)
  })

  it('handles many synchronous tasks without growing the stack', async () => {
    const tasks = Array.from({ length: 100_000 }, (_, i) => () => ok(i))
    const r = await allAsync(tasks, { concurrency: 1 })
    expect(r._unsafeUnwrap()).toHaveLength(100_000)
  })

  it('returns CancelledError for an already-aborted signal without starting tasks', async () => {
    const t = probe(1, ok(1))
    const r = await allAsync([t], { signal: AbortSignal.abort('stop') })
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect((r._unsafeUnwrapErr() as CancelledError).reason).toBe('stop')
    expect(t.state.started).toBe(0)
  })

  it('aborts running tasks when the signal aborts mid-way, with the signal reason', async () => {
    const c = new AbortController()
    const t = probe(5_000, ok(1))
    setTimeout(() => c.abort('user left'), 5)
    const r = await allAsync([t, new ResultAsync(later(50, ok(2)))], { signal: c.signal })
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect(t.state.reason).toBe('user left')
  })

  it.each([
    [0, 'concurrency'],
    [-1, 'concurrency'],
    [Number.NaN, 'concurrency'],
    [1.5, 'concurrency'],
  ])('concurrency %s → InvalidOptionsError naming the option', async (value, option) => {
    const t = probe(1, ok(1))
    const r = await allAsync([t], { concurrency: value })
    const e = r._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(InvalidOptionsError)
    expect(e).toMatchObject({ option, value })
    expect((e as InvalidOptionsError).message).toContain(Object.is(value, Number.NaN) ? 'NaN' : String(value))
    expect(t.state.started).toBe(0)
  })

  it('rejects a non-signal and a non-collection without throwing', async () => {
    expect((await allAsync([ok(1)], { signal: 'x' as never }))._unsafeUnwrapErr()).toMatchObject({ option: 'signal' })
    expect((await allAsync(null as never))._unsafeUnwrapErr()).toMatchObject({ option: 'inputs' })
  })
})

describe('allAsync timeoutMs', () => {
  it('gives each input its own limit from its start; the late one ends the call as TimeoutError labelled by its key', async () => {
    vi.useFakeTimers()
    try {
      const slow = probe(5_000, ok('slow'))
      let out: unknown
      void allAsync({ fast: () => later(10, ok(1)), slow }, { timeoutMs: 100 }).then((r) => {
        out = r
      })
      await vi.advanceTimersByTimeAsync(99)
      expect(out).toBeUndefined()
      await vi.advanceTimersByTimeAsync(1)
      const e = (out as { error: TimeoutError }).error
      expect(e).toBeInstanceOf(TimeoutError)
      expect([e.ms, e.label]).toEqual([100, 'slow'])
      expect(slow.state.reason).toBe(e)
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it('a queued task starts its clock when it starts', async () => {
    vi.useFakeTimers()
    try {
      let out: unknown
      void allAsync([() => later(80, ok(1)), () => later(80, ok(2))], { concurrency: 1, timeoutMs: 100 }).then((r) => {
        out = r
      })
      await vi.advanceTimersByTimeAsync(160)
      expect((out as { value: number[] }).value).toEqual([1, 2])
    } finally {
      vi.useRealTimers()
    }
  })

  it('a bad timeoutMs is InvalidOptionsError', async () => {
    expect((await allAsync([ok(1)], { timeoutMs: -1 }))._unsafeUnwrapErr()).toMatchObject({ option: 'timeoutMs' })
  })
})

describe('allAsync inputs and options read safely', () => {
  it('accepts a Set, a generator and map.values() as arrays, and refuses a Map', async () => {
    expect((await allAsync(new Set([ok(1), ok(2)]) as never))._unsafeUnwrap()).toEqual([1, 2])
    function* gen() {
      yield ok('a')
      yield () => ok('b')
    }
    expect((await allAsync(gen() as never))._unsafeUnwrap()).toEqual(['a', 'b'])
    const map = new Map([['k', ok(3)]])
    expect((await allAsync(map.values() as never))._unsafeUnwrap()).toEqual([3])
    expect((await allAsync(map as never))._unsafeUnwrapErr()).toMatchObject({ option: 'inputs' })
    expect((await allAsync(Promise.resolve(ok(1)) as never))._unsafeUnwrapErr()).toMatchObject({ option: 'inputs' })
  })

  it('an empty input with an already-aborted signal is CancelledError', async () => {
    const r = await allAsync([], { signal: AbortSignal.abort('stop') })
    expect((r._unsafeUnwrapErr() as CancelledError).reason).toBe('stop')
  })

  it('a non-object options argument is InvalidOptionsError (not an unbounded run)', async () => {
    const t = probe(1, ok(1))
    for (const bad of [5, 'x', true, []]) {
      expect((await allAsync([t], bad as never))._unsafeUnwrapErr()).toMatchObject({ option: 'options' })
    }
    expect(t.state.started).toBe(0)
  })

  it('an object whose then getter throws is an UnexpectedError, read once', async () => {
    let reads = 0
    const hostile = throwingThen(() => reads++)
    const r = await allAsync([async () => ok(1), () => hostile as never])
    expect((r._unsafeUnwrapErr() as UnexpectedError).message).toContain('then getter')
    expect(reads).toBe(1)
    const direct = await allAsync([hostile as never])
    expect(direct._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
  })

  it('throwing getters and Proxies in inputs or options give a typed err, never a rejection', async () => {
    const trap = () => {
      throw new Error('trap')
    }
    const proxy = new Proxy({}, { get: trap, ownKeys: trap, getPrototypeOf: trap })
    expect((await allAsync(proxy as never))._unsafeUnwrapErr()).toMatchObject({ option: 'inputs' })
    expect((await allAsync([ok(1)], proxy as never))._unsafeUnwrapErr()).toBeInstanceOf(InvalidOptionsError)
    const getter = Object.defineProperty({}, 'a', { enumerable: true, get: trap })
    expect((await allAsync(getter))._unsafeUnwrapErr()).toMatchObject({ option: 'inputs' })
    expect((await allAsync([proxy as never]))._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
  })
})

import { err, ok, type Result } from 'neverthrow'
import { afterAll, afterEach, beforeAll, expect, vi } from 'vitest'

/** A Result after `ms`; an abort of `signal` settles it at once with err('aborted') and is recorded. */
export function later<T, E>(ms: number, result: Result<T, E>, signal?: AbortSignal): Promise<Result<T, E | 'aborted'>> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve(result)
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      resolve(err('aborted' as const))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * `later(ms, ok(value), signal)` typed for a workflow's deps: its only error is 'aborted'. (A dep
 * declares the errors read off its type; `later`'s error type is generic, so it would declare
 * `unknown`.)
 */
export const laterOk = <T>(ms: number, value: T, signal?: AbortSignal): Promise<Result<T, 'aborted'>> =>
  later(ms, ok(value), signal)

/** A controllable lazy task: counts starts, records whether its signal was aborted and why. */
export function probe<T, E>(ms: number, result: Result<T, E>) {
  const state = { started: 0, aborted: false, reason: undefined as unknown }
  const task = ({ signal }: { signal: AbortSignal }) => {
    state.started++
    signal.addEventListener('abort', () => {
      state.aborted = true
      state.reason = signal.reason
    })
    return later(ms, result, signal)
  }
  return Object.assign(task, { state })
}

/** Active timers and immediates right now (the test runner keeps its own, so compare counts). */
export function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length
}

/**
 * Runs `body` and asserts it left no more timers behind than were active before it started
 * (vitest keeps a timeout timer of its own running during each test, and a test's own abort
 * timer may fire meanwhile).
 */
export async function expectNoLeaks<T>(body: () => PromiseLike<T>): Promise<T> {
  const before = timers()
  const out = await body()
  expect(timers()).toBeLessThanOrEqual(before)
  return out
}

export const tick = () => new Promise<void>((r) => setImmediate(r))

// --- Batch jobs, streams and pipelines (folded in from test/batch/helpers.ts) ---

/** Lets pending promise callbacks and immediates run (the same as `tick`). */
export const flush = tick

/** A promise with its resolve exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/** Waits `ms` without leaving a timer behind when `signal` aborts first (then it resolves at once). */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

/**
 * An async (or sync) source that counts what is pulled and whether `return()` was called.
 * `throwAt`: the pull that throws instead of yielding.
 */
export function countingSource<T>(values: readonly T[], opts: { async?: boolean; throwAt?: number } = {}) {
  const stats = { pulled: 0, returned: false, finished: false, threw: false }
  const { async = true, throwAt } = opts
  function* sync(): Generator<T> {
    try {
      for (const v of values) {
        if (stats.pulled === throwAt) {
          stats.threw = true
          throw new Error('source broke')
        }
        stats.pulled++
        yield v
      }
      stats.finished = true
    } finally {
      if (!stats.finished && !stats.threw) stats.returned = true
    }
  }
  async function* asyncGen(): AsyncGenerator<T> {
    try {
      for (const v of values) {
        await Promise.resolve()
        if (stats.pulled === throwAt) {
          stats.threw = true
          throw new Error('source broke')
        }
        stats.pulled++
        yield v
      }
      stats.finished = true
    } finally {
      if (!stats.finished && !stats.threw) stats.returned = true
    }
  }
  return { items: async ? asyncGen() : sync(), stats }
}

/** Tracks how many calls are in flight at once. */
export function inFlight() {
  const s = { now: 0, max: 0, started: 0, finished: 0 }
  return {
    s,
    enter() {
      s.now++
      s.started++
      if (s.now > s.max) s.max = s.now
    },
    leave() {
      s.now--
      s.finished++
    },
  }
}

/**
 * Fails the test during which anything rejected unhandled: after each test, lets pending
 * callbacks run and checks the count did not grow. (Not a last test of the file, which would
 * depend on running last.) `count()` is the total so far.
 */
export function noUnhandledRejections(): { count: () => number } {
  let count = 0
  let before = 0
  const onRejection = () => {
    count++
  }
  beforeAll(() => {
    process.on('unhandledRejection', onRejection)
  })
  afterEach(async () => {
    await flush()
    const grew = count - before
    before = count
    expect(grew, 'unhandled rejections during this test').toBe(0)
  })
  afterAll(() => {
    process.off('unhandledRejection', onRejection)
  })
  return { count: () => count }
}

/** Active timers of this process (vitest's own are not Timeouts). */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

/** Drains a stream of Results into an array. */
export async function collect<T, E>(stream: AsyncIterable<Result<T, E>>): Promise<Result<T, E>[]> {
  const out: Result<T, E>[] = []
  for await (const r of stream) out.push(r)
  return out
}

/** Values of ok Results, `{ err }` for the others: easy to compare with toEqual. */
export const values = <T, E>(rs: Result<T, E>[]) => rs.map((r) => (r.isOk() ? r.value : { err: r.error }))

/** The `{ index, error }` fields of an ItemFailedError (or of each in a list), to compare with toEqual. */
export function fields<T extends { index: number; error: unknown }>(e: T): { index: number; error: T['error'] }
export function fields<T extends { index: number; error: unknown }>(
  e: readonly T[],
): { index: number; error: T['error'] }[]
export function fields(e: unknown): unknown {
  const one = ({ index, error }: { index: number; error: unknown }) => ({ index, error })
  return Array.isArray(e) ? e.map(one) : one(e as { index: number; error: unknown })
}

/**
 * Runs `body` on a fake clock (setTimeout and performance.now; setImmediate stays real, so
 * `flush` works), moves the clock `ms` forward, and returns what `body` settled to. Asserts no
 * fake timer is left behind (a timer leak), then restores the real clock. For tests where time is
 * the subject: no real sleeping, no wall-clock bounds.
 */
export async function onFakeClock<T>(ms: number, body: () => PromiseLike<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
  try {
    const settled = body()
    await vi.advanceTimersByTimeAsync(ms)
    const out = await settled
    expect(vi.getTimerCount(), 'timers left behind').toBe(0)
    return out
  } finally {
    vi.useRealTimers()
  }
}

/** An object whose `then` getter throws `then getter` (a fresh one per call); `onRead` counts the reads. */
export function throwingThen(onRead?: () => void): object {
  return Object.defineProperty({}, 'then', {
    get() {
      onRead?.()
      throw new Error('then getter')
    },
  })
}

// Taken before any test fakes timers: polling keeps real time while the code's timers are faked.
const realSetTimeout = globalThis.setTimeout
/** Resolves once `condition()` holds, checking every few ms (the test's own timeout bounds it). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => realSetTimeout(resolve, 5))
}

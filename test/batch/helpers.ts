import type { Result } from 'neverthrow'
import { afterAll, beforeAll } from 'vitest'

/** A promise with its resolve exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/** Waits `ms` without leaving a timer behind when `signal` aborts first. */
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

/** Lets pending promise callbacks and immediates run. */
export const flush = (): Promise<void> => new Promise((r) => setImmediate(r))

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

/** Fails the suite if anything rejects unhandled while it runs. */
export function noUnhandledRejections(): { count: () => number } {
  let count = 0
  const onRejection = () => {
    count++
  }
  beforeAll(() => {
    process.on('unhandledRejection', onRejection)
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

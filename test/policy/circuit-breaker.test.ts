import { err, ok, type Result } from 'neverthrow'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  type BreakerStateChange,
  BulkheadRejectedError,
  CancelledError,
  CircuitOpenError,
  circuitBreaker,
  memoryBreakerStore,
  UnexpectedError,
} from '../../src/index.js'

const okTask = () => ok('fine')
const failTask = () => err('boom' as const)
/** A task that settles when the test says so. */
function deferred<T, E>() {
  let resolve!: (r: Result<T, E>) => void
  const promise = new Promise<Result<T, E>>((r) => {
    resolve = r
  })
  return { task: () => promise, resolve }
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('circuitBreaker (consecutive failures)', () => {
  it('closed → open after `threshold` failures in a row; open refuses without running the task', async () => {
    const changes: BreakerStateChange[] = []
    const b = circuitBreaker({ threshold: 3, halfOpenAfterMs: 1000, onStateChange: (c) => changes.push(c) })
    expect((await b.execute(failTask))._unsafeUnwrapErr()).toBe('boom')
    expect((await b.execute(failTask))._unsafeUnwrapErr()).toBe('boom')
    expect(b.state()).toBe('closed')
    expect((await b.execute(failTask))._unsafeUnwrapErr()).toBe('boom')
    expect(b.state()).toBe('open')
    const task = vi.fn(okTask)
    const r = await b.execute(task)
    expect(task).not.toHaveBeenCalled()
    const e = r._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(CircuitOpenError)
    expect((e as CircuitOpenError).retryAfterMs).toBe(1000)
    expect(changes).toEqual([{ from: 'closed', to: 'open', at: 1_000_000 }])
  })

  it('a success resets the count of failures in a row', async () => {
    const b = circuitBreaker({ threshold: 2, halfOpenAfterMs: 1000 })
    await b.execute(failTask)
    await b.execute(okTask)
    await b.execute(failTask)
    expect(b.state()).toBe('closed')
    await b.execute(failTask)
    expect(b.state()).toBe('open')
  })

  it('open → half-open after halfOpenAfterMs → closed when the trial succeeds', async () => {
    const changes: string[] = []
    const b = circuitBreaker({
      threshold: 1,
      halfOpenAfterMs: 1000,
      onStateChange: ({ from, to }) => changes.push(`${from}→${to}`),
    })
    await b.execute(failTask)
    await vi.advanceTimersByTimeAsync(999)
    expect(b.state()).toBe('open')
    expect(((await b.execute(okTask))._unsafeUnwrapErr() as CircuitOpenError).retryAfterMs).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(b.state()).toBe('half-open')
    expect((await b.execute(okTask))._unsafeUnwrap()).toBe('fine')
    expect(b.state()).toBe('closed')
    expect(changes).toEqual(['closed→open', 'open→half-open', 'half-open→closed'])
  })

  it('half-open → open again when the trial fails, with a fresh halfOpenAfterMs', async () => {
    const b = circuitBreaker({ threshold: 1, halfOpenAfterMs: 1000 })
    await b.execute(failTask)
    await vi.advanceTimersByTimeAsync(1000)
    expect(b.state()).toBe('half-open')
    await vi.advanceTimersByTimeAsync(500)
    await b.execute(failTask)
    expect(b.state()).toBe('open')
    const e = (await b.execute(okTask))._unsafeUnwrapErr() as CircuitOpenError
    expect(e.retryAfterMs).toBe(1000)
    await vi.advanceTimersByTimeAsync(1000)
    expect(b.state()).toBe('half-open')
  })

  it('half-open lets at most halfOpenCalls trials through; all must succeed to close', async () => {
    const b = circuitBreaker({ threshold: 1, halfOpenAfterMs: 100, halfOpenCalls: 2 })
    await b.execute(failTask)
    await vi.advanceTimersByTimeAsync(100)
    const t1 = deferred<string, string>()
    const t2 = deferred<string, string>()
    const p1 = b.execute(t1.task)
    const p2 = b.execute(t2.task)
    const third = vi.fn(okTask)
    const r3 = await b.execute(third)
    expect(third).not.toHaveBeenCalled()
    expect((r3._unsafeUnwrapErr() as CircuitOpenError).retryAfterMs).toBe(0)
    t1.resolve(ok('a'))
    await p1
    expect(b.state()).toBe('half-open') // one success of two
    // A finished trial does not free its place: still two trials for this half-open period.
    expect((await b.execute(okTask))._unsafeUnwrapErr()).toBeInstanceOf(CircuitOpenError)
    t2.resolve(ok('b'))
    await p2
    expect(b.state()).toBe('closed')
  })

  it('a trial whose caller aborts frees its place without deciding anything', async () => {
    const b = circuitBreaker({ threshold: 1, halfOpenAfterMs: 100 })
    await b.execute(failTask)
    await vi.advanceTimersByTimeAsync(100)
    const ac = new AbortController()
    const hang = deferred<string, string>()
    const p = b.execute(hang.task, { signal: ac.signal })
    ac.abort('user left')
    expect((await p)._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    hang.resolve(err('late failure'))
    await vi.advanceTimersByTimeAsync(0)
    expect(b.state()).toBe('half-open')
    expect((await b.execute(okTask))._unsafeUnwrap()).toBe('fine')
    expect(b.state()).toBe('closed')
    expect(b.metrics()).toMatchObject({ cancelled: 1, successes: 1, failures: 1 })
  })

  it('a late result from before the breaker opened decides nothing in the next period', async () => {
    const b = circuitBreaker({ threshold: 1, halfOpenAfterMs: 100 })
    const slow = deferred<string, string>()
    const pSlow = b.execute(slow.task) // admitted while closed
    await b.execute(failTask) // opens
    await vi.advanceTimersByTimeAsync(100) // half-open
    slow.resolve(ok('late'))
    await pSlow
    expect(b.state()).toBe('half-open') // the late success was not a trial
  })

  it('isFailure chooses which errors count; an uncounted error counts like a success', async () => {
    const b = circuitBreaker({ threshold: 2, halfOpenAfterMs: 100, isFailure: (e) => e !== 'not found' })
    await b.execute(failTask)
    await b.execute(() => err('not found'))
    await b.execute(failTask)
    expect(b.state()).toBe('closed')
    expect(b.metrics()).toMatchObject({ calls: 3, failures: 2, ignored: 1 })
  })

  it("by default okflow's own refusals (a full bulkhead inside) are not failures", async () => {
    const b = circuitBreaker({ threshold: 1, halfOpenAfterMs: 100 })
    await b.execute(() => err(new BulkheadRejectedError(1, 0)))
    expect(b.state()).toBe('closed')
  })

  it('a throwing isFailure counts as a failure and the call ends with UnexpectedError', async () => {
    const b = circuitBreaker({
      threshold: 1,
      halfOpenAfterMs: 100,
      isFailure: () => {
        throw new Error('bad predicate')
      },
    })
    const e = (await b.execute(failTask))._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(UnexpectedError)
    expect(b.state()).toBe('open')
  })

  it('a throwing task becomes UnexpectedError and counts as a failure', async () => {
    const b = circuitBreaker({ threshold: 1, halfOpenAfterMs: 100 })
    const r = await b.execute(() => {
      throw new Error('thrown')
    })
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
    expect(b.state()).toBe('open')
  })

  it('a throwing onStateChange does not change the outcome', async () => {
    const b = circuitBreaker({
      threshold: 1,
      halfOpenAfterMs: 100,
      onStateChange: () => {
        throw new Error('monitor down')
      },
    })
    expect((await b.execute(failTask))._unsafeUnwrapErr()).toBe('boom')
    expect(b.state()).toBe('open')
  })

  it('uses no timer: nothing is pending while open', async () => {
    const b = circuitBreaker({ threshold: 1, halfOpenAfterMs: 60_000 })
    await b.execute(failTask)
    expect(b.state()).toBe('open')
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('circuitBreaker (failure ratio over a window)', () => {
  // windowMs 1000 → 10 buckets of 100 ms; the window is the current bucket and the 9 before it.
  const ratio = () => circuitBreaker({ threshold: 0.5, windowMs: 1000, minimumCalls: 4, halfOpenAfterMs: 5000 })

  it('opens when the failure ratio reaches the threshold with at least minimumCalls calls', async () => {
    const b = ratio()
    await b.execute(okTask)
    await b.execute(failTask)
    await b.execute(okTask)
    expect(b.state()).toBe('closed') // 1/3 and below minimumCalls
    await b.execute(failTask)
    expect(b.state()).toBe('open') // 2/4 = 0.5
  })

  it('below minimumCalls even 100% failures do not open it', async () => {
    const b = ratio()
    for (let i = 0; i < 3; i++) await b.execute(failTask)
    expect(b.state()).toBe('closed')
    await b.execute(failTask)
    expect(b.state()).toBe('open')
  })

  it('edge: an outcome still counts 999 ms later (same window)', async () => {
    const b = ratio()
    // t = 1_000_000 is the start of a 100 ms bucket.
    for (let i = 0; i < 3; i++) await b.execute(okTask)
    await vi.advanceTimersByTimeAsync(999)
    await b.execute(failTask)
    await b.execute(failTask)
    expect(b.state()).toBe('closed') // 2 of 5
    await b.execute(failTask)
    expect(b.state()).toBe('open') // 3 of 6: the three oks are still in the window
  })

  it('edge: an outcome no longer counts 1000 ms later (its bucket left the window)', async () => {
    const b = ratio()
    for (let i = 0; i < 3; i++) await b.execute(okTask)
    await vi.advanceTimersByTimeAsync(1000)
    for (let i = 0; i < 3; i++) await b.execute(failTask)
    expect(b.state()).toBe('closed') // 3 calls in the window: below minimumCalls (the oks are gone)
    await b.execute(failTask)
    expect(b.state()).toBe('open') // 4 of 4
  })

  it('successes alone never open it, and half-open → closed resets the window', async () => {
    const b = ratio()
    for (let i = 0; i < 4; i++) await b.execute(failTask)
    expect(b.state()).toBe('open')
    await vi.advanceTimersByTimeAsync(5000)
    await b.execute(okTask)
    expect(b.state()).toBe('closed')
    // The four old failures are gone: three more failures stay below minimumCalls.
    for (let i = 0; i < 3; i++) await b.execute(failTask)
    expect(b.state()).toBe('closed')
  })
})

describe('circuitBreaker shared state (store)', () => {
  it('two breakers on one store act as one: one opens it, the other refuses', async () => {
    const store = memoryBreakerStore()
    const a = circuitBreaker({ threshold: 2, halfOpenAfterMs: 1000, store })
    const seen: string[] = []
    const b = circuitBreaker({ threshold: 2, halfOpenAfterMs: 1000, store, onStateChange: (c) => seen.push(c.to) })
    await a.execute(failTask)
    await b.execute(failTask) // failures in a row are shared too
    expect(a.state()).toBe('open')
    const task = vi.fn(okTask)
    expect((await b.execute(task))._unsafeUnwrapErr()).toBeInstanceOf(CircuitOpenError)
    expect(task).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1000)
    expect((await a.execute(okTask)).isOk()).toBe(true)
    expect(b.state()).toBe('closed')
    // b reports the changes it sees: it never looked while the breaker was half-open.
    expect(seen).toEqual(['open', 'closed'])
    expect(store.get()).toMatchObject({ state: 'closed', openings: 1 })
  })

  it('a custom store sees a new immutable snapshot on every change', async () => {
    const snapshots: unknown[] = []
    let current: never
    const b = circuitBreaker({
      threshold: 2,
      halfOpenAfterMs: 10,
      store: {
        get: () => current,
        set: (s) => {
          snapshots.push(s)
          current = s as never
        },
      },
    })
    await b.execute(okTask) // nothing changed: no write
    await b.execute(failTask)
    await b.execute(failTask)
    expect(snapshots).toEqual([
      expect.objectContaining({ state: 'closed', failures: 1 }),
      expect.objectContaining({ state: 'open', failures: 0, openedAt: 1_000_000, openings: 1 }),
    ])
    expect(snapshots[0]).not.toBe(snapshots[1])
    expect(JSON.parse(JSON.stringify(snapshots[1]))).toEqual(snapshots[1])
  })
})

import { err, ok, type Result } from 'neverthrow'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  bulkhead,
  CancelledError,
  CircuitOpenError,
  circuitBreaker,
  fallback,
  InvalidOptionsError,
  policy,
  retryPolicy,
  TimeoutError,
  timeoutPolicy,
  UnexpectedError,
} from '../../src/index.js'
import type { Chain, Done, Layer } from '../../src/policy/executor.js'
import { BasePolicy } from '../../src/policy/executor.js'

beforeEach(() => {
  vi.useFakeTimers({ now: 0 })
})
afterEach(() => {
  vi.useRealTimers()
})

/** A policy that logs when a call enters it and when the result comes back out. */
function tracer(name: string, log: string[]) {
  const layer: Layer = {
    run(signal: AbortSignal | undefined, done: Done, chain: Chain, next: number) {
      log.push(`${name} in`)
      chain.run(next, signal, (r) => {
        log.push(`${name} out`)
        done(r)
      })
    },
  }
  return new BasePolicy([layer], undefined)
}

describe('policy(a, b, c)', () => {
  it('the first policy is outermost: a(b(c(task)))', async () => {
    const log: string[] = []
    const p = policy(tracer('a', log), tracer('b', log), tracer('c', log))
    await p.execute(() => {
      log.push('task')
      return ok(1)
    })
    expect(log).toEqual(['a in', 'b in', 'c in', 'task', 'c out', 'b out', 'a out'])
  })

  it('compositions nest: policy(policy(a, b), c) is policy(a, b, c)', async () => {
    const log: string[] = []
    await policy(policy(tracer('a', log), tracer('b', log)), tracer('c', log)).execute(() => ok(1))
    expect(log.filter((l) => l.endsWith('in'))).toEqual(['a in', 'b in', 'c in'])
  })

  it('retry outside a breaker: each attempt counts, and the open breaker ends the retries', async () => {
    const breaker = circuitBreaker({ threshold: 2, halfOpenAfterMs: 10_000 })
    let calls = 0
    const p = policy(retryPolicy({ attempts: 5, retryIf: (e) => !(e instanceof CircuitOpenError) }), breaker)
    const r = await p.execute(() => {
      calls++
      return err('down')
    })
    expect(calls).toBe(2) // the third attempt met the open breaker, which is not retried
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(CircuitOpenError)
    expect(breaker.metrics()).toMatchObject({ calls: 3, failures: 2, rejected: 1 })
  })

  it('a timeout inside the breaker counts as a failure; outside it, the breaker sees a cancellation', async () => {
    const hang = () => new Promise<Result<number, never>>(() => {})
    const inner = circuitBreaker({ threshold: 1, halfOpenAfterMs: 1000 })
    const p1 = policy(inner, timeoutPolicy(50)).execute(hang)
    await vi.advanceTimersByTimeAsync(50)
    expect((await p1)._unsafeUnwrapErr()).toBeInstanceOf(TimeoutError)
    expect(inner.state()).toBe('open')

    const outer = circuitBreaker({ threshold: 1, halfOpenAfterMs: 1000 })
    const p2 = policy(timeoutPolicy(50), outer).execute(({ signal }) => {
      return new Promise<Result<number, string>>((resolve) =>
        signal.addEventListener('abort', () => resolve(err('aborted'))),
      )
    })
    await vi.advanceTimersByTimeAsync(50)
    expect((await p2)._unsafeUnwrapErr()).toBeInstanceOf(TimeoutError)
    expect(outer.state()).toBe('closed')
    expect(outer.metrics().cancelled).toBe(1)
  })

  it('a fallback outside the breaker answers its refusals; inside, it hides the failures from it', async () => {
    const b1 = circuitBreaker({ threshold: 1, halfOpenAfterMs: 1000 })
    const cached = fallback(() => ok('cached'))
    const outside = policy(cached, b1)
    expect((await outside.execute(() => err('down')))._unsafeUnwrap()).toBe('cached')
    expect(b1.state()).toBe('open')
    expect((await outside.execute(() => ok('live')))._unsafeUnwrap()).toBe('cached') // refused, answered

    const b2 = circuitBreaker({ threshold: 1, halfOpenAfterMs: 1000 })
    const inside = policy(b2, cached)
    expect((await inside.execute(() => err('down')))._unsafeUnwrap()).toBe('cached')
    expect(b2.state()).toBe('closed')
  })

  it('bulkhead inside the breaker: a full bulkhead is not a failure of the service', async () => {
    const breaker = circuitBreaker({ threshold: 1, halfOpenAfterMs: 1000 })
    const p = policy(breaker, bulkhead({ concurrency: 1 }))
    const slow = p.execute(() => new Promise<Result<number, never>>((r) => setTimeout(() => r(ok(1)), 10)))
    const refused = await p.execute(() => ok(2))
    expect(refused.isErr() && refused.error._tag).toBe('BulkheadRejectedError')
    expect(breaker.state()).toBe('closed')
    await vi.advanceTimersByTimeAsync(10)
    expect((await slow)._unsafeUnwrap()).toBe(1)
  })

  it('a caller abort settles at once through every layer and leaves no timer', async () => {
    const ac = new AbortController()
    const p = policy(retryPolicy({ attempts: 3, backoff: { initialMs: 100 } }), timeoutPolicy(1000)).execute(
      ({ signal }) =>
        new Promise<Result<number, string>>((resolve) => signal.addEventListener('abort', () => resolve(err('stop')))),
      { signal: ac.signal },
    )
    ac.abort('user')
    const e = (await p)._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(CancelledError)
    await vi.advanceTimersByTimeAsync(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a non-policy argument makes the composition invalid, naming its position', async () => {
    const p = policy(bulkhead({ concurrency: 1 }), {} as never)
    expect(p.invalid).toBeInstanceOf(InvalidOptionsError)
    const e = (await p.execute(() => ok(1)))._unsafeUnwrapErr() as InvalidOptionsError
    expect(e.option).toBe('policies[1]')
  })

  it('an invalid member makes the composition invalid with its error', async () => {
    const p = policy(bulkhead({ concurrency: 0 }))
    expect(((await p.execute(() => ok(1)))._unsafeUnwrapErr() as InvalidOptionsError).option).toBe('concurrency')
  })

  it('policy() with no members just runs the task (a throw becomes UnexpectedError)', async () => {
    expect((await policy().execute(() => ok(1)))._unsafeUnwrap()).toBe(1)
    const r = await policy().execute(() => {
      throw new Error('x')
    })
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
  })
})

describe('fallback', () => {
  it('handles only the errors `when` accepts; the others pass through', async () => {
    const f = fallback(() => ok('default'), { when: (e): e is 'soft' => e === 'soft' })
    expect((await f.execute(() => err('soft' as const)))._unsafeUnwrap()).toBe('default')
    expect((await f.execute(() => err('hard' as const)))._unsafeUnwrapErr()).toBe('hard')
  })

  it("onError's err becomes the call's error; a throw in it becomes UnexpectedError", async () => {
    expect((await fallback(() => err('fallback down')).execute(() => err('x')))._unsafeUnwrapErr()).toBe(
      'fallback down',
    )
    const r = await fallback(() => {
      throw new Error('oops')
    }).execute(() => err('x'))
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
  })

  it('is not called for a cancelled call', async () => {
    const onError = vi.fn(() => ok('default'))
    const ac = new AbortController()
    const p = fallback(onError).execute(
      ({ signal }) =>
        new Promise<Result<number, string>>((r) => signal.addEventListener('abort', () => r(err('aborted')))),
      { signal: ac.signal },
    )
    ac.abort()
    expect((await p)._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    await vi.advanceTimersByTimeAsync(0)
    expect(onError).not.toHaveBeenCalled()
  })

  it('gets the error and a signal', async () => {
    const f = fallback((e, { signal }) => ok(`${String(e)} ${signal.aborted}`))
    expect((await f.execute(() => err('boom')))._unsafeUnwrap()).toBe('boom false')
  })
})

describe('timeoutPolicy and retryPolicy', () => {
  it('timeoutPolicy aborts the task with the TimeoutError and clears its timer when the task wins', async () => {
    let reason: unknown
    const p = timeoutPolicy(100, { label: 'charge' }).execute(
      ({ signal }) =>
        new Promise<Result<number, string>>((r) =>
          signal.addEventListener('abort', () => {
            reason = signal.reason
            r(err('aborted'))
          }),
        ),
    )
    await vi.advanceTimersByTimeAsync(100)
    const e = (await p)._unsafeUnwrapErr() as TimeoutError
    expect(e).toMatchObject({ _tag: 'TimeoutError', ms: 100, label: 'charge' })
    expect(reason).toBe(e)
    expect((await timeoutPolicy(100).execute(() => ok(1)))._unsafeUnwrap()).toBe(1)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('retryPolicy makes at most `attempts` calls, sleeping per backoff, none after the last', async () => {
    const times: number[] = []
    const p = retryPolicy({ attempts: 3, backoff: { initialMs: 100, factor: 2 } }).execute(() => {
      times.push(Date.now())
      return err('no')
    })
    await vi.advanceTimersByTimeAsync(1000)
    expect((await p)._unsafeUnwrapErr()).toBe('no')
    expect(times).toEqual([0, 100, 300])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('an abort during a retry sleep → CancelledError at once, the sleep timer cleared', async () => {
    const ac = new AbortController()
    let calls = 0
    const p = retryPolicy({ attempts: 3, backoff: { initialMs: 1000 } }).execute(
      () => {
        calls++
        return err('no')
      },
      { signal: ac.signal },
    )
    await vi.advanceTimersByTimeAsync(10)
    ac.abort()
    expect((await p)._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect(vi.getTimerCount()).toBe(0)
    expect(calls).toBe(1)
  })
})

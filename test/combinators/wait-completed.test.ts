import { err, ok, okAsync, type Result } from 'neverthrow'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type AnyInput,
  CancelledError,
  InvalidOptionsError,
  selectAsync,
  UnexpectedError,
  waitCompleted,
} from '../../src/index.js'
import { deferred, probe } from '../helpers.js'

afterEach(() => {
  vi.useRealTimers()
})

const fake = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })

describe('waitCompleted', () => {
  it('resolves when the first input finishes, with the rest still running', async () => {
    fake()
    const a = probe(30, ok('a'))
    const b = probe(10, err('b'))
    const c = probe(20, ok('c'))
    const wait = waitCompleted([a, b, c])
    await vi.advanceTimersByTimeAsync(10)
    const r = (await wait)._unsafeUnwrap()
    expect(r.completed).toEqual([{ index: 1, result: err('b') }])
    expect(r.pending.map((p) => p.index)).toEqual([0, 2])
    expect([a.state.aborted, c.state.aborted]).toEqual([false, false])
    await vi.advanceTimersByTimeAsync(20)
    expect(await r.pending[0]).toEqual(ok('a'))
    expect(await r.pending[1]).toEqual(ok('c'))
    expect(vi.getTimerCount()).toBe(0)
  })

  it('counts every input finished in the same turn as completed, in completion order', async () => {
    const gate = deferred()
    const later2 = gate.promise.then(() => ok(2))
    const later1 = gate.promise.then(() => ok(1))
    const never = new Promise<Result<number, never>>(() => {})
    const wait = waitCompleted([never, later2, later1, () => never])
    gate.resolve()
    const r = (await wait)._unsafeUnwrap()
    expect(r.completed).toEqual([
      { index: 1, result: ok(2) },
      { index: 2, result: ok(1) },
    ])
    expect(r.pending.map((p) => p.index)).toEqual([0, 3])
    r.cancelPending()
  })

  it('an input that finishes in a later turn stays pending and settles its entry', async () => {
    fake()
    const wait = waitCompleted([probe(10, ok(0)), probe(5, ok(1)), probe(5, ok(2)), probe(50, ok(3))])
    await vi.advanceTimersByTimeAsync(5)
    const r = (await wait)._unsafeUnwrap()
    // Two timers due at the same time are two macrotasks: the first decides, the second is pending.
    expect(r.completed.map((c) => c.index)).toEqual([1])
    expect(r.pending.map((p) => p.index)).toEqual([0, 2, 3])
    expect(await r.pending[1]).toEqual(ok(2))
    r.cancelPending()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('counts synchronous results and already-settled promises alike', async () => {
    const r = (
      await waitCompleted([() => new Promise<Result<number, never>>(() => {}), ok(1), okAsync(2)])
    )._unsafeUnwrap()
    expect(r.completed.map((c) => c.index)).toEqual([1, 2])
    expect(r.pending.map((p) => p.index)).toEqual([0])
    r.cancelPending()
    expect(await r.pending[0]).toSatisfy((x: Result<number, unknown>) => x.isErr())
  })

  it('a wait loop over pending starts nothing twice and sees every input once', async () => {
    fake()
    const tasks = [probe(30, ok('a')), probe(10, err('b')), probe(20, ok('c'))]
    const seen: string[] = []
    const loop = (async () => {
      let pending: readonly AnyInput[] = tasks
      while (pending.length > 0) {
        const r = (await waitCompleted(pending))._unsafeUnwrap()
        for (const { result } of r.completed) seen.push(result.isOk() ? String(result.value) : `err:${result.error}`)
        pending = r.pending
      }
    })()
    await vi.advanceTimersByTimeAsync(30)
    await loop
    expect(seen).toEqual(['err:b', 'c', 'a'])
    expect(tasks.map((t) => t.state.started)).toEqual([1, 1, 1])
  })

  it('pending inputs can be passed to selectAsync without starting them again', async () => {
    fake()
    const tasks = [probe(5, ok('fast')), probe(20, ok('slow')), probe(10, ok('mid'))]
    const wait = waitCompleted(tasks)
    await vi.advanceTimersByTimeAsync(5)
    const { pending } = (await wait)._unsafeUnwrap()
    const select = selectAsync(pending)
    await vi.advanceTimersByTimeAsync(5)
    const s = (await select)._unsafeUnwrap()
    expect(s.result).toEqual(ok('mid'))
    await vi.advanceTimersByTimeAsync(10)
    expect(await s.rest[0]).toEqual(ok('slow'))
    expect(tasks.map((t) => t.state.started)).toEqual([1, 1, 1])
  })

  it('cancel() on a pending entry aborts its task and settles it as CancelledError at once', async () => {
    fake()
    const slow = probe(100, ok('slow'))
    const other = probe(100, ok('other'))
    const wait = waitCompleted([probe(1, ok('first')), slow, other])
    await vi.advanceTimersByTimeAsync(1)
    const r = (await wait)._unsafeUnwrap()
    r.pending[0]?.cancel('not needed')
    const cancelled = (await r.pending[0])?._unsafeUnwrapErr()
    expect(cancelled).toBeInstanceOf(CancelledError)
    expect((cancelled as CancelledError).reason).toBe('not needed')
    expect(slow.state.aborted).toBe(true)
    expect(other.state.aborted).toBe(false)
    await vi.advanceTimersByTimeAsync(100)
    expect(await r.pending[1]).toEqual(ok('other'))
    r.pending[1]?.cancel() // no effect once settled
    expect(await r.pending[1]).toEqual(ok('other'))
    expect(vi.getTimerCount()).toBe(0)
  })

  it('cancelPending() aborts every pending task; an already-running promise is abandoned, not awaited', async () => {
    fake()
    const a = probe(100, ok('a'))
    const never = new Promise<Result<string, never>>(() => {})
    const wait = waitCompleted([a, ok('done'), never])
    const r = (await wait)._unsafeUnwrap()
    expect(r.completed).toEqual([{ index: 1, result: ok('done') }])
    r.cancelPending('enough')
    const outs = await Promise.all(r.pending)
    expect(outs.map((o) => o._unsafeUnwrapErr())).toEqual([expect.any(CancelledError), expect.any(CancelledError)])
    expect(a.state.aborted).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('keeps the record shape: completed and pending entries carry their key', async () => {
    fake()
    const wait = waitCompleted({ user: probe(5, ok({ id: 1 })), posts: probe(50, ok(['p'])) })
    await vi.advanceTimersByTimeAsync(5)
    const r = (await wait)._unsafeUnwrap()
    expect(r.completed).toEqual([{ index: 0, key: 'user', result: ok({ id: 1 }) }])
    expect(r.pending.map((p) => [p.index, p.key])).toEqual([[1, 'posts']])
    await vi.advanceTimersByTimeAsync(50)
    expect(await r.pending[0]).toEqual(ok(['p']))
  })

  it('turns a throwing task into a completed UnexpectedError', async () => {
    const r = (
      await waitCompleted([
        () => {
          throw new Error('boom')
        },
      ])
    )._unsafeUnwrap()
    expect(r.completed[0]?.result._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
    expect(r.pending).toEqual([])
  })

  it('an empty input is ok with nothing completed and nothing pending', async () => {
    const r = (await waitCompleted([]))._unsafeUnwrap()
    expect(r.completed).toEqual([])
    expect(r.pending).toEqual([])
    const rec = (await waitCompleted({}))._unsafeUnwrap()
    expect([rec.completed, rec.pending]).toEqual([[], []])
  })

  it('refuses inputs that are not a collection and a signal that is not an AbortSignal', async () => {
    const bad = (await waitCompleted(42 as never))._unsafeUnwrapErr()
    expect(bad).toBeInstanceOf(InvalidOptionsError)
    expect((bad as InvalidOptionsError).option).toBe('inputs')
    const a = probe(10, ok(1))
    const badSignal = (await waitCompleted([a], { signal: 'x' as never }))._unsafeUnwrapErr()
    expect((badSignal as InvalidOptionsError).option).toBe('signal')
    expect(a.state.started).toBe(0)
  })

  it('an already-aborted signal cancels without starting anything', async () => {
    const a = probe(10, ok(1))
    const r = await waitCompleted([a], { signal: AbortSignal.abort('stop') })
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect(a.state.started).toBe(0)
  })

  it('a signal aborted before any input finishes cancels the wait and aborts every task', async () => {
    fake()
    const c = new AbortController()
    const a = probe(100, ok(1))
    const b = probe(100, ok(2))
    const wait = waitCompleted([a, b], { signal: c.signal })
    await vi.advanceTimersByTimeAsync(10)
    c.abort('user')
    const e = (await wait)._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(CancelledError)
    expect((e as CancelledError).reason).toBe('user')
    expect([a.state.aborted, b.state.aborted]).toEqual([true, true])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a signal aborted after the wait returned cancels the pending inputs, and its listener is removed when they settle', async () => {
    fake()
    const c = new AbortController()
    const slow = probe(100, ok('slow'))
    const wait = waitCompleted([probe(1, ok('fast')), slow], { signal: c.signal })
    await vi.advanceTimersByTimeAsync(1)
    const r = (await wait)._unsafeUnwrap()
    c.abort('later')
    expect((await r.pending[0])?._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect(slow.state.aborted).toBe(true)
    expect(vi.getTimerCount()).toBe(0)

    // Without an abort: once every pending input settles, no listener stays on the signal.
    const c2 = new AbortController()
    const add2 = vi.spyOn(c2.signal, 'addEventListener')
    const remove2 = vi.spyOn(c2.signal, 'removeEventListener')
    const wait2 = waitCompleted([probe(1, ok(1)), probe(5, ok(2))], { signal: c2.signal })
    await vi.advanceTimersByTimeAsync(5)
    const r2 = (await wait2)._unsafeUnwrap()
    expect(await r2.pending[0]).toEqual(ok(2))
    // Tasks get signals of their own, so every listener on the user's signal is okflow's.
    expect(add2.mock.calls.length).toBeGreaterThan(0)
    expect(remove2.mock.calls.length).toBe(add2.mock.calls.length)
  })

  it('does not leave an unhandled rejection when an abandoned promise rejects later', async () => {
    const d = deferred<Result<number, never>>()
    const rejecting = d.promise.then(() => Promise.reject(new Error('late')))
    const r = (await waitCompleted([ok(1), rejecting]))._unsafeUnwrap()
    d.resolve(ok(0))
    const late = await r.pending[0]
    expect(late?._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
  })
})

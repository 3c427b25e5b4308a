import { err, ok, type ResultAsync } from 'neverthrow'
import { describe, expect, it } from 'vitest'
import { CancelledError, InvalidOptionsError, selectAsync, type TaskContext, UnexpectedError } from '../../src/index.js'
import { later, probe, throwingThen } from '../helpers.js'

describe('selectAsync', () => {
  it('returns the first to settle and leaves the others running', async () => {
    const slow = probe(30, ok('slow'))
    const r = (await selectAsync([slow, () => later(1, ok('fast'))]))._unsafeUnwrap()
    expect(r.index).toBe(1)
    expect(r.result._unsafeUnwrap()).toBe('fast')
    expect(r.rest).toHaveLength(1)
    expect(slow.state.aborted).toBe(false)
    expect((await r.rest[0])?._unsafeUnwrap()).toBe('slow')
  })

  it('supports a select loop where nothing starts twice', async () => {
    const tasks = [probe(30, ok('a')), probe(10, err('b')), probe(20, ok('c'))]
    let pending: ResultAsync<string, string>[] | typeof tasks = tasks
    const seen: string[] = []
    while (pending.length > 0) {
      const { result, rest } = (await selectAsync(pending))._unsafeUnwrap()
      seen.push(result.isOk() ? result.value : `err:${result.error}`)
      pending = rest as ResultAsync<string, string>[]
    }
    expect(seen).toEqual(['err:b', 'c', 'a'])
    expect(tasks.map((t) => t.state.started)).toEqual([1, 1, 1])
  })

  it('an empty select is an InvalidOptionsError', async () => {
    expect((await selectAsync([]))._unsafeUnwrapErr()).toBeInstanceOf(InvalidOptionsError)
  })

  it('sync results win in input order', async () => {
    const r = (await selectAsync([() => later(5, ok(0)), ok(1), ok(2)]))._unsafeUnwrap()
    expect(r.index).toBe(1)
    expect(r.rest).toHaveLength(2)
  })

  it('an aborted signal cancels the wait', async () => {
    expect((await selectAsync([ok(1)], { signal: AbortSignal.abort() }))._unsafeUnwrapErr()).toBeInstanceOf(
      CancelledError,
    )
  })

  it('gives each call its own never-aborted signal', async () => {
    const seen: AbortSignal[] = []
    const task = ({ signal }: TaskContext) => {
      seen.push(signal)
      return ok(1)
    }
    await selectAsync([task])
    await selectAsync([task])
    expect(seen[0]).not.toBe(seen[1])
    expect(seen.every((s) => !s.aborted)).toBe(true)
  })

  it('a select loop reuses the same pending inputs instead of wrapping them again (linear)', async () => {
    const n = 2_000
    const tasks = Array.from({ length: n }, (_, i) => probe(i % 7, ok(i)))
    let pending: readonly unknown[] = tasks
    let previous: readonly unknown[] | undefined
    let reused = true
    const seen = new Set<number>()
    while (pending.length > 0) {
      const { result, rest } = (await selectAsync(pending as never))._unsafeUnwrap()
      seen.add(result._unsafeUnwrap() as number)
      // Every entry of rest is an entry of the previous rest: no new wrapper per round.
      if (previous && !rest.every((r) => previous?.includes(r))) reused = false
      previous = pending === tasks ? undefined : pending
      pending = rest
    }
    expect(reused).toBe(true)
    expect(seen.size).toBe(n)
    expect(tasks.every((t) => t.state.started === 1)).toBe(true)
  })

  it('an object whose then getter throws is an UnexpectedError result, not a hang', async () => {
    const hostile = throwingThen()
    const r = (await selectAsync([() => later(20, ok(1)), () => hostile as never]))._unsafeUnwrap()
    expect(r.index).toBe(1)
    expect(r.result._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
  })

  it('accepts an iterable, and refuses a record', async () => {
    expect((await selectAsync(new Set([ok(1)]) as never))._unsafeUnwrap().index).toBe(0)
    expect((await selectAsync({ a: ok(1) } as never))._unsafeUnwrapErr()).toBeInstanceOf(InvalidOptionsError)
  })
})

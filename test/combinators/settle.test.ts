import { err, ok, okAsync } from 'neverthrow'
import { describe, expect, it } from 'vitest'
import { CancelledError, InvalidOptionsError, settleAsync, UnexpectedError } from '../../src/index.js'
import { later, probe } from '../helpers.js'

describe('settleAsync', () => {
  it('returns every Result, ok and err, in the input shape', async () => {
    const r = await settleAsync([ok(1), () => later(5, err('no' as const)), okAsync('x')])
    const [a, b, c] = r._unsafeUnwrap()
    expect([a._unsafeUnwrap(), b._unsafeUnwrapErr(), c._unsafeUnwrap()]).toEqual([1, 'no', 'x'])
    const rec = (await settleAsync({ u: ok(1), p: Promise.reject(new Error('boom')) }))._unsafeUnwrap()
    expect(rec.u._unsafeUnwrap()).toBe(1)
    expect(rec.p._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
  })

  it('does not stop at an error: every task runs to its end', async () => {
    const slow = probe(10, ok('slow'))
    const r = (await settleAsync([() => err('fast'), slow]))._unsafeUnwrap()
    expect(r[1]._unsafeUnwrap()).toBe('slow')
    expect(slow.state.aborted).toBe(false)
  })

  it('an empty input is ok([]), an aborted signal CancelledError, bad options InvalidOptionsError', async () => {
    expect((await settleAsync([]))._unsafeUnwrap()).toEqual([])
    expect((await settleAsync([], { signal: AbortSignal.abort() }))._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect((await settleAsync([ok(1)], { concurrency: 0 }))._unsafeUnwrapErr()).toBeInstanceOf(InvalidOptionsError)
  })
})

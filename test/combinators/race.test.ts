import { err, ok, okAsync } from 'neverthrow'
import { describe, expect, it } from 'vitest'
import { CancelledError, InvalidOptionsError, raceAsync } from '../../src/index.js'
import { expectNoLeaks, later, probe } from '../helpers.js'

describe('raceAsync', () => {
  it('the first to settle wins, even an err, and the others are aborted', async () => {
    const slow = probe(5_000, ok('slow'))
    const r = await expectNoLeaks(() => raceAsync([slow, () => later(5, err('fast failure'))]))
    expect(r._unsafeUnwrapErr()).toBe('fast failure')
    expect(slow.state.aborted).toBe(true)
  })

  it('an ok can win too', async () => {
    expect((await raceAsync({ a: () => later(20, ok('a')), b: () => later(1, ok('b')) }))._unsafeUnwrap()).toBe('b')
  })

  it('an empty race is an InvalidOptionsError naming inputs, not a hang', async () => {
    const e = (await raceAsync([]))._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(InvalidOptionsError)
    expect(e).toMatchObject({ option: 'inputs' })
  })

  it('a signal cancels the race', async () => {
    const c = new AbortController()
    const t = probe(5_000, ok(1))
    setTimeout(() => c.abort(), 2)
    expect((await raceAsync([t], { signal: c.signal }))._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect(t.state.aborted).toBe(true)
  })
})

describe('raceAsync settle order', () => {
  it('a plain Result does not overtake an already-settled promise given before it', async () => {
    expect((await raceAsync([okAsync(42), ok(100)]))._unsafeUnwrap()).toBe(42)
    expect((await raceAsync([Promise.resolve(err('first')), ok(100)]))._unsafeUnwrapErr()).toBe('first')
    // Before any promise, a plain Result is simply first.
    expect((await raceAsync([ok(1), okAsync(2)]))._unsafeUnwrap()).toBe(1)
  })
})

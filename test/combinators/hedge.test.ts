import { err, ok } from 'neverthrow'
import { describe, expect, it } from 'vitest'
import { AllFailedError, CancelledError, hedge, InvalidOptionsError } from '../../src/index.js'
import { expectNoLeaks, later } from '../helpers.js'

describe('hedge', () => {
  it('does not start a second attempt when the first answers before afterMs', async () => {
    const starts: number[] = []
    const r = await expectNoLeaks(() =>
      hedge(
        ({ attempt }) => {
          starts.push(attempt)
          return later(5, ok(attempt))
        },
        { afterMs: 200 },
      ),
    )
    expect(r._unsafeUnwrap()).toBe(1)
    expect(starts).toEqual([1])
  })

  it('starts the second attempt only after afterMs, and the first ok wins while the other is aborted', async () => {
    const startedAt: number[] = []
    const aborted: number[] = []
    const t0 = Date.now()
    const r = await expectNoLeaks(() =>
      hedge(
        ({ attempt, signal }) => {
          startedAt.push(Date.now() - t0)
          signal.addEventListener('abort', () => aborted.push(attempt))
          return later(attempt === 1 ? 5_000 : 5, ok(attempt), signal)
        },
        { afterMs: 30 },
      ),
    )
    expect(r._unsafeUnwrap()).toBe(2)
    expect(startedAt).toHaveLength(2)
    expect(startedAt[1]).toBeGreaterThanOrEqual(28)
    expect(aborted).toEqual([1])
  })

  it('returns AllFailedError with each attempt error in attempt order', async () => {
    const r = await hedge(({ attempt }) => later(attempt === 1 ? 40 : 1, err(`e${attempt}`)), { afterMs: 10, max: 3 })
    const e = r._unsafeUnwrapErr() as AllFailedError<string>
    expect(e).toBeInstanceOf(AllFailedError)
    expect(e.errors).toEqual(['e1', 'e2', 'e3'])
  })

  it('an early failure brings the next attempt forward', async () => {
    const t0 = Date.now()
    const r = await hedge(({ attempt }) => (attempt === 1 ? err('fast fail') : ok('second')), { afterMs: 5_000 })
    expect(r._unsafeUnwrap()).toBe('second')
    expect(Date.now() - t0).toBeLessThan(1_000)
  })

  it('a signal cancels every attempt', async () => {
    const c = new AbortController()
    setTimeout(() => c.abort(), 5)
    const r = await expectNoLeaks(() =>
      hedge(({ signal }) => later(5_000, ok(1), signal), { afterMs: 1, max: 3, signal: c.signal }),
    )
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
  })

  it('rejects bad options', async () => {
    expect((await hedge(() => ok(1), { afterMs: -1 }))._unsafeUnwrapErr()).toMatchObject({ option: 'afterMs' })
    expect((await hedge(() => ok(1), { afterMs: 1, max: 0 }))._unsafeUnwrapErr()).toBeInstanceOf(InvalidOptionsError)
  })
})

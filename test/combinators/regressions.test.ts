// Defects found in review, each pinned by a test.
import { err, ok } from 'neverthrow'
import { describe, expect, it } from 'vitest'
import {
  AllFailedError,
  allAsync,
  asCompleted,
  backoffDelay,
  hedge,
  type InvalidOptionsError,
  retry,
  selectAsync,
  type TaskContext,
} from '../../src/index.js'
import { expectNoLeaks, later } from '../helpers.js'

describe('review regressions', () => {
  it('hedge with many attempts that fail synchronously resolves (no stack overflow, no rejection)', async () => {
    const r = await hedge(() => err('x'), { afterMs: 10, max: 5_000 })
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(AllFailedError)
    expect((r._unsafeUnwrapErr() as AllFailedError<string>).errors).toHaveLength(5_000)
  })

  it('hedge with afterMs: Infinity never hedges on time', async () => {
    let calls = 0
    const r = await expectNoLeaks(() =>
      hedge(
        () => {
          calls++
          return later(30, ok(calls))
        },
        { afterMs: Number.POSITIVE_INFINITY, max: 3 },
      ),
    )
    expect([r._unsafeUnwrap(), calls]).toEqual([1, 1])
  })

  it('backoff delays are capped at what a timer can wait', async () => {
    expect(backoffDelay({ initialMs: 1, factor: 1e10, maxMs: Number.POSITIVE_INFINITY }, 3)).toBe(2_147_483_647)
    const c = new AbortController()
    let calls = 0
    const pending = retry(
      () => {
        calls++
        return err('x')
      },
      { attempts: 3, backoff: { initialMs: 1, factor: 1e10, maxMs: Number.POSITIVE_INFINITY }, signal: c.signal },
    )
    await later(30, ok(null))
    expect(calls).toBe(2) // waiting out the (capped) second delay, not firing after 1 ms
    c.abort()
    expect((await pending).isErr()).toBe(true)
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
    let attemptCtx: Record<string, unknown> = {}
    await retry(
      (ctx) => {
        attemptCtx = { ...ctx }
        return ok(1)
      },
      { attempts: 1 },
    )
    expect(Object.keys(attemptCtx).sort()).toEqual(['attempt', 'signal'])
  })

  it('asCompleted with a record and bad options yields each key once as InvalidOptionsError', async () => {
    const out: [number, string, string][] = []
    for await (const x of asCompleted({ a: ok(1), b: ok(2) }, { concurrency: 0 })) {
      out.push([x.index, x.key, (x.result._unsafeUnwrapErr() as InvalidOptionsError).option])
    }
    expect(out).toEqual([
      [0, 'a', 'concurrency'],
      [1, 'b', 'concurrency'],
    ])
    const empty = []
    for await (const x of asCompleted([], { concurrency: 0 })) empty.push(x)
    expect(empty).toEqual([])
  })

  it('selectAsync gives each call its own never-aborted signal', async () => {
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
})

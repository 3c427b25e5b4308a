import { describe, expect, it } from 'vitest'
import { CancelledError, chunk, InvalidOptionsError, ok, pipeline, type Result } from '../../src/index.js'
import { countingSource, delay, expectNoLeaks, noUnhandledRejections, onFakeClock, range } from '../helpers.js'

noUnhandledRejections() // fails the test during which something rejected unhandled

async function collect<T, E>(stream: AsyncIterable<Result<T, E>>): Promise<Result<T, E>[]> {
  const out: Result<T, E>[] = []
  for await (const r of stream) out.push(r)
  return out
}
const oks = <T, E>(rs: Result<T, E>[]) => rs.map((r) => r._unsafeUnwrap())

/** Yields `values`, sleeping `gaps[i]` ms before value i. */
async function* slow(values: number[], gaps: number[]): AsyncGenerator<number> {
  for (let i = 0; i < values.length; i++) {
    await delay(gaps[i] ?? 0)
    yield values[i] as number
  }
}

describe('chunk', () => {
  it('groups by size; the last chunk is partial', async () => {
    expect(oks(await collect(chunk(range(7), { size: 3 })))).toEqual([[0, 1, 2], [3, 4, 5], [6]])
    expect(oks(await collect(chunk([], { size: 3 })))).toEqual([])
  })

  it('emits a partial chunk after maxWaitMs, so a slow stream still flows', async () => {
    // 0, 1 come at once; 2 only after 80 ms: [0, 1] must not wait for it.
    const rs = await onFakeClock(200, () =>
      collect(chunk(slow([0, 1, 2, 3], [0, 0, 80, 0]), { size: 10, maxWaitMs: 15 })),
    )
    expect(oks(rs)).toEqual([
      [0, 1],
      [2, 3],
    ])
  })

  it('as a stage: chunks by size and by time, feeding bulk work', async () => {
    const sizes: number[] = []
    const r = await onFakeClock(200, () =>
      pipeline(slow(range(9), [0, 0, 0, 0, 0, 60, 0, 0, 0]))
        .chunk({ name: 'batch', size: 4, maxWaitMs: 15 })
        .stage({
          name: 'bulk',
          fn: (xs) => {
            sizes.push(xs.length)
            return ok(xs.reduce((a, b) => a + b, 0))
          },
        })
        .run(),
    )
    expect(sizes).toEqual([4, 1, 4]) // full, then item 4 alone after the wait, then the rest
    expect(r._unsafeUnwrap()).toEqual([6, 4, 26])
  })

  it('bad options → one err naming the option; signal and break close the source', async () => {
    const e = (await collect(chunk([1], { size: 0 })))[0]?._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(InvalidOptionsError)
    expect((e as InvalidOptionsError).option).toBe('size')
    const e2 = (await collect(chunk([1], { size: 1, maxWaitMs: Number.NaN })))[0]?._unsafeUnwrapErr()
    expect((e2 as InvalidOptionsError).option).toBe('maxWaitMs')

    const src = countingSource(range(100))
    await expectNoLeaks(async () => {
      for await (const r of chunk(src.items, { size: 5, maxWaitMs: 1000 })) {
        expect(r._unsafeUnwrap()).toEqual([0, 1, 2, 3, 4])
        break
      }
    })
    expect(src.stats.returned).toBe(true)
    expect(src.stats.pulled).toBeLessThanOrEqual(11)

    const ac = new AbortController()
    const src2 = countingSource(range(100))
    const rs: Result<number[], unknown>[] = []
    for await (const r of chunk(src2.items, { size: 5, signal: ac.signal })) {
      rs.push(r)
      ac.abort()
    }
    expect(rs.at(-1)?._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect(src2.stats.returned).toBe(true)
  })
})

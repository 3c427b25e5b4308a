import { errAsync, okAsync, type ResultAsync } from 'neverthrow'
import { describe, expectTypeOf, it } from 'vitest'
import {
  type CancelledError,
  err,
  type InvalidOptionsError,
  type ItemFailedError,
  type ItemRetry,
  mapStream,
  ok,
  processInBatches,
  type Result,
  type RetryOptions,
  type SettledBatch,
  type TimeoutError,
  type UnexpectedError,
} from '../../src/index.js'

type Library = UnexpectedError | CancelledError | InvalidOptionsError
type ItemLib = UnexpectedError | TimeoutError

class ParseError extends Error {
  readonly _tag = 'ParseError' as const
}
declare function parse(line: string): Result<{ id: number }, ParseError>
async function* lines(): AsyncGenerator<string> {
  yield 'a'
}

describe('processInBatches types', () => {
  it('fail-fast (default): typed outputs; errors = ItemFailedError ({ index, error }) | library errors', () => {
    const r = processInBatches(lines(), (line) => parse(line), { concurrency: 4 })
    expectTypeOf(r).toEqualTypeOf<ResultAsync<{ id: number }[], ItemFailedError<ParseError | ItemLib> | Library>>()
  })

  it('infers the item type from arrays, iterables and async iterables', () => {
    processInBatches(
      [1, 2],
      (n, i, ctx) => {
        expectTypeOf(n).toEqualTypeOf<number>()
        expectTypeOf(i).toEqualTypeOf<number>()
        expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>()
        expectTypeOf(ctx.attempt).toEqualTypeOf<number>()
        return ok(n)
      },
      { concurrency: 1 },
    )
    processInBatches(
      new Set(['x']),
      (s) => {
        expectTypeOf(s).toEqualTypeOf<string>()
        return ok(s)
      },
      { concurrency: 1 },
    )
  })

  it('accepts every input form: Result, ResultAsync, promise of Result', () => {
    const a = processInBatches([1], (n) => okAsync(String(n)), { concurrency: 1 })
    expectTypeOf(a).toEqualTypeOf<ResultAsync<string[], ItemFailedError<ItemLib> | Library>>()
    const b = processInBatches([1], async (n) => (n > 0 ? ok(n) : err('neg' as const)), { concurrency: 1 })
    expectTypeOf(b).toEqualTypeOf<ResultAsync<number[], ItemFailedError<'neg' | ItemLib> | Library>>()
  })

  it('settle mode gives { values, errors, stats } and no ItemError in the error union', () => {
    const r = processInBatches(lines(), (line) => parse(line), { concurrency: 4, mode: 'settle' })
    expectTypeOf(r).toEqualTypeOf<ResultAsync<SettledBatch<{ id: number }[], ParseError | ItemLib>, Library>>()
  })

  it('collect: false gives undefined outputs', () => {
    const ff = processInBatches(lines(), (line) => parse(line), { concurrency: 4, collect: false })
    expectTypeOf(ff).toEqualTypeOf<ResultAsync<undefined, ItemFailedError<ParseError | ItemLib> | Library>>()
    const st = processInBatches(lines(), (line) => parse(line), { concurrency: 4, collect: false, mode: 'settle' })
    expectTypeOf(st).toEqualTypeOf<ResultAsync<SettledBatch<undefined, ParseError | ItemLib>, Library>>()
  })

  it('adds the error type of afterBatch', () => {
    const r = processInBatches([1], (n) => ok(n), {
      concurrency: 1,
      afterBatch: ({ batch, done }) => {
        expectTypeOf(batch).toEqualTypeOf<number>()
        expectTypeOf(done).toEqualTypeOf<number>()
        return batch > 3 ? errAsync({ _tag: 'DiskFull' as const }) : okAsync(undefined)
      },
    })
    expectTypeOf(r).toEqualTypeOf<ResultAsync<number[], ItemFailedError<ItemLib> | { _tag: 'DiskFull' } | Library>>()
    const v = processInBatches([1], (n) => ok(n), { concurrency: 1, afterBatch: () => {} })
    expectTypeOf(v).toEqualTypeOf<ResultAsync<number[], ItemFailedError<ItemLib> | Library>>()
  })

  it('retryIf sees the item error type; onProgress sees progress', () => {
    processInBatches(lines(), (line) => parse(line), {
      concurrency: 2,
      retry: {
        attempts: 3,
        retryIf: (e) => {
          expectTypeOf(e).toEqualTypeOf<ParseError | ItemLib>()
          return true
        },
      },
      onProgress: (p) => {
        expectTypeOf(p.done).toEqualTypeOf<number>()
        expectTypeOf(p.total).toEqualTypeOf<number | undefined>()
      },
    })
  })

  it('rejects a fn that returns no Result, and options without concurrency', () => {
    // @ts-expect-error: fn must return a Result form
    processInBatches([1], (n) => n, { concurrency: 1 })
    // @ts-expect-error: concurrency is required
    processInBatches([1], (n) => ok(n), {})
    // @ts-expect-error: no such mode
    processInBatches([1], (n) => ok(n), { concurrency: 1, mode: 'yolo' })
  })
})

describe('mapStream types', () => {
  it('yields Results of the item type plus stream errors', () => {
    const s = mapStream(lines(), (line) => parse(line), { concurrency: 4 })
    expectTypeOf(s).toExtend<
      AsyncIterable<Result<{ id: number }, ParseError | ItemLib | CancelledError | InvalidOptionsError>>
    >()
  })
})

describe('mapStream withIndex types', () => {
  it('withIndex: true yields { index, result }; the default yields the Result', () => {
    const plain = mapStream([1], (n) => ok(n), { concurrency: 1 })
    expectTypeOf(plain).toEqualTypeOf<
      AsyncGenerator<Result<number, ItemLib | CancelledError | InvalidOptionsError>, void, undefined>
    >()
    const indexed = mapStream([1], (n) => ok(String(n)), { concurrency: 1, withIndex: true })
    expectTypeOf(indexed).toEqualTypeOf<
      AsyncGenerator<
        { readonly index: number; readonly result: Result<string, ItemLib | CancelledError | InvalidOptionsError> },
        void,
        undefined
      >
    >()
  })

  it('per-item retry is the retry combinator options without signal', () => {
    expectTypeOf<ItemRetry<'e'>>().not.toHaveProperty('signal')
    expectTypeOf<ItemRetry<'e'>['retryIf']>().toEqualTypeOf<RetryOptions<'e'>['retryIf']>()
    expectTypeOf<Required<ItemRetry<'e'>>>().toEqualTypeOf<Required<Omit<RetryOptions<'e'>, 'signal'>>>()
  })
})

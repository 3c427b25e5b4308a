import { describe, expectTypeOf, it } from 'vitest'
import {
  type CancelledError,
  type ChunkError,
  chunk,
  err,
  type InvalidOptionsError,
  ok,
  okAsync,
  type Pipeline,
  type PipelineFailure,
  pipeline,
  type Result,
  type ResultAsync,
  type SettledPipeline,
  type StageFailedError,
  type TimeoutError,
  type UnexpectedError,
} from '../../src/index.js'
import type { RemoteError, WorkerPool, WorkerRunError } from '../../src/worker/index.js'
import type tasks from '../worker/fixtures/typed-tasks.js'
import type { NotFound } from '../worker/fixtures/typed-tasks.js'

type ItemLib = UnexpectedError | TimeoutError
class ParseError extends Error {
  readonly _tag = 'ParseError' as const
}
class WriteError extends Error {
  readonly _tag = 'WriteError' as const
}
declare function parse(line: string): Result<{ id: number; text: string }, ParseError>
declare function write(rows: { id: number }[]): ResultAsync<number, WriteError>
declare function lines(): AsyncGenerator<string>
declare const pool: WorkerPool<typeof tasks>

describe('pipeline types', () => {
  it('outputs flow stage to stage and errors collect as a union of StageFailedError<name, error>', () => {
    const flow = pipeline(lines())
      .stage({
        name: 'parse',
        fn: (line, ctx) => {
          expectTypeOf(line).toEqualTypeOf<string>()
          expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>()
          expectTypeOf(ctx.index).toEqualTypeOf<number>()
          return parse(line)
        },
      })
      .chunk({ name: 'batch', size: 100 })
      .stage({
        name: 'write',
        fn: (rows) => {
          expectTypeOf(rows).toEqualTypeOf<{ id: number; text: string }[]>()
          return write(rows)
        },
      })
    type E = StageFailedError<'parse', ParseError | ItemLib> | StageFailedError<'write', WriteError | ItemLib>
    expectTypeOf(flow).toEqualTypeOf<Pipeline<number, E, 'fail-fast'>>()
    expectTypeOf(flow.run()).toEqualTypeOf<ResultAsync<number[], E | PipelineFailure>>()
    expectTypeOf(flow[Symbol.asyncIterator]().next()).resolves.toMatchTypeOf<
      IteratorResult<Result<number, E | PipelineFailure>>
    >()
  })

  it('the stage name is a literal, so errors can be narrowed by stage', async () => {
    const r = await pipeline([1, 2])
      .stage({ name: 'a', fn: (n) => (n > 1 ? ok(n) : err('small' as const)) })
      .stage({ name: 'b', fn: async (n) => (n > 5 ? ok(String(n)) : err({ tooSmall: n })) })
      .run()
    if (r.isErr()) {
      const e = r.error
      if (e._tag === 'StageFailedError') {
        expectTypeOf(e.stage).toEqualTypeOf<'a' | 'b'>()
        expectTypeOf(e).toMatchTypeOf<Error>()
        if (e.stage === 'a') expectTypeOf(e.error).toEqualTypeOf<'small' | ItemLib>()
        if (e.stage === 'b') expectTypeOf(e.error).toEqualTypeOf<{ tooSmall: number } | ItemLib>()
      }
    } else {
      expectTypeOf(r.value).toEqualTypeOf<string[]>()
    }
  })

  it('ok(...) written inside fn keeps its error type never (no E = unknown)', () => {
    const flow = pipeline([1]).stage({ name: 'x', fn: (n) => ok(n + 1) })
    expectTypeOf(flow).toEqualTypeOf<Pipeline<number, StageFailedError<'x', ItemLib>, 'fail-fast'>>()
    const async = pipeline([1]).stage({ name: 'y', fn: (n) => okAsync(`${n}`) })
    expectTypeOf(async).toEqualTypeOf<Pipeline<string, StageFailedError<'y', ItemLib>, 'fail-fast'>>()
  })

  it('pool stages: input checked against the task, output and errors from the tasks module', () => {
    const flow = pipeline([1, 2]).pool({ name: 'find', pool, task: 'find' })
    type FindError = StageFailedError<'find', RemoteError<NotFound> | WorkerRunError>
    expectTypeOf(flow).toEqualTypeOf<Pipeline<{ id: number; name: string }, FindError, 'fail-fast'>>()
    const hashed = pipeline([new Uint8Array(4)])
      .pool({ name: 'hash', pool, task: 'sha256', transfer: (bytes) => [bytes.buffer as ArrayBuffer] })
      .stage({ name: 'len', fn: (hex) => ok(hex.length) })
    expectTypeOf(hashed.run()).toEqualTypeOf<
      ResultAsync<
        number[],
        StageFailedError<'hash', WorkerRunError> | StageFailedError<'len', ItemLib> | PipelineFailure
      >
    >()
    // @ts-expect-error sha256 takes bytes, the stream carries numbers
    pipeline([1]).pool({ name: 'hash', pool, task: 'sha256' })
    // @ts-expect-error no such task
    pipeline([1]).pool({ name: 'x', pool, task: 'nope' })
  })

  it('settle mode and collect: false shape the result of run()', () => {
    const flow = pipeline([1], { mode: 'settle' }).stage({ name: 's', fn: (n) => (n ? ok(n) : err('zero' as const)) })
    type E = StageFailedError<'s', 'zero' | ItemLib>
    expectTypeOf(flow.run()).toEqualTypeOf<ResultAsync<SettledPipeline<number[], E>, PipelineFailure>>()
    expectTypeOf(flow.run({ collect: false })).toEqualTypeOf<
      ResultAsync<SettledPipeline<undefined, E>, PipelineFailure>
    >()
    const ff = pipeline([1]).stage({ name: 's', fn: (n) => ok(n) })
    expectTypeOf(ff.run({ collect: false })).toEqualTypeOf<
      ResultAsync<undefined, StageFailedError<'s', ItemLib> | PipelineFailure>
    >()
  })

  it('chunk() yields typed arrays; library errors only', () => {
    const c = chunk(lines(), { size: 10, maxWaitMs: 50 })
    expectTypeOf(c).toEqualTypeOf<AsyncGenerator<Result<string[], ChunkError>, void, undefined>>()
    expectTypeOf<ChunkError>().toEqualTypeOf<UnexpectedError | CancelledError | InvalidOptionsError>()
  })

  it('wrong stage shapes are compile errors', () => {
    // @ts-expect-error fn gets a number, not a string
    pipeline([1]).stage({ name: 'x', fn: (s: string) => ok(s) })
    // @ts-expect-error fn must return a Result form
    pipeline([1]).stage({ name: 'x', fn: (n: number) => n })
    // @ts-expect-error size is required
    pipeline([1]).chunk({ name: 'c' })
  })
})

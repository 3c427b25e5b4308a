import { type Result, ResultAsync } from 'neverthrow'
import { describe, expectTypeOf, it } from 'vitest'
import {
  type CancelledError,
  createWorkflow,
  type DurableError,
  defineTask,
  defineWorkflow,
  type TaskCall,
  type UnexpectedError,
} from '../../src/index.js'

type NotFound = { _tag: 'NotFound' }
type Slow = { _tag: 'Slow' }
declare const lookup: (id: number) => ResultAsync<{ name: string }, NotFound>
declare const quote: (q: { from: string }) => ResultAsync<number, Slow>

const fetchName = defineTask('fetch-name', (id: number) => lookup(id))
const getQuote = defineTask('quote', quote)
const never = defineTask('never-fails', (x: string) => ResultAsync.fromSafePromise(Promise.resolve(x.length)))

type Parts<R> = R extends ResultAsync<infer T, infer E> ? { ok: T; err: E } : never

describe('child task types', () => {
  it('a task listed in the deps declares its errors; map values are typed by the task', () => {
    const wf = createWorkflow({ fetchName })
    const r = wf(async (step, deps) => {
      const names = await step.map('names', [1, 2], deps.fetchName)
      expectTypeOf(names).toEqualTypeOf<{ name: string }[]>()
      const settled = await step.map('names', [1, 2], deps.fetchName, { mode: 'settle' })
      expectTypeOf(settled).toEqualTypeOf<Result<{ name: string }, NotFound | CancelledError | UnexpectedError>[]>()
      // @ts-expect-error items must be the task's input
      await step.map('names', ['one'], deps.fetchName)
      return names
    })
    expectTypeOf<Extract<Parts<typeof r>['err'], NotFound>>().toEqualTypeOf<NotFound>()
  })

  it('a map over a task whose errors the deps do not declare does not compile', () => {
    createWorkflow({})(async (step) => {
      // @ts-expect-error NotFound is not declared
      await step.map('names', [1], fetchName)
      // A task that cannot fail needs no declaring.
      const lengths = await step.map('lengths', ['a', 'bb'], never)
      expectTypeOf(lengths).toEqualTypeOf<number[]>()
      return lengths
    })
  })

  it('a registered workflow as the child: its output and its run errors (a tree)', () => {
    const row = defineWorkflow(
      'row',
      { fetchName },
      async (step, deps, ids: number[]) => (await step.map('cells', ids, deps.fetchName)).length,
    )
    createWorkflow({ row })(async (step, deps) => {
      const counts = await step.map('rows', [[1], [2, 3]], deps.row)
      expectTypeOf(counts).toEqualTypeOf<number[]>()
      const settled = await step.map('rows', [[1]], deps.row, { mode: 'settle' })
      type E = (typeof settled)[number] extends Result<number, infer X> ? X : never
      expectTypeOf<Extract<E, NotFound>>().toEqualTypeOf<NotFound>()
      expectTypeOf<Extract<E, DurableError>>().not.toBeNever()
      return counts
    })
  })

  it('task calls are inputs of groups, select and waitCompleted; rest keeps their type', () => {
    expectTypeOf(getQuote.with({ from: 'a' })).toEqualTypeOf<TaskCall<number, Slow>>()
    createWorkflow({ getQuote, fetchName })(async (step, deps) => {
      const best = await step.any('best', [deps.getQuote.with({ from: 'a' }), deps.getQuote.with({ from: 'b' })])
      expectTypeOf(best).toEqualTypeOf<number>()
      const sel = await step.select('first', [deps.getQuote.with({ from: 'a' }), deps.fetchName.with(1)])
      expectTypeOf(sel.index).toEqualTypeOf<number>()
      expectTypeOf(sel.result).toEqualTypeOf<
        Result<number | { name: string }, Slow | NotFound | CancelledError | UnexpectedError>
      >()
      expectTypeOf(sel.rest).toEqualTypeOf<(TaskCall<number, Slow> | TaskCall<{ name: string }, NotFound>)[]>()
      const split = await step.waitCompleted('some', sel.rest)
      expectTypeOf(split.pending).toEqualTypeOf<(TaskCall<number, Slow> | TaskCall<{ name: string }, NotFound>)[]>()
      expectTypeOf(split.completed[0]?.result).toEqualTypeOf<
        Result<number | { name: string }, Slow | NotFound | CancelledError | UnexpectedError> | undefined
      >()
      return best
    })
    createWorkflow({})(async (step) => {
      // @ts-expect-error the quote task's errors are not declared
      await step.select('first', [getQuote.with({ from: 'a' })])
      return 1
    })
  })
})

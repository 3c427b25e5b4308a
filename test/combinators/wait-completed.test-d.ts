import { ok, type Result, type ResultAsync } from 'neverthrow'
import { describe, expectTypeOf, it } from 'vitest'
import {
  type CancelledError,
  type InvalidOptionsError,
  type PendingInput,
  type selectAsync,
  type UnexpectedError,
  type WaitCompleted,
  waitCompleted,
} from '../../src/index.js'

type User = { id: number }
type NotFound = { _tag: 'NotFound' }
type RateLimited = { _tag: 'RateLimited' }
declare const getUser: (signal: AbortSignal) => ResultAsync<User, NotFound>
declare const getPosts: () => Promise<Result<string[], RateLimited>>
type OkOfAsync<R> = R extends ResultAsync<infer T, unknown> ? T : never

describe('waitCompleted types', () => {
  it('infers the union of values and errors of a tuple', () => {
    const r = waitCompleted([({ signal }) => getUser(signal), getPosts(), ok(1 as const)])
    type T = User | string[] | 1
    type E = NotFound | RateLimited | UnexpectedError
    expectTypeOf(r).toEqualTypeOf<ResultAsync<WaitCompleted<T, E>, CancelledError | InvalidOptionsError>>()
    type W = OkOfAsync<typeof r>
    expectTypeOf<W['completed'][number]>().toEqualTypeOf<{ readonly index: number; readonly result: Result<T, E> }>()
    type P = W['pending'][number]
    expectTypeOf<P['index']>().toEqualTypeOf<number>()
    expectTypeOf<P>().not.toHaveProperty('key')
    expectTypeOf<P['cancel']>().toEqualTypeOf<(reason?: unknown) => void>()
    // A pending input settles to the input's own Result, or CancelledError once cancelled.
    expectTypeOf<Awaited<P>>().toEqualTypeOf<Result<T, E | CancelledError>>()
  })

  it('a record gives entries with their key', () => {
    const r = waitCompleted({ user: ({ signal }) => getUser(signal), posts: getPosts })
    type W = OkOfAsync<typeof r>
    expectTypeOf<W['completed'][number]['key']>().toEqualTypeOf<'user' | 'posts'>()
    expectTypeOf<W['pending'][number]['key']>().toEqualTypeOf<'user' | 'posts'>()
  })

  it('pending goes straight back into waitCompleted and selectAsync with the same types', () => {
    const pending = [] as PendingInput<number, 'e'>[]
    type E = 'e' | CancelledError | UnexpectedError
    expectTypeOf(waitCompleted(pending)).toEqualTypeOf<
      ResultAsync<WaitCompleted<number, E>, CancelledError | InvalidOptionsError>
    >()
    type S = OkOfAsync<ReturnType<typeof selectAsync<typeof pending>>>
    expectTypeOf<S['result']>().toEqualTypeOf<Result<number, E>>()
  })
})

import { err, ok, okAsync, type Result, type ResultAsync } from 'neverthrow'
import { describe, expectTypeOf, it } from 'vitest'
import {
  type AllError,
  type AllFailedError,
  type AllOptions,
  type AllSettledError,
  type AnyError,
  allAsync,
  allSettledAsync,
  anyAsync,
  asCompleted,
  type CancelledError,
  type HedgeError,
  hedge,
  type InvalidOptionsError,
  type RaceError,
  type RetryError,
  raceAsync,
  retry,
  type SettleError,
  selectAsync,
  settleAsync,
  type TimeoutError,
  type UnexpectedError,
  type WithTimeoutError,
  withTimeout,
} from '../../src/index.js'

type User = { id: number }
type NotFound = { _tag: 'NotFound' }
type RateLimited = { _tag: 'RateLimited' }
declare const getUser: (signal: AbortSignal) => ResultAsync<User, NotFound>
declare const getPosts: () => Promise<Result<string[], RateLimited>>
type Lib = UnexpectedError | CancelledError | InvalidOptionsError

describe('combinator types', () => {
  it('allAsync infers a tuple and the union of errors', () => {
    const r = allAsync([({ signal }) => getUser(signal), getPosts(), ok(1 as const)])
    expectTypeOf(r).toEqualTypeOf<ResultAsync<[User, string[], 1], NotFound | RateLimited | Lib>>()
  })

  it('allAsync infers a record', () => {
    const r = allAsync({ user: ({ signal }) => getUser(signal), posts: getPosts })
    expectTypeOf(r).toEqualTypeOf<ResultAsync<{ user: User; posts: string[] }, NotFound | RateLimited | Lib>>()
  })

  it('allAsync over an array keeps an array', () => {
    const tasks: (() => ResultAsync<number, 'e'>)[] = []
    expectTypeOf(allAsync(tasks)).toEqualTypeOf<ResultAsync<number[], 'e' | Lib>>()
  })

  it('async functions that return ok or err infer both sides', () => {
    const r = allAsync([async () => (Math.random() > 0.5 ? ok('yes') : err('no' as const))])
    expectTypeOf(r).toEqualTypeOf<ResultAsync<[string], 'no' | Lib>>()
  })

  it('allSettledAsync errors carry index, and key for records', () => {
    const t = allSettledAsync([getPosts()])
    expectTypeOf(t).toEqualTypeOf<
      ResultAsync<
        [string[]],
        | { readonly index: number; readonly error: RateLimited | UnexpectedError }[]
        | CancelledError
        | InvalidOptionsError
      >
    >()
    const r = allSettledAsync({ a: getPosts(), b: okAsync(1) })
    type Failure = { readonly index: number; readonly key: 'a' | 'b'; readonly error: RateLimited | UnexpectedError }
    expectTypeOf(r).toEqualTypeOf<
      ResultAsync<{ a: string[]; b: number }, Failure[] | CancelledError | InvalidOptionsError>
    >()
  })

  it('anyAsync and raceAsync give the union of ok types', () => {
    const a = anyAsync([getPosts(), okAsync(1)])
    expectTypeOf(a).toEqualTypeOf<
      ResultAsync<
        string[] | number,
        AllFailedError<RateLimited | UnexpectedError> | CancelledError | InvalidOptionsError
      >
    >()
    const r = raceAsync({ a: getPosts(), b: err('b' as const) })
    expectTypeOf(r).toEqualTypeOf<ResultAsync<string[], RateLimited | 'b' | Lib>>()
  })

  it('withTimeout, retry and hedge add their library errors', () => {
    expectTypeOf(withTimeout(getPosts(), 10)).toEqualTypeOf<ResultAsync<string[], RateLimited | TimeoutError | Lib>>()
    const rt = retry(({ attempt }) => (attempt > 1 ? ok(attempt) : err('flaky' as const)), {
      attempts: 3,
      retryIf: (e) => {
        expectTypeOf(e).toEqualTypeOf<'flaky' | UnexpectedError | TimeoutError>()
        return true
      },
    })
    expectTypeOf(rt).toEqualTypeOf<ResultAsync<number, 'flaky' | TimeoutError | Lib>>()
    const h = hedge(({ signal }) => getUser(signal), { afterMs: 50 })
    expectTypeOf(h).toEqualTypeOf<
      ResultAsync<
        User,
        AllFailedError<NotFound | UnexpectedError | TimeoutError> | CancelledError | InvalidOptionsError
      >
    >()
  })

  it('selectAsync returns the result and the rest, typed', async () => {
    const s = (await selectAsync([getPosts(), okAsync(1)]))._unsafeUnwrap()
    expectTypeOf(s.result).toEqualTypeOf<Result<string[] | number, RateLimited | UnexpectedError>>()
    expectTypeOf(s.rest).toEqualTypeOf<ResultAsync<string[] | number, RateLimited | UnexpectedError>[]>()
  })

  it('asCompleted yields typed items with keys for records', async () => {
    for await (const item of asCompleted({ a: getPosts(), b: okAsync(1) })) {
      expectTypeOf(item.key).toEqualTypeOf<'a' | 'b'>()
      expectTypeOf(item.result).toEqualTypeOf<Result<string[] | number, RateLimited | Lib>>()
    }
  })

  it('rejects inputs that are not Results', () => {
    // @ts-expect-error a plain number is not an input
    allAsync([1])
    // @ts-expect-error a task must return a Result
    allAsync([() => 'x'])
  })
})

type Declined = { _tag: 'Declined' }
declare const charge: () => Promise<Result<string, Declined>>

describe('hover-friendly result types', () => {
  it('name the error union, not the inputs: AllError<NotFound | Declined>', () => {
    const r = allAsync({ user: ({ signal }) => getUser(signal), charge })
    expectTypeOf(r).toEqualTypeOf<ResultAsync<{ user: User; charge: string }, AllError<NotFound | Declined>>>()
    expectTypeOf(anyAsync([charge])).toEqualTypeOf<ResultAsync<string, AnyError<Declined>>>()
    expectTypeOf(raceAsync([charge])).toEqualTypeOf<ResultAsync<string, RaceError<Declined>>>()
    expectTypeOf(withTimeout(charge, 1)).toEqualTypeOf<ResultAsync<string, WithTimeoutError<Declined>>>()
    expectTypeOf(retry(charge, { attempts: 2 })).toEqualTypeOf<ResultAsync<string, RetryError<Declined>>>()
    expectTypeOf(hedge(charge, { afterMs: 1 })).toEqualTypeOf<ResultAsync<string, HedgeError<Declined>>>()
    expectTypeOf(allSettledAsync({ charge })).toEqualTypeOf<
      ResultAsync<{ charge: string }, AllSettledError<Declined, 'charge'>>
    >()
  })

  it('a timeoutMs option adds TimeoutError, and only then', () => {
    expectTypeOf(allAsync([charge], { timeoutMs: 10 })).toEqualTypeOf<
      ResultAsync<[string], AllError<Declined | TimeoutError>>
    >()
    expectTypeOf(allAsync([charge], { concurrency: 2 })).toEqualTypeOf<ResultAsync<[string], AllError<Declined>>>()
    const opts: AllOptions = {}
    expectTypeOf(anyAsync([charge], opts)).toEqualTypeOf<ResultAsync<string, AnyError<Declined | TimeoutError>>>()
  })

  it("settleAsync returns each input's own Result in the input shape", () => {
    const r = settleAsync({ user: ({ signal }) => getUser(signal), charge })
    expectTypeOf(r).toEqualTypeOf<
      ResultAsync<
        { user: Result<User, NotFound | UnexpectedError>; charge: Result<string, Declined | UnexpectedError> },
        SettleError
      >
    >()
    expectTypeOf(settleAsync([charge], { timeoutMs: 5 })).toEqualTypeOf<
      ResultAsync<[Result<string, Declined | UnexpectedError | TimeoutError>], SettleError>
    >()
  })
})

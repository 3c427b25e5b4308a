import { err, ok, type Result, type ResultAsync } from 'neverthrow'
import { describe, expectTypeOf, it } from 'vitest'
import {
  type BulkheadRejectedError,
  bulkhead,
  type CancelledError,
  type CircuitBreaker,
  CircuitOpenError,
  circuitBreaker,
  createWorkflow,
  fallback,
  type InvalidOptionsError,
  type ItemContext,
  type Policy,
  policy,
  processInBatches,
  type RateLimitedError,
  rateLimiter,
  retryPolicy,
  type TimeoutError,
  timeoutPolicy,
  type UnexpectedError,
} from '../../src/index.js'

type Parts<R> = R extends ResultAsync<infer T, infer E> ? { ok: T; err: E } : never

type Receipt = { id: string }
type Declined = { _tag: 'Declined' }
declare const charge: (signal: AbortSignal) => ResultAsync<Receipt, Declined>
declare const lookup: () => Promise<Result<number, 'missing'>>
type Lib = UnexpectedError | CancelledError | InvalidOptionsError

const breaker = circuitBreaker({ threshold: 5, halfOpenAfterMs: 10_000 })
const limiter = bulkhead({ concurrency: 4, queue: 16 })

describe('policy types', () => {
  it('each policy adds its own tagged error to the task’s', () => {
    expectTypeOf(breaker).toEqualTypeOf<CircuitBreaker>()
    expectTypeOf(breaker.execute(({ signal }) => charge(signal))).toEqualTypeOf<
      ResultAsync<Receipt, Declined | CircuitOpenError | Lib>
    >()
    expectTypeOf(limiter.execute(lookup)).toEqualTypeOf<ResultAsync<number, 'missing' | BulkheadRejectedError | Lib>>()
    expectTypeOf(rateLimiter({ tokens: 1, intervalMs: 1 }).execute(() => ok(1 as const))).toEqualTypeOf<
      ResultAsync<1, RateLimitedError | Lib>
    >()
    expectTypeOf(timeoutPolicy(100).execute(lookup)).toEqualTypeOf<
      ResultAsync<number, 'missing' | TimeoutError | Lib>
    >()
    expectTypeOf(retryPolicy({ attempts: 3 }).execute(lookup)).toEqualTypeOf<ResultAsync<number, 'missing' | Lib>>()
  })

  it('policy(a, b, c) adds the union of their errors', () => {
    const p = policy(retryPolicy({ attempts: 3 }), breaker, limiter, timeoutPolicy(500))
    expectTypeOf(p).toEqualTypeOf<Policy<CircuitOpenError | BulkheadRejectedError | TimeoutError, never, never>>()
    expectTypeOf(p.execute(({ signal }) => charge(signal))).toEqualTypeOf<
      ResultAsync<Receipt, Declined | CircuitOpenError | BulkheadRejectedError | TimeoutError | Lib>
    >()
  })

  it('a fallback for every error: its ok value joins the ok type, its err replaces every error', () => {
    const p = policy(
      fallback(() => ok({ id: 'cached' as const })),
      breaker,
    )
    expectTypeOf(p.execute(({ signal }) => charge(signal))).toEqualTypeOf<
      ResultAsync<Receipt | { id: 'cached' }, Lib>
    >()
    const failing = fallback(() => err('fallback down' as const))
    expectTypeOf(failing.execute(lookup)).toEqualTypeOf<ResultAsync<number, 'fallback down' | Lib>>()
  })

  it('a fallback with a type guard removes only what it handles, and narrows onError', () => {
    const isOpen = (e: unknown): e is CircuitOpenError => e instanceof CircuitOpenError
    const f = fallback(
      (e) => {
        expectTypeOf(e).toEqualTypeOf<CircuitOpenError>()
        return ok(0 as const)
      },
      { when: isOpen },
    )
    expectTypeOf(f).toEqualTypeOf<Policy<never, 0, CircuitOpenError>>()
    // Outside the breaker: CircuitOpenError is gone from the union, the task's own error stays.
    expectTypeOf(policy(f, breaker).execute(lookup)).toEqualTypeOf<ResultAsync<number | 0, 'missing' | Lib>>()
    // Inside the breaker it cannot see the breaker's refusals: they stay.
    expectTypeOf(policy(breaker, f).execute(lookup)).toEqualTypeOf<
      ResultAsync<number | 0, 'missing' | CircuitOpenError | Lib>
    >()
  })

  it('TypeScript’s inferred type predicates work as a guard', () => {
    const f = fallback(() => ok(0 as const), { when: (e) => e === 'missing' })
    expectTypeOf(policy(f, breaker).execute(lookup)).toEqualTypeOf<ResultAsync<number | 0, CircuitOpenError | Lib>>()
  })

  it('a fallback with a plain boolean `when` removes nothing', () => {
    const f = fallback(() => ok(0 as const), { when: (e) => e instanceof Error && e.message.includes('503') })
    expectTypeOf(policy(f, breaker).execute(lookup)).toEqualTypeOf<
      ResultAsync<number | 0, 'missing' | CircuitOpenError | Lib>
    >()
  })

  it('wrap keeps a batch item function’s arguments and adds the policy’s errors', () => {
    const save = (row: string, _i: number, { signal }: ItemContext) =>
      signal.aborted ? err('gone' as const) : ok(row.length)
    const wrapped = policy(breaker, limiter).wrap(save)
    expectTypeOf(wrapped).parameters.toEqualTypeOf<[string, number, ItemContext]>()
    expectTypeOf(wrapped).returns.toEqualTypeOf<
      ResultAsync<number, 'gone' | CircuitOpenError | BulkheadRejectedError | Lib>
    >()
    const job = processInBatches(['a'], wrapped, { concurrency: 2 })
    expectTypeOf(job).toExtend<ResultAsync<number[], unknown>>()
  })

  it('a policy from bad options has the same type: its error is already in every union', () => {
    const bad = circuitBreaker({ threshold: -1, halfOpenAfterMs: 1 })
    expectTypeOf(bad.invalid).toEqualTypeOf<InvalidOptionsError | undefined>()
    expectTypeOf(bad.execute(lookup)).toEqualTypeOf<ResultAsync<number, 'missing' | CircuitOpenError | Lib>>()
  })
})

describe('policy as a workflow step option', () => {
  it('a policy listed in the deps declares its errors; the step keeps the task’s ok type', () => {
    const payments = policy(breaker, limiter)
    const wf = createWorkflow({ charge, payments })
    const r = wf(async (step, deps) => {
      const receipt = await step(({ signal }) => deps.charge(signal), { name: 'charge', policy: deps.payments })
      expectTypeOf(receipt).toEqualTypeOf<Receipt>()
      return receipt
    })
    type E = Parts<typeof r>['err']
    expectTypeOf<CircuitOpenError>().toExtend<E>()
    expectTypeOf<BulkheadRejectedError>().toExtend<E>()
    expectTypeOf<Declined>().toExtend<E>()
  })

  it('a step with a policy whose errors the deps do not declare does not compile; listed in the deps, it does', () => {
    const wf = createWorkflow({ charge })
    void wf(async (step, deps) => {
      // @ts-expect-error CircuitOpenError is not an error of the deps: the union would lie
      await step(({ signal }) => deps.charge(signal), { policy: breaker })
      return 1
    })
    const listed = createWorkflow({ charge, breaker })
    const r = listed(async (step, deps) => {
      const v = await step(({ signal }) => deps.charge(signal), { policy: deps.breaker })
      expectTypeOf(v).toEqualTypeOf<Receipt>()
      return v
    })
    expectTypeOf<CircuitOpenError>().toExtend<Parts<typeof r>['err']>()
  })

  it('a fallback’s value joins the step’s ok type', () => {
    const cached = fallback(() => ok({ id: 'cached' as const }))
    const wf = createWorkflow({ charge, cached })
    void wf(async (step, deps) => {
      const v = await step(({ signal }) => deps.charge(signal), { policy: deps.cached })
      expectTypeOf(v).toEqualTypeOf<Receipt | { id: 'cached' }>()
      return v
    })
  })
})

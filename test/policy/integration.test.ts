import { err, ok } from 'neverthrow'
import { describe, expect, it } from 'vitest'
import {
  bulkhead,
  CircuitOpenError,
  circuitBreaker,
  createWorkflow,
  fallback,
  InvalidOptionsError,
  policy,
  processInBatches,
} from '../../src/index.js'

describe('policies in workflows and batch jobs', () => {
  it('a step with { policy } runs each attempt through it; an open breaker ends the workflow with CircuitOpenError', async () => {
    const breaker = circuitBreaker({ threshold: 2, halfOpenAfterMs: 60_000 })
    let calls = 0
    const charge = () => {
      calls++
      return err({ _tag: 'Declined' as const })
    }
    const wf = createWorkflow({ charge, breaker })
    const r = await wf(async (step, deps) => {
      return step(() => deps.charge(), { name: 'charge', policy: deps.breaker, retry: { attempts: 5 } })
    })
    // Two failed attempts opened the breaker; the step's retry retries every error, so attempts
    // 3–5 are refused by the breaker without calling charge.
    expect(calls).toBe(2)
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(CircuitOpenError)
    expect(breaker.metrics()).toMatchObject({ calls: 5, failures: 2, rejected: 3 })
  })

  it('the step’s context (attempt) reaches the task through the policy', async () => {
    const seen: number[] = []
    const secondTime = (attempt: number, signal: AbortSignal) =>
      signal instanceof AbortSignal && attempt === 2 ? ok('second') : err('first')
    const wf = createWorkflow({ secondTime, one: bulkhead({ concurrency: 1 }) })
    const r = await wf(async (step, deps) =>
      step(
        ({ attempt, signal }) => {
          seen.push(attempt)
          return deps.secondTime(attempt, signal)
        },
        { policy: deps.one, retry: { attempts: 3 } },
      ),
    )
    expect(r._unsafeUnwrap()).toBe('second')
    expect(seen).toEqual([1, 2])
  })

  it('a fallback policy gives the step its value instead of the error', async () => {
    const wf = createWorkflow({})
    const r = await wf(async (step) => step(() => err('down'), { policy: fallback(() => ok('cached')) }))
    expect(r._unsafeUnwrap()).toBe('cached')
  })

  it('a bad policy option ends the step with InvalidOptionsError naming `policy`', async () => {
    const wf = createWorkflow({ badBulkhead: bulkhead({ concurrency: -1 }) })
    const notAPolicy = await wf(async (step) => step(() => ok(1), { policy: {} as never }))
    expect((notAPolicy._unsafeUnwrapErr() as InvalidOptionsError).option).toBe('policy')
    const invalid = await wf(async (step, deps) => step(() => ok(1), { policy: deps.badBulkhead }))
    const e = invalid._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(InvalidOptionsError)
    expect((e as InvalidOptionsError).option).toBe('concurrency')
  })

  it('batch items through policy.wrap: the bulkhead bounds them, the breaker counts them', async () => {
    const breaker = circuitBreaker({ threshold: 100, halfOpenAfterMs: 1000 })
    const bh = bulkhead({ concurrency: 2, queue: 100 })
    let running = 0
    let peak = 0
    const save = async (n: number) => {
      running++
      peak = Math.max(peak, running)
      await new Promise((r) => setTimeout(r, 2))
      running--
      return n % 5 === 0 ? err(`bad ${n}`) : ok(n * 2)
    }
    const r = await processInBatches(
      Array.from({ length: 20 }, (_, i) => i),
      policy(breaker, bh).wrap((n: number, _i: number, _ctx) => save(n)),
      { concurrency: 8, mode: 'settle' },
    )
    const settled = r._unsafeUnwrap()
    expect(settled.values.length).toBe(16)
    expect(settled.errors.map((e) => e.index)).toEqual([0, 5, 10, 15])
    expect(peak).toBe(2)
    expect(breaker.metrics()).toMatchObject({ calls: 20, successes: 16, failures: 4 })
  })
})

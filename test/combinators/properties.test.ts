import fc from 'fast-check'
import { Err, err, Ok, ok, type Result, type ResultAsync } from 'neverthrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AllFailedError,
  type AnyInput,
  allAsync,
  allSettledAsync,
  anyAsync,
  asCompleted,
  CancelledError,
  InvalidOptionsError,
  raceAsync,
  TimeoutError,
  UnexpectedError,
  withTimeout,
} from '../../src/index.js'
import { timers } from '../helpers.js'

// One generated input: how it settles, after how long, and whether it is lazy.
type Behaviour = { kind: 'ok' | 'err' | 'throw' | 'reject' | 'hang'; ms: number; lazy: boolean }

const behaviour = fc.record({
  kind: fc.constantFrom('ok', 'err', 'throw', 'reject', 'hang') as fc.Arbitrary<Behaviour['kind']>,
  ms: fc.integer({ min: 0, max: 5 }),
  lazy: fc.boolean(),
})

/** Builds an input; lazy ones honour their signal (a hanging task settles only when aborted). */
function build(b: Behaviour, i: number): AnyInput {
  const settle = (signal?: AbortSignal): Promise<Result<number, string>> =>
    new Promise((resolve, reject) => {
      const go = () => {
        if (b.kind === 'ok') resolve(ok(i))
        else if (b.kind === 'err') resolve(err(`e${i}`))
        else if (b.kind === 'reject') reject(new Error(`r${i}`))
      }
      const timer = b.kind === 'hang' ? undefined : setTimeout(go, b.ms)
      signal?.addEventListener('abort', () => {
        clearTimeout(timer)
        resolve(err('aborted'))
      })
    })
  if (!b.lazy) {
    // Already running: a throw is modelled as a rejection, and a hang is not allowed (it could never be cancelled).
    return b.kind === 'hang' ? ok(i) : b.kind === 'throw' ? Promise.reject(new Error(`t${i}`)) : settle()
  }
  return ({ signal }) => {
    if (b.kind === 'throw') throw new Error(`t${i}`)
    return settle(signal)
  }
}

const unhandled: unknown[] = []
const onUnhandled = (e: unknown) => unhandled.push(e)
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled)
})
afterAll(() => {
  process.off('unhandledRejection', onUnhandled)
})

const scenario = fc.record({
  inputs: fc.array(behaviour, { maxLength: 8 }),
  concurrency: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
  abortAfter: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
})

/** Runs one combinator over a scenario, aborting at `abortAfter` ms; waits until every input has had time to settle. */
async function run(
  sc: { inputs: Behaviour[]; concurrency: number | undefined; abortAfter: number | undefined },
  combinator: (
    inputs: AnyInput[],
    opts: { signal: AbortSignal; concurrency?: number },
  ) => PromiseLike<unknown> | ResultAsync<unknown, unknown>,
) {
  const c = new AbortController()
  const abortTimer = sc.abortAfter === undefined ? undefined : setTimeout(() => c.abort('test abort'), sc.abortAfter)
  // A scenario where a lazy input hangs and nothing can end the group would never settle: skip
  // cancellation-free hangs for combinators that must wait for everyone.
  const opts = sc.concurrency === undefined ? { signal: c.signal } : { signal: c.signal, concurrency: sc.concurrency }
  const out = await combinator(sc.inputs.map(build), opts)
  clearTimeout(abortTimer)
  c.abort('cleanup') // ends hanging tasks the combinator legitimately left alone
  await new Promise((r) => setTimeout(r, 8))
  return out
}

/** Errors a combinator may answer with: an input's own, or one of the library's for these scenarios. */
const LIBRARY_ERRORS = [UnexpectedError, CancelledError, AllFailedError, TimeoutError, InvalidOptionsError]
const legalError = (e: unknown) =>
  (typeof e === 'string' && /^(e\d+|aborted)$/.test(e)) || LIBRARY_ERRORS.some((c) => e instanceof c)

/**
 * What a combinator answered must be a Result that the scenario allows: an ok value made of the
 * inputs that can succeed (index i succeeds with i), in input order for the collecting ones, or
 * an error some input or the library can produce.
 */
function expectLegalOutcome(name: string, inputs: Behaviour[], out: unknown) {
  expect(out instanceof Ok || out instanceof Err, 'a neverthrow Result').toBe(true)
  const r = out as Result<unknown, unknown>
  const canSucceed = (i: number) => inputs[i]?.kind === 'ok' || (inputs[i]?.kind === 'hang' && !inputs[i]?.lazy)
  if (r.isOk()) {
    if (name === 'anyAsync' || name === 'raceAsync') {
      expect(typeof r.value === 'number' && canSucceed(r.value), `ok(${String(r.value)})`).toBe(true)
    } else {
      expect(r.value).toEqual(inputs.map((_, i) => i))
      expect(inputs.every((_, i) => canSucceed(i))).toBe(true)
    }
    return
  }
  const errors = Array.isArray(r.error) ? r.error.map((f: { error: unknown }) => f.error) : [r.error]
  if (Array.isArray(r.error)) expect(name).toBe(name === 'withTimeout' ? 'withTimeout' : 'allSettledAsync')
  for (const e of errors) expect(legalError(e), `err(${String(e)})`).toBe(true)
  if (name === 'anyAsync' && r.error instanceof AllFailedError) {
    expect(r.error.errors).toHaveLength(inputs.length)
    for (const e of r.error.errors) expect(legalError(e)).toBe(true)
  }
}

const mustSettle = (sc: { inputs: Behaviour[]; abortAfter: number | undefined }) =>
  sc.abortAfter !== undefined || !sc.inputs.some((b) => b.kind === 'hang' && b.lazy)

describe('properties: random mixes of ok/err/throw/reject/delay/abort', () => {
  const combinators = {
    allAsync: (i: AnyInput[], o: object) => allAsync(i, o),
    allSettledAsync: (i: AnyInput[], o: object) => allSettledAsync(i, o),
    anyAsync: (i: AnyInput[], o: object) => anyAsync(i, o),
    raceAsync: (i: AnyInput[], o: { signal: AbortSignal }) => raceAsync(i, { signal: o.signal }),
    withTimeout: (i: AnyInput[], o: { signal: AbortSignal }) =>
      allSettledAsync(i.map((x) => () => withTimeout(x, 3, { signal: o.signal }))),
    asCompleted: async (i: AnyInput[], o: object) => {
      const seen: number[] = []
      for await (const item of asCompleted(i, o)) seen.push(item.index)
      return seen
    },
  }

  for (const [name, combinator] of Object.entries(combinators)) {
    it(`${name} always settles to a Result, with no unhandled rejection and no timer left`, async () => {
      const before = timers()
      unhandled.length = 0
      await fc.assert(
        fc.asyncProperty(scenario, async (sc) => {
          if (name !== 'raceAsync' && name !== 'withTimeout' && !mustSettle(sc)) return
          if (
            name === 'raceAsync' &&
            sc.inputs.every((b) => b.kind === 'hang' && b.lazy) &&
            sc.abortAfter === undefined
          )
            return
          const out = await run(sc, combinator)
          if (name === 'asCompleted') {
            // every input yielded exactly once
            expect([...(out as number[])].sort((a, b) => a - b)).toEqual(sc.inputs.map((_, i) => i))
          } else {
            expectLegalOutcome(name, sc.inputs, out)
          }
        }),
        { numRuns: 60 },
      )
      expect(unhandled).toEqual([])
      expect(timers()).toBeLessThanOrEqual(before)
    })
  }

  it('allAsync: ok exactly when every input is ok (no abort), values in input order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ ok: fc.boolean(), ms: fc.integer({ min: 0, max: 3 }) }), { maxLength: 6 }),
        async (xs) => {
          const r = await allAsync(
            xs.map(
              (x, i) => () =>
                new Promise<Result<number, string>>((res) => setTimeout(() => res(x.ok ? ok(i) : err(`e${i}`)), x.ms)),
            ),
          )
          if (xs.every((x) => x.ok)) expect(r._unsafeUnwrap()).toEqual(xs.map((_, i) => i))
          else expect(r._unsafeUnwrapErr()).toMatch(/^e\d+$/)
        },
      ),
      { numRuns: 50 },
    )
  })
})

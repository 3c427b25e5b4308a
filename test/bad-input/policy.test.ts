// Bad input to the resilience policies. A constructor cannot return a Result and still compose,
// so the rule is: a policy built from bad options is still a policy; its `invalid` holds the
// InvalidOptionsError and every `execute` returns that error (without running the task).
import { ok } from 'neverthrow'
import { afterAll, describe, expect, it } from 'vitest'
import {
  bulkhead,
  circuitBreaker,
  fallback,
  type InvalidOptionsError,
  policy,
  rateLimiter,
  retryPolicy,
  timeoutPolicy,
} from '../../src/index.js'
import { BAD_FUNCTIONS, BAD_OPTIONS, BAD_SIGNALS, caseCount, expectTypedErr, hostile, label } from './harness.js'

const task = () => ok(1)
const NOT_NUMBERS: readonly unknown[] = [Number.NaN, '3', null, true, {}, [], () => 1, Symbol('n'), 10n]
const NOT_POSITIVE_INTEGERS: readonly unknown[] = [-1, 0, 0.5, Number.NEGATIVE_INFINITY, ...NOT_NUMBERS]
const NOT_COUNTS: readonly unknown[] = [-1, 0.5, Number.NEGATIVE_INFINITY, ...NOT_NUMBERS] // 0 is fine
const NOT_MS: readonly unknown[] = [-1, Number.NEGATIVE_INFINITY, 2 ** 31, ...NOT_NUMBERS]
const NOT_RATIOS: readonly unknown[] = [0, -0.1, 1.5, 2, Number.POSITIVE_INFINITY, ...NOT_NUMBERS]
const NOT_WINDOWS: readonly unknown[] = [0, -1, Number.POSITIVE_INFINITY, 2 ** 31, ...NOT_NUMBERS]
const NOT_OPTION_OBJECTS: readonly unknown[] = [undefined, null, ...BAD_OPTIONS]

/** A policy from bad options: `invalid` names the option and `execute` answers with the same error. */
async function expectInvalid(
  make: () => { invalid: InvalidOptionsError | undefined; execute: (t: typeof task) => unknown },
  option: string,
) {
  let p: ReturnType<typeof make> | undefined
  expect(() => {
    p = make()
  }).not.toThrow()
  expect(p?.invalid?.option).toBe(option)
  let ran = false
  await expectTypedErr(
    () =>
      (p as { execute: (t: () => unknown) => unknown }).execute(() => {
        ran = true
        return ok(1)
      }),
    { option },
  )
  expect(ran).toBe(false)
}

const base = { threshold: 3, halfOpenAfterMs: 1000 }
const ratioBase = { threshold: 0.5, windowMs: 1000, halfOpenAfterMs: 1000 }

describe('bad input: circuitBreaker', () => {
  it.each(NOT_OPTION_OBJECTS.map((v) => [label(v), v]))('options %s', async (_, v) => {
    await expectInvalid(() => circuitBreaker(v as never), 'options')
  })
  it.each(NOT_POSITIVE_INTEGERS.map((v) => [label(v), v]))('threshold %s (consecutive mode)', async (_, v) => {
    await expectInvalid(() => circuitBreaker({ ...base, threshold: v as number }), 'threshold')
  })
  it.each(NOT_RATIOS.map((v) => [label(v), v]))('threshold %s (ratio mode)', async (_, v) => {
    await expectInvalid(() => circuitBreaker({ ...ratioBase, threshold: v as number }), 'threshold')
  })
  it.each(NOT_WINDOWS.map((v) => [label(v), v]))('windowMs %s', async (_, v) => {
    await expectInvalid(() => circuitBreaker({ ...ratioBase, windowMs: v as number }), 'windowMs')
  })
  it.each(NOT_POSITIVE_INTEGERS.map((v) => [label(v), v]))('minimumCalls %s', async (_, v) => {
    await expectInvalid(() => circuitBreaker({ ...ratioBase, minimumCalls: v as number }), 'minimumCalls')
  })
  it.each([undefined, ...NOT_MS].map((v) => [label(v), v]))('halfOpenAfterMs %s', async (_, v) => {
    await expectInvalid(() => circuitBreaker({ ...base, halfOpenAfterMs: v as number }), 'halfOpenAfterMs')
  })
  it.each(NOT_POSITIVE_INTEGERS.map((v) => [label(v), v]))('halfOpenCalls %s', async (_, v) => {
    await expectInvalid(() => circuitBreaker({ ...base, halfOpenCalls: v as number }), 'halfOpenCalls')
  })
  it.each(BAD_FUNCTIONS.filter((v) => v !== undefined).map((v) => [label(v), v]))('isFailure %s', async (_, v) => {
    await expectInvalid(() => circuitBreaker({ ...base, isFailure: v as never }), 'isFailure')
  })
  it.each(BAD_FUNCTIONS.filter((v) => v !== undefined).map((v) => [label(v), v]))('onStateChange %s', async (_, v) => {
    await expectInvalid(() => circuitBreaker({ ...base, onStateChange: v as never }), 'onStateChange')
  })
  it.each([null, 1, 'redis', {}, { get: () => undefined }, { get: 1, set: 2 }].map((v) => [label(v), v]))(
    'store %s',
    async (_, v) => {
      await expectInvalid(() => circuitBreaker({ ...base, store: v as never }), 'store')
    },
  )
})

describe('bad input: options whose reading throws (a hostile Proxy)', () => {
  const makers: Record<
    string,
    (o: never) => { invalid: InvalidOptionsError | undefined; execute: (t: typeof task) => unknown }
  > = {
    circuitBreaker,
    bulkhead,
    rateLimiter,
    retryPolicy,
    fallback: (o) => fallback(() => ok(0), o),
  }
  it.each(Object.keys(makers))('%s', async (name) => {
    const make = makers[name] as (o: never) => never
    // retryPolicy reads its options through the retry combinator's check, which names the first
    // field that could not be read; the others name the options object.
    await expectInvalid(() => make(hostile().proxy as never), name === 'retryPolicy' ? 'attempts' : 'options')
  })
})

describe('bad input: bulkhead', () => {
  it.each(NOT_OPTION_OBJECTS.map((v) => [label(v), v]))('options %s', async (_, v) => {
    await expectInvalid(() => bulkhead(v as never), 'options')
  })
  it.each([undefined, ...NOT_POSITIVE_INTEGERS].map((v) => [label(v), v]))('concurrency %s', async (_, v) => {
    await expectInvalid(() => bulkhead({ concurrency: v as number }), 'concurrency')
  })
  it.each(NOT_COUNTS.map((v) => [label(v), v]))('queue %s', async (_, v) => {
    await expectInvalid(() => bulkhead({ concurrency: 1, queue: v as number }), 'queue')
  })
})

describe('bad input: rateLimiter', () => {
  it.each(NOT_OPTION_OBJECTS.map((v) => [label(v), v]))('options %s', async (_, v) => {
    await expectInvalid(() => rateLimiter(v as never), 'options')
  })
  it.each([undefined, Number.POSITIVE_INFINITY, ...NOT_POSITIVE_INTEGERS].map((v) => [label(v), v]))(
    'tokens %s',
    async (_, v) => {
      await expectInvalid(() => rateLimiter({ tokens: v as number, intervalMs: 1000 }), 'tokens')
    },
  )
  it.each([undefined, ...NOT_WINDOWS].map((v) => [label(v), v]))('intervalMs %s', async (_, v) => {
    await expectInvalid(() => rateLimiter({ tokens: 1, intervalMs: v as number }), 'intervalMs')
  })
  it.each(NOT_MS.map((v) => [label(v), v]))('maxWaitMs %s', async (_, v) => {
    await expectInvalid(() => rateLimiter({ tokens: 1, intervalMs: 1000, maxWaitMs: v as number }), 'maxWaitMs')
  })
})

describe('bad input: fallback, timeoutPolicy, retryPolicy, policy()', () => {
  it.each(BAD_FUNCTIONS.map((v) => [label(v), v]))('fallback onError %s', async (_, v) => {
    await expectInvalid(() => fallback(v as never), 'onError')
  })
  it.each(BAD_OPTIONS.map((v) => [label(v), v]))('fallback options %s', async (_, v) => {
    await expectInvalid(() => fallback(() => ok(0), v as never), 'options')
  })
  it.each(BAD_FUNCTIONS.filter((v) => v !== undefined).map((v) => [label(v), v]))('fallback when %s', async (_, v) => {
    await expectInvalid(() => fallback(() => ok(0), { when: v as never }), 'when')
  })
  it.each([undefined, ...NOT_MS].map((v) => [label(v), v]))('timeoutPolicy ms %s', async (_, v) => {
    await expectInvalid(() => timeoutPolicy(v as number), 'ms')
  })
  it.each([undefined, ...NOT_POSITIVE_INTEGERS].map((v) => [label(v), v]))('retryPolicy attempts %s', async (_, v) => {
    await expectInvalid(() => retryPolicy({ attempts: v as number }), 'attempts')
  })
  it.each([-1, Number.NaN, 'x'].map((v) => [label(v), v]))('retryPolicy backoff.initialMs %s', async (_, v) => {
    await expectInvalid(() => retryPolicy({ attempts: 2, backoff: { initialMs: v as number } }), 'backoff.initialMs')
  })
  it.each([
    ['timeoutMs', { timeoutMs: 100 }],
    ['signal', { signal: new AbortController().signal }],
  ])('retryPolicy refuses %s (it belongs elsewhere)', async (option, extra) => {
    await expectInvalid(() => retryPolicy({ attempts: 2, ...extra } as never), option)
  })
  it.each([1, 'x', {}, null].map((v) => [label(v), v]))('retryPolicy retryIf %s', async (_, v) => {
    await expectInvalid(() => retryPolicy({ attempts: 2, retryIf: v as never }), 'retryIf')
  })
  it.each([undefined, null, 1, 'p', {}, { execute: () => ok(1), invalid: undefined }].map((v) => [label(v), v]))(
    'policy() member %s',
    async (_, v) => {
      await expectInvalid(() => policy(bulkhead({ concurrency: 1 }), v as never), 'policies[1]')
    },
  )
})

describe('bad input: execute', () => {
  const policies = {
    circuitBreaker: () => circuitBreaker(base),
    bulkhead: () => bulkhead({ concurrency: 1 }),
    rateLimiter: () => rateLimiter({ tokens: 5, intervalMs: 1000 }),
    fallback: () => fallback(() => ok(0)),
    composed: () => policy(circuitBreaker(base), bulkhead({ concurrency: 1 })),
  }
  for (const [name, make] of Object.entries(policies)) {
    it.each(BAD_FUNCTIONS.map((v) => [label(v), v]))(`${name}.execute task %s`, async (_, v) => {
      await expectTypedErr(() => make().execute(v as never), { option: 'task' })
    })
    it.each([null, ...BAD_OPTIONS].map((v) => [label(v), v]))(`${name}.execute options %s`, async (_, v) => {
      await expectTypedErr(() => make().execute(task, v as never), { option: 'options' })
    })
    it.each(BAD_SIGNALS.map((v) => [label(v), v]))(`${name}.execute signal %s`, async (_, v) => {
      await expectTypedErr(() => make().execute(task, { signal: v as never }), { option: 'signal' })
    })
    it(`${name}.execute with hostile options: a throwing Proxy is bad options, the others run`, async () => {
      const { proxy, throwingGetter, nullProto } = hostile()
      await expectTypedErr(() => make().execute(task, proxy as never), { option: 'options' })
      expect((await make().execute(task, throwingGetter as never)).isOk()).toBe(true)
      expect((await make().execute(task, nullProto as never)).isOk()).toBe(true)
    })
  }
})

afterAll(() => {
  console.log(`bad-input/policy: ${caseCount()} cases`)
})

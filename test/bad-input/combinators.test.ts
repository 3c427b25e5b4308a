// Wrong values thrown at every combinator, `partition` and `backoffDelay`: each call must answer
// with a typed err (or, for the two sync helpers, the documented TypeError / RangeError /
// InvalidOptionsError) — never a throw, a rejection or a hang.
import { err, ok } from 'neverthrow'
import { afterAll, describe, it } from 'vitest'
import {
  allAsync,
  allSettledAsync,
  anyAsync,
  backoffDelay,
  hedge,
  partition,
  raceAsync,
  retry,
  selectAsync,
  settleAsync,
  withTimeout,
} from '../../src/index.js'
import {
  BAD_FUNCTIONS,
  BAD_NUMBERS,
  BAD_OPTIONS,
  BAD_SIGNALS,
  caseCount,
  expectDocumentedThrow,
  expectTypedErr,
  hostile,
} from './harness.js'

const h = hostile()
/** A thenable that is no promise (built so that the linter sees it is meant). */
const thenable = (then: (...args: never[]) => unknown) => Object.defineProperty({}, 'then', { value: then })
const fn = (f: unknown) => f as never
const except = (values: readonly unknown[], ...fine: unknown[]) =>
  values.filter((v) => !fine.some((f) => Object.is(f, v)))

/** Combinators over many inputs, each called as `(inputs, opts)`. */
const GROUPS: Record<string, (inputs: unknown, opts?: unknown) => unknown> = {
  allAsync: (i, o) => allAsync(fn(i), fn(o)),
  allSettledAsync: (i, o) => allSettledAsync(fn(i), fn(o)),
  anyAsync: (i, o) => anyAsync(fn(i), fn(o)),
  raceAsync: (i, o) => raceAsync(fn(i), fn(o)),
  settleAsync: (i, o) => settleAsync(fn(i), fn(o)),
  selectAsync: (i, o) => selectAsync(fn(i), fn(o)),
}
/** Those that take `concurrency` and `timeoutMs`. */
const SIZED = ['allAsync', 'allSettledAsync', 'anyAsync', 'settleAsync']

const BAD_INPUTS: readonly unknown[] = [
  undefined,
  null,
  5,
  'abc',
  true,
  Symbol('i'),
  10n,
  () => ok(1),
  new Map([['a', ok(1)]]),
  Promise.resolve([ok(1)]),
  new Date(),
  h.proxy,
  h.throwingGetter,
]

/** Elements that are not inputs at all, or that misbehave when read or run. */
const BAD_ELEMENTS: readonly unknown[] = [
  5,
  null,
  undefined,
  'x',
  {},
  h.proxy,
  h.throwingGetter,
  h.nullProto,
  () => 5,
  () => {
    throw new Error('task throws')
  },
  () => h.proxy,
  () => h.throwingGetter,
  () => Promise.reject(new Error('rejects')),
  () => Promise.resolve(h.proxy),
  // A promise that resolves to a Proxy whose getPrototypeOf trap throws (instanceof throws).
  () =>
    new Promise((resolve) =>
      resolve(
        new Proxy(
          {},
          {
            getPrototypeOf() {
              throw new Error('trap')
            },
          },
        ),
      ),
    ),
  thenable((_: unknown, reject: (e: unknown) => void) => reject(new Error('thenable rejects'))),
  thenable(() => {
    throw new Error('then throws')
  }),
]

describe('bad input: combinators', () => {
  afterAll(() => {
    console.log(`bad-input/combinators: ${caseCount()} cases`)
  })

  for (const [name, call] of Object.entries(GROUPS)) {
    it(`${name}: inputs that are no collection of inputs`, async () => {
      for (const inputs of BAD_INPUTS) await expectTypedErr(() => call(inputs), { option: 'inputs' })
    })

    it(`${name}: options that are no options object, or that throw when read`, async () => {
      for (const opts of [...BAD_OPTIONS, null, h.proxy]) await expectTypedErr(() => call([ok(1)], opts))
    })

    it(`${name}: signals that are no AbortSignal`, async () => {
      const fake = Object.create(AbortSignal.prototype)
      for (const signal of [...BAD_SIGNALS, fake])
        await expectTypedErr(() => call([ok(1)], { signal }), { option: 'signal' })
    })

    it(`${name}: an already-aborted signal, also with no inputs`, async () => {
      const signal = AbortSignal.abort('stop')
      await expectTypedErr(() => call([() => ok(1)], { signal }), { tag: 'CancelledError' })
      if (name !== 'raceAsync' && name !== 'selectAsync') {
        await expectTypedErr(() => call([], { signal }), { tag: 'CancelledError' })
      }
    })

    if (SIZED.includes(name)) {
      it(`${name}: concurrency and timeoutMs that cannot work`, async () => {
        for (const concurrency of except(BAD_NUMBERS, 1e21, 2 ** 31)) {
          await expectTypedErr(() => call([ok(1)], { concurrency }), { option: 'concurrency' })
        }
        for (const timeoutMs of except(BAD_NUMBERS, 0.5)) {
          await expectTypedErr(() => call([ok(1)], { timeoutMs }), { option: 'timeoutMs' })
        }
      })
    }
  }

  for (const name of ['allAsync', 'anyAsync', 'raceAsync']) {
    it(`${name}: elements that are not inputs or misbehave become errors of the call`, async () => {
      const tag = name === 'anyAsync' ? 'AllFailedError' : 'UnexpectedError'
      for (const element of BAD_ELEMENTS) await expectTypedErr(() => GROUPS[name]?.([element]), { tag })
    })
  }

  it('allSettledAsync and settleAsync: misbehaving elements are reported, not thrown', async () => {
    for (const element of BAD_ELEMENTS) {
      await expectTypedErr(
        async () => {
          const r = await allSettledAsync([fn(element)])
          // The failure list is not itself tagged: check its single entry and answer with it.
          const failures = r.isErr() && Array.isArray(r.error) ? r.error : []
          return failures.length === 1 ? err(failures[0]?.error) : r
        },
        { tag: 'UnexpectedError' },
      )
      await expectTypedErr(
        async () => {
          const r = await settleAsync([fn(element)])
          return r.isOk() ? (r.value[0] as unknown) : r
        },
        { tag: 'UnexpectedError' },
      )
    }
  })

  it('selectAsync: a misbehaving element is the winner, as an UnexpectedError result', async () => {
    for (const element of BAD_ELEMENTS) {
      await expectTypedErr(
        async () => {
          const r = await selectAsync([fn(element)])
          return r.isOk() ? r.value.result : r
        },
        { tag: 'UnexpectedError' },
      )
    }
  })

  it('withTimeout: bad ms, options, signal, label and inputs', async () => {
    for (const ms of except(BAD_NUMBERS, 0.5))
      await expectTypedErr(() => withTimeout(() => ok(1), fn(ms)), { option: 'ms' })
    for (const opts of [...BAD_OPTIONS, null, h.proxy])
      await expectTypedErr(() => withTimeout(() => ok(1), 10, fn(opts)))
    for (const signal of BAD_SIGNALS) {
      await expectTypedErr(() => withTimeout(() => ok(1), 10, fn({ signal })), { option: 'signal' })
    }
    for (const l of [Symbol('l'), h.nullProto, 5, {}, null]) {
      await expectTypedErr(() => withTimeout(() => ok(1), 10, fn({ label: l })), { option: 'label' })
    }
    for (const element of BAD_ELEMENTS)
      await expectTypedErr(() => withTimeout(fn(element), 1_000), { tag: 'UnexpectedError' })
  })

  it('retry: bad task, options, attempts, backoff, callbacks, timeoutMs, signal', async () => {
    const task = () => err('x')
    for (const t of BAD_FUNCTIONS) await expectTypedErr(() => retry(fn(t), { attempts: 1 }), { option: 'task' })
    for (const opts of [...BAD_OPTIONS, null, undefined, h.proxy]) await expectTypedErr(() => retry(task, fn(opts)))
    for (const attempts of except(BAD_NUMBERS, 1e21, 2 ** 31)) {
      await expectTypedErr(() => retry(task, fn({ attempts })), { option: 'attempts' })
    }
    for (const backoff of [5, 'x', true, null, h.proxy]) {
      await expectTypedErr(() => retry(task, fn({ attempts: 2, backoff })))
    }
    for (const field of ['initialMs', 'maxMs']) {
      for (const v of except(BAD_NUMBERS, 0.5)) {
        await expectTypedErr(() => retry(task, fn({ attempts: 2, backoff: { [field]: v } })), {
          option: `backoff.${field}`,
        })
      }
    }
    for (const factor of except(BAD_NUMBERS, 1e21, 2 ** 31)) {
      await expectTypedErr(() => retry(task, fn({ attempts: 2, backoff: { factor } })), { option: 'backoff.factor' })
    }
    for (const field of ['retryIf', 'onRetry']) {
      for (const v of except(BAD_FUNCTIONS, undefined)) {
        await expectTypedErr(() => retry(task, fn({ attempts: 2, [field]: v })), { option: field })
      }
    }
    for (const timeoutMs of except(BAD_NUMBERS, 0.5)) {
      await expectTypedErr(() => retry(task, fn({ attempts: 2, timeoutMs })), { option: 'timeoutMs' })
    }
    for (const signal of BAD_SIGNALS)
      await expectTypedErr(() => retry(task, fn({ attempts: 2, signal })), { option: 'signal' })
    for (const element of BAD_ELEMENTS.filter((e) => typeof e === 'function')) {
      await expectTypedErr(() => retry(fn(element), { attempts: 2 }), { tag: 'UnexpectedError' })
    }
  })

  it('hedge: bad task, options, afterMs, max, timeoutMs, signal', async () => {
    const task = () => ok(1)
    for (const t of BAD_FUNCTIONS) await expectTypedErr(() => hedge(fn(t), { afterMs: 1 }), { option: 'task' })
    for (const opts of [...BAD_OPTIONS, null, undefined, h.proxy]) await expectTypedErr(() => hedge(task, fn(opts)))
    for (const afterMs of except(BAD_NUMBERS, 0.5))
      await expectTypedErr(() => hedge(task, fn({ afterMs })), { option: 'afterMs' })
    for (const max of except(BAD_NUMBERS, 1e21, 2 ** 31)) {
      await expectTypedErr(() => hedge(task, fn({ afterMs: 1, max })), { option: 'max' })
    }
    for (const timeoutMs of except(BAD_NUMBERS, 0.5)) {
      await expectTypedErr(() => hedge(task, fn({ afterMs: 1, timeoutMs })), { option: 'timeoutMs' })
    }
    for (const signal of BAD_SIGNALS)
      await expectTypedErr(() => hedge(task, fn({ afterMs: 1, signal })), { option: 'signal' })
    for (const element of BAD_ELEMENTS.filter((e) => typeof e === 'function')) {
      await expectTypedErr(() => hedge(fn(element), { afterMs: 1 }), { tag: 'AllFailedError' })
    }
  })

  it('partition: garbage throws the documented TypeError', () => {
    for (const results of [undefined, null, 5, true, {}, Symbol('r'), 10n, h.proxy, h.throwingGetter]) {
      expectDocumentedThrow(() => partition(fn(results)), 'partition')
    }
    for (const element of [5, null, undefined, 'x', {}, h.proxy, h.nullProto, () => ok(1), Promise.resolve(ok(1))]) {
      expectDocumentedThrow(() => partition(fn([ok(1), element])), 'partition')
    }
    expectDocumentedThrow(() => partition(fn('ab')), 'partition')
  })

  it('backoffDelay: garbage throws a documented error, never a NaN delay', () => {
    for (const b of [5, 'x', true, Symbol('b'), h.proxy]) expectDocumentedThrow(() => backoffDelay(fn(b), 1), 'backoff')
    for (const field of ['initialMs', 'maxMs']) {
      for (const v of except(BAD_NUMBERS, 0.5))
        expectDocumentedThrow(() => backoffDelay(fn({ [field]: v }), 1), `backoff.${field}`)
    }
    for (const factor of except(BAD_NUMBERS, 1e21, 2 ** 31)) {
      expectDocumentedThrow(() => backoffDelay(fn({ factor }), 1), 'backoff.factor')
    }
    for (const jitter of [-1, 2, Number.NaN, 'x', null, {}])
      expectDocumentedThrow(() => backoffDelay(fn({ jitter }), 1), 'jitter')
    for (const r of except(BAD_NUMBERS, 1e21, 2 ** 31)) expectDocumentedThrow(() => backoffDelay({}, fn(r)), 'retry')
    for (const random of except(BAD_FUNCTIONS, undefined))
      expectDocumentedThrow(() => backoffDelay({}, 1, fn(random)), 'random')
  })
})

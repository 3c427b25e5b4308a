// Bad-input table for okflow/worker: every wrong value thrown at createWorkerPool, pool.run,
// pool.close and pool.ready is answered with a typed err naming the option — never a throw, a
// rejection, a hang, a crash or a pool left half closed.
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, test } from 'vitest'
import { createWorkerPool, type WorkerPool, type WorkerTasks } from '../../dist/worker.js'
import { BAD_NUMBERS, BAD_OPTIONS, BAD_SIGNALS, caseCount, expectTypedErr, hostile, label } from './harness.js'

type Loose = WorkerTasks<{ readonly [name: string]: (input: unknown) => unknown }>
const TASKS = new URL('../worker/fixtures/tasks.mjs', import.meta.url)
const create = (file: unknown, opts?: unknown) => createWorkerPool<Loose>(file as URL, opts as never)
const pool = create(TASKS, { maxThreads: 1 })._unsafeUnwrap() as WorkerPool<Loose>
afterAll(async () => {
  await pool.close({ force: true })
  console.log(`bad-input/worker: ${caseCount()} cases`)
})

const { throwingGetter, proxy, nullProto } = hostile()
const getterThrows = (key: string) =>
  Object.defineProperty({}, key, {
    enumerable: true,
    get() {
      throw new Error(`${key} getter`)
    },
  })
/** `[label, value]` rows; hostile values get a name of their own (reading them would throw). */
const named = (v: unknown): [string, unknown] => {
  if (v === proxy) return ['a Proxy whose every trap throws', v]
  if (v === throwingGetter) return ['an object whose then getter throws', v]
  try {
    return [label(v), v]
  } catch {
    return ['a hostile object', v]
  }
}
/** Not integers ≥ 0 (or too many threads). */
const NOT_COUNTS = BAD_NUMBERS.filter((v) => v !== 2 ** 31 && v !== 1e21).concat([1025, 2 ** 31, 1e21])
/** Not a number of ms from 0 to 2^31-1 (0.5 ms is fine). */
const NOT_MS = BAD_NUMBERS.filter((v) => v !== 0.5)

describe('createWorkerPool(file, options)', () => {
  test.each(
    [
      5,
      null,
      '',
      {},
      Symbol('f'),
      fileURLToPath(new URL('../worker/fixtures/', import.meta.url)), // a directory
      new URL('../worker/fixtures/missing.mjs', import.meta.url),
      new URL('https://example.com/tasks.mjs'),
      proxy,
    ].map(named),
  )('file %s → filename', async (_, file) => {
    await expectTypedErr(() => create(file), { option: 'filename' })
  })

  test.each([...BAD_OPTIONS, null, proxy, throwingGetter, getterThrows('maxThreads')].map(named))(
    'options %s → options',
    async (_, opts) => {
      const option = opts === throwingGetter ? undefined : 'options'
      // A then getter is not an option: the pool is created (and closed).
      if (opts === throwingGetter) {
        const r = create(TASKS, opts)
        expect(r.isOk()).toBe(true)
        if (r.isOk()) await r.value.close()
        return
      }
      await expectTypedErr(() => create(TASKS, opts), option === undefined ? {} : { option })
    },
  )

  for (const option of ['minThreads', 'maxThreads']) {
    test.each(NOT_COUNTS.concat(option === 'maxThreads' ? [0] : []).map(named))(`${option}: %s`, async (_, v) => {
      await expectTypedErr(() => create(TASKS, { [option]: v }), { option })
    })
  }

  for (const option of ['idleTimeoutMs', 'startTimeoutMs']) {
    test.each(NOT_MS.map(named))(`${option}: %s`, async (_, v) => {
      await expectTypedErr(() => create(TASKS, { [option]: v }), { option })
    })
  }

  test.each(
    [-1, 0.5, Number.NaN, Number.NEGATIVE_INFINITY, '', '3', true, {}, [], () => 1, Symbol('q'), 10n].map((v) => [
      label(v),
      v,
    ]),
  )('maxQueue: %s', async (_, v) => {
    await expectTypedErr(() => create(TASKS, { maxQueue: v }), { option: 'maxQueue' })
  })

  test.each([1, 'yes', null, {}].map(named))('callSites: %s', async (_, v) => {
    await expectTypedErr(() => create(TASKS, { callSites: v }), { option: 'callSites' })
  })

  test.each([5, 'x', true].map(named))('resourceLimits: %s', async (_, v) => {
    await expectTypedErr(() => create(TASKS, { resourceLimits: v }), { option: 'resourceLimits' })
  })

  test.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, '8', null].map(named))(
    'resourceLimits.maxOldGenerationSizeMb: %s',
    async (_, v) => {
      await expectTypedErr(() => create(TASKS, { resourceLimits: { maxOldGenerationSizeMb: v } }), {
        option: 'resourceLimits.maxOldGenerationSizeMb',
      })
    },
  )

  test('a throwing getter inside resourceLimits → options', async () => {
    await expectTypedErr(() => create(TASKS, { resourceLimits: getterThrows('stackSizeMb') }), { option: 'options' })
  })
})

describe('pool.run(name, input, options)', () => {
  test.each([...BAD_OPTIONS, null, proxy, getterThrows('timeoutMs'), getterThrows('signal')].map(named))(
    'options %s → options',
    async (_, opts) => {
      await expectTypedErr(() => pool.run('double', 1, opts as never), { option: 'options' })
    },
  )

  test.each(NOT_MS.map(named))('timeoutMs: %s', async (_, v) => {
    await expectTypedErr(() => pool.run('double', 1, { timeoutMs: v as never }), { option: 'timeoutMs' })
  })

  test.each(BAD_SIGNALS.filter((v) => v !== undefined).map(named))('signal: %s', async (_, v) => {
    await expectTypedErr(() => pool.run('double', 1, { signal: v as never }), { option: 'signal' })
  })

  test.each([5, 'x', {}, null, nullProto].map(named))('transfer: %s', async (_, v) => {
    await expectTypedErr(() => pool.run('double', 1, { transfer: v as never }), { option: 'transfer' })
  })

  test.each([[['not transferable']], [[{}]], [[1]]].map(([v]) => [label(v), v]))(
    'transfer of things that cannot move: %s → DataCloneError',
    async (_, v) => {
      await expectTypedErr(() => pool.run('double', 1, { transfer: v as never }), { tag: 'DataCloneError' })
    },
  )

  test.each([() => 1, Symbol('s'), { f: () => 1 }, [Symbol('in array')], proxy, getterThrows('x')].map(named))(
    'input that cannot be cloned: %s → DataCloneError',
    async (_, v) => {
      await expectTypedErr(() => pool.run('double', v), { tag: 'DataCloneError' })
    },
  )

  test.each(
    [5, null, undefined, {}, Symbol('n'), '', 'nope', '__proto__', 'constructor', 'hasOwnProperty'].map((v) => [
      label(v),
      v,
    ]),
  )('task name %s → TaskFailedError', async (_, name) => {
    await expectTypedErr(() => pool.run(name as never, 1), { tag: ['TaskFailedError', 'DataCloneError'] })
  })

  test('the pool still works after all of the above', async () => {
    expect((await pool.run('double', 21))._unsafeUnwrap()).toBe(42)
  })
})

describe('pool.close(options)', () => {
  test.each([...BAD_OPTIONS, null, proxy, getterThrows('force'), { force: 'yes' }, { force: 1 }].map(named))(
    'options %s → err, pool still open',
    async (_, opts) => {
      const p = create(TASKS, { maxThreads: 1 })._unsafeUnwrap()
      const option =
        typeof opts === 'object' && opts !== null && !Array.isArray(opts) && opts !== proxy ? undefined : 'options'
      await expectTypedErr(() => p.close(opts as never), option === undefined ? {} : { option })
      expect((await p.run('double', 2))._unsafeUnwrap()).toBe(4)
      await p.close()
    },
  )
})

// Bad input at the batch-job, stream and pipeline entry points: every wrong value is answered
// with a typed err naming the option — never a throw, a rejection or a hang.
import { afterAll, describe, it } from 'vitest'
import { chunk, mapStream, ok, pipeline, processInBatches } from '../../src/index.js'
import {
  BAD_FUNCTIONS,
  BAD_NUMBERS,
  BAD_OPTIONS,
  BAD_SIGNALS,
  caseCount,
  expectTypedErr,
  hostile,
  label,
} from './harness.js'

const items = [1, 2, 3]
const fn = (x: number) => ok(x)
const H = hostile()
const HOSTILE = Object.entries(H)
/** A value that reads as an options object whose field `name` throws when read. */
const throwingField = (base: object, name: string) =>
  Object.defineProperty({ ...base }, name, {
    enumerable: true,
    get() {
      throw new Error(`getter ${name}`)
    },
  })
const BAD_ITEMS: readonly unknown[] = [undefined, null, 1, true, {}, { length: 1 }, Symbol('i'), () => [1], 10n]
/** Sizes: BAD_NUMBERS, all wrong for an integer size with a bound (1e21 and 2 ** 31 included). */
const BAD_SIZES = BAD_NUMBERS
/** Milliseconds: 0.5 ms is a fine delay. */
const BAD_MS = BAD_NUMBERS.filter((v) => v !== 0.5)

type Call = (opts: unknown) => unknown
const first = (stream: AsyncIterable<unknown>) =>
  stream[Symbol.asyncIterator]()
    .next()
    .then((r) => r.value)

// Each entry point, taking an options object: a call whose answer is a Result (or a promise of one).
const entries: [string, Call, object][] = [
  ['processInBatches', (o) => processInBatches(items, fn, o as never), { concurrency: 1 }],
  ['mapStream', (o) => first(mapStream(items, fn, o as never)), { concurrency: 1 }],
]

for (const [name, call, base] of entries) {
  describe(`${name}: bad options`, () => {
    for (const v of BAD_OPTIONS) it(`options ${label(v)}`, () => expectTypedErr(() => call(v), { option: 'options' }))
    for (const [what, v] of HOSTILE.filter(([k]) => k !== 'nullProto')) {
      it(`options: ${what}`, () => expectTypedErr(() => call(v)))
    }
    for (const v of BAD_SIZES) {
      it(`concurrency ${label(v)}`, () =>
        expectTypedErr(() => call({ ...base, concurrency: v }), { option: 'concurrency' }))
    }
    for (const v of BAD_MS) {
      it(`timeoutMs ${label(v)}`, () => expectTypedErr(() => call({ ...base, timeoutMs: v }), { option: 'timeoutMs' }))
    }
    for (const v of BAD_SIGNALS) {
      it(`signal ${label(v)}`, () => expectTypedErr(() => call({ ...base, signal: v }), { option: 'signal' }))
    }
    // attempts is a count, not an allocation (the retry combinator's rule): 2 ** 31 is allowed.
    for (const v of BAD_NUMBERS.filter((n) => n !== 1e21 && n !== 2 ** 31)) {
      it(`retry.attempts ${label(v)}`, () =>
        expectTypedErr(() => call({ ...base, retry: { attempts: v } }), { option: 'retry.attempts' }))
    }
    for (const v of [...BAD_OPTIONS, null]) {
      it(`retry ${label(v)}`, () => expectTypedErr(() => call({ ...base, retry: v }), { option: 'retry' }))
    }
    for (const v of [0.5, -1, Number.NaN, '2']) {
      it(`retry.backoff.factor ${label(v)}`, () =>
        expectTypedErr(() => call({ ...base, retry: { attempts: 2, backoff: { factor: v } } }), {
          option: 'retry.backoff.factor',
        }))
    }
    for (const field of ['concurrency', 'timeoutMs', 'retry', 'signal']) {
      it(`a throwing getter on ${field}`, () =>
        expectTypedErr(() => call(throwingField(base, field)), { option: field }))
    }
    it('a throwing getter on retry.attempts', () =>
      expectTypedErr(() => call({ ...base, retry: throwingField({}, 'attempts') }), { option: 'retry.attempts' }))
    for (const [what, v] of HOSTILE) it(`retry: ${what}`, () => expectTypedErr(() => call({ ...base, retry: v })))
  })
}

describe('processInBatches: bad arguments and options of its own', () => {
  const call = (o: unknown) => processInBatches(items, fn, o as never)
  it('no options at all', () => expectTypedErr(() => (processInBatches as Call2)(items, fn), { option: 'options' }))
  for (const v of BAD_ITEMS) {
    it(`items ${label(v)}`, () =>
      expectTypedErr(() => processInBatches(v as never, fn, { concurrency: 1 }), { option: 'items' }))
  }
  for (const [what, v] of HOSTILE) {
    it(`items: ${what}`, () =>
      expectTypedErr(() => processInBatches(v as never, fn, { concurrency: 1 }), { option: 'items' }))
  }
  for (const v of BAD_FUNCTIONS) {
    it(`fn ${label(v)}`, () =>
      expectTypedErr(() => processInBatches(items, v as never, { concurrency: 1 }), { option: 'fn' }))
  }
  for (const v of BAD_SIZES) {
    it(`batchSize ${label(v)}`, () =>
      expectTypedErr(() => call({ concurrency: 1, batchSize: v }), { option: 'batchSize' }))
  }
  // `total` is a count, not an allocation: 2 ** 31 items is a fine total.
  for (const v of BAD_NUMBERS.filter((n) => n !== 2 ** 31)) {
    it(`total ${label(v)}`, () => expectTypedErr(() => call({ concurrency: 1, total: v }), { option: 'total' }))
  }
  for (const v of BAD_MS) {
    it(`progressIntervalMs ${label(v)}`, () =>
      expectTypedErr(() => call({ concurrency: 1, progressIntervalMs: v }), { option: 'progressIntervalMs' }))
  }
  for (const v of ['yolo', 1, null, true, {}, Symbol('m')]) {
    it(`mode ${label(v)}`, () => expectTypedErr(() => call({ concurrency: 1, mode: v }), { option: 'mode' }))
  }
  for (const v of ['no', 0, 1, null, {}]) {
    it(`collect ${label(v)}`, () => expectTypedErr(() => call({ concurrency: 1, collect: v }), { option: 'collect' }))
  }
  for (const option of ['onProgress', 'afterBatch']) {
    for (const v of BAD_FUNCTIONS.filter((f) => f !== undefined)) {
      it(`${option} ${label(v)}`, () => expectTypedErr(() => call({ concurrency: 1, [option]: v }), { option }))
    }
  }
  for (const field of ['batchSize', 'mode', 'collect', 'total', 'onProgress', 'afterBatch']) {
    it(`a throwing getter on ${field}`, () =>
      expectTypedErr(() => call(throwingField({ concurrency: 1 }, field)), { option: field }))
  }
})

describe('mapStream: bad arguments and options of its own', () => {
  const call = (o: unknown) => first(mapStream(items, fn, o as never))
  it('no options at all', () =>
    expectTypedErr(() => first((mapStream as Call2)(items, fn) as AsyncIterable<unknown>), { option: 'concurrency' }))
  for (const v of BAD_ITEMS) {
    it(`items ${label(v)}`, () =>
      expectTypedErr(() => first(mapStream(v as never, fn, { concurrency: 1 })), { option: 'items' }))
  }
  for (const [what, v] of HOSTILE) {
    it(`items: ${what}`, () =>
      expectTypedErr(() => first(mapStream(v as never, fn, { concurrency: 1 })), { option: 'items' }))
  }
  for (const v of BAD_FUNCTIONS) {
    it(`fn ${label(v)}`, () =>
      expectTypedErr(() => first(mapStream(items, v as never, { concurrency: 1 })), { option: 'fn' }))
  }
  for (const option of ['ordered', 'withIndex']) {
    for (const v of ['yes', 0, 1, null, {}]) {
      it(`${option} ${label(v)}`, () => expectTypedErr(() => call({ concurrency: 1, [option]: v }), { option }))
    }
    it(`a throwing getter on ${option}`, () =>
      expectTypedErr(() => call(throwingField({ concurrency: 1 }, option)), { option }))
  }
})

type Call2 = (a: unknown, b: unknown) => unknown
const stage = { name: 's', fn }

describe('pipeline: bad source, options, stages and run options', () => {
  const run = (p: { run(o?: unknown): unknown }, o?: unknown) => p.run(o)
  const iterate = (p: AsyncIterable<unknown>) => first(p)
  for (const v of BAD_ITEMS) {
    it(`source ${label(v)}`, () => expectTypedErr(() => run(pipeline(v as never)), { option: 'source' }))
    it(`source ${label(v)} (iterated)`, () => expectTypedErr(() => iterate(pipeline(v as never)), { option: 'source' }))
  }
  for (const [what, v] of HOSTILE) {
    it(`source: ${what}`, () => expectTypedErr(() => run(pipeline(v as never)), { option: 'source' }))
  }
  for (const v of BAD_OPTIONS) {
    it(`options ${label(v)}`, () => expectTypedErr(() => run(pipeline(items, v as never)), { option: 'options' }))
  }
  // (Not the object with a throwing `then` getter: every option is optional and `then` is never
  // read, so it is a fine, empty options object.)
  it('options: a Proxy', () => expectTypedErr(() => run(pipeline(items, H.proxy as never))))
  for (const [option, values] of [
    ['mode', ['yolo', 1, null, {}]],
    ['ordered', ['yes', 0, null]],
    ['signal', BAD_SIGNALS],
    ['onProgress', BAD_FUNCTIONS.filter((f) => f !== undefined)],
    ['progressIntervalMs', BAD_MS],
  ] as const) {
    for (const v of values) {
      it(`${option} ${label(v)}`, () =>
        expectTypedErr(() => run(pipeline(items, { [option]: v } as never)), { option }))
    }
    it(`a throwing getter on ${option}`, () =>
      expectTypedErr(() => run(pipeline(items, throwingField({}, option) as never)), { option }))
  }
  // .stage / .pool / .chunk with a wrong stage object
  for (const method of ['stage', 'pool', 'chunk'] as const) {
    for (const v of [undefined, null, 1, 'x', Symbol('s'), () => ({})]) {
      it(`.${method}(${label(v)})`, () =>
        expectTypedErr(() => run((pipeline(items) as unknown as Record<string, Call>)[method]?.(v) as never), {
          option: 'stages[0]',
        }))
    }
    for (const [what, v] of HOSTILE.filter(([k]) => k !== 'nullProto')) {
      it(`.${method}(${what})`, () =>
        expectTypedErr(() => run((pipeline(items) as unknown as Record<string, Call>)[method]?.(v) as never)))
    }
  }
  for (const v of BAD_SIZES) {
    it(`stage concurrency ${label(v)}`, () =>
      expectTypedErr(() => run(pipeline(items).stage({ ...stage, concurrency: v } as never)), {
        option: 'stages[0].concurrency',
      }))
    it(`stage concurrency ${label(v)} (iterated)`, () =>
      expectTypedErr(() => iterate(pipeline(items).stage({ ...stage, concurrency: v } as never)), {
        option: 'stages[0].concurrency',
      }))
    it(`chunk size ${label(v)}`, () =>
      expectTypedErr(() => run(pipeline(items).chunk({ name: 'c', size: v } as never)), { option: 'stages[0].size' }))
  }
  // buffer may be 0 (hand over only when a slot is free).
  for (const v of BAD_SIZES.filter((n) => n !== 0)) {
    it(`stage buffer ${label(v)}`, () =>
      expectTypedErr(() => run(pipeline(items).stage({ ...stage, buffer: v } as never)), {
        option: 'stages[0].buffer',
      }))
  }
  for (const v of BAD_MS) {
    it(`stage timeoutMs ${label(v)}`, () =>
      expectTypedErr(() => run(pipeline(items).stage({ ...stage, timeoutMs: v } as never)), {
        option: 'stages[0].timeoutMs',
      }))
    it(`chunk maxWaitMs ${label(v)}`, () =>
      expectTypedErr(() => run(pipeline(items).chunk({ name: 'c', size: 2, maxWaitMs: v } as never)), {
        option: 'stages[0].maxWaitMs',
      }))
  }
  for (const v of BAD_FUNCTIONS) {
    it(`stage fn ${label(v)}`, () =>
      expectTypedErr(() => run(pipeline(items).stage({ name: 's', fn: v } as never)), { option: 'stages[0].fn' }))
  }
  for (const [what, v] of [...[undefined, null, 1, {}, { run: 1 }].map((p) => [label(p), p] as const), ...HOSTILE]) {
    it(`pool stage pool ${what}`, () =>
      expectTypedErr(() => run(pipeline(items).pool({ name: 'p', pool: v, task: 't' } as never)), {
        option: 'stages[0].pool',
      }))
  }
  for (const field of ['name', 'fn', 'concurrency', 'retry']) {
    it(`a throwing getter on stage ${field}`, () =>
      expectTypedErr(() => run(pipeline(items).stage(throwingField(stage, field) as never)), {
        option: `stages[0].${field}`,
      }))
  }
  for (const v of [...BAD_OPTIONS, null]) {
    it(`run(${label(v)})`, () => expectTypedErr(() => run(pipeline(items), v), { option: 'options' }))
  }
  for (const v of ['no', 0, null, {}]) {
    it(`run({ collect: ${label(v)} })`, () =>
      expectTypedErr(() => run(pipeline(items), { collect: v }), { option: 'collect' }))
  }
  it('run: a throwing getter on collect', () =>
    expectTypedErr(() => run(pipeline(items), throwingField({}, 'collect')), { option: 'collect' }))
})

describe('chunk: bad source and options', () => {
  const call = (source: unknown, o: unknown) => first(chunk(source as never, o as never))
  for (const v of BAD_ITEMS)
    it(`source ${label(v)}`, () => expectTypedErr(() => call(v, { size: 2 }), { option: 'source' }))
  for (const v of [undefined, ...BAD_OPTIONS])
    it(`options ${label(v)}`, () => expectTypedErr(() => call(items, v), { option: 'options' }))
  for (const [what, v] of HOSTILE.filter(([k]) => k !== 'nullProto')) {
    it(`options: ${what}`, () => expectTypedErr(() => call(items, v)))
  }
  for (const v of BAD_SIZES)
    it(`size ${label(v)}`, () => expectTypedErr(() => call(items, { size: v }), { option: 'size' }))
  for (const v of BAD_MS) {
    it(`maxWaitMs ${label(v)}`, () =>
      expectTypedErr(() => call(items, { size: 2, maxWaitMs: v }), { option: 'maxWaitMs' }))
  }
  for (const v of BAD_SIGNALS) {
    it(`signal ${label(v)}`, () => expectTypedErr(() => call(items, { size: 2, signal: v }), { option: 'signal' }))
  }
  for (const field of ['size', 'maxWaitMs', 'signal']) {
    it(`a throwing getter on ${field}`, () =>
      expectTypedErr(() => call(items, throwingField({ size: 2 }, field)), { option: field }))
  }
})

afterAll(() => {
  console.log(`bad-input/batch: ${caseCount()} cases`)
})

// Bad input at every public entry of the in-process workflow: createWorkflow and its per-run
// options, the body's step / withTimeout / all / any / race / sleep / waitFor / offload, and the sync
// helpers renderTimeline and toMermaid (which document a TypeError / RangeError instead).
import { ok, okAsync } from 'neverthrow'
import { afterAll, describe, expect, it } from 'vitest'
import { createWorkflow, memoryStore, renderTimeline, toMermaid, type WorkflowEvent } from '../../src/index.js'
import {
  BAD_FUNCTIONS,
  BAD_NUMBERS,
  BAD_OPTIONS,
  BAD_SIGNALS,
  caseCount,
  expectDocumentedThrow,
  expectTypedErr,
  label as harnessLabel,
  hostile,
} from './harness.js'

const { throwingGetter, proxy, nullProto } = hostile()
/** The harness's label, safe for values whose every read throws. */
const label = (v: unknown): string => {
  if (v === proxy) return 'a Proxy whose traps throw'
  if (v === throwingGetter) return 'a throwing then getter'
  if (v === throwingField) return 'a field getter that throws'
  try {
    return harnessLabel(v)
  } catch {
    return 'an unreadable value'
  }
}
// Valid as milliseconds (0.5 ms is a fine limit), so not in the table of bad ones.
const BAD_MS = BAD_NUMBERS.filter((v) => v !== 0.5)
const BAD_NAMES: readonly unknown[] = ['', 1, null, true, {}, [], Symbol('name'), () => 'n', proxy]
// An options object whose (enumerable) field throws when read, and a Proxy whose every trap throws.
const throwingField = Object.defineProperty({}, 'timeoutMs', {
  enumerable: true,
  get() {
    throw new Error('getter')
  },
})
const unreadable = [throwingField, proxy]
// A stand-in pool: only its shape is checked before the run.
const fakePool = { run: () => okAsync(1) }

type AnyStep = Record<string, (...args: unknown[]) => Promise<unknown>> & ((...args: unknown[]) => Promise<unknown>)
/** Runs `use(step)` in a fresh workflow and returns the run's Result. */
const inBody = (use: (step: AnyStep) => Promise<unknown>) => () =>
  createWorkflow({})(async (step) => use(step as unknown as AnyStep))

afterAll(() => {
  console.log(`bad-input/workflow: ${caseCount()} cases`)
})

describe('createWorkflow options', () => {
  for (const v of [...BAD_OPTIONS, ...unreadable]) {
    it(`options ${label(v)} → err(InvalidOptionsError)`, () =>
      expectTypedErr(() => createWorkflow({}, v as never)(async () => 1), { option: 'options' }))
    it(`per-run options ${label(v)} → err(InvalidOptionsError)`, () =>
      expectTypedErr(() => createWorkflow({})(async () => 1, v as never), { option: 'options' }))
  }
  for (const v of [1, true, {}, [], Symbol('n'), proxy]) {
    it(`name ${label(v)}`, () =>
      expectTypedErr(() => createWorkflow({}, { name: v } as never)(async () => 1), { option: 'name' }))
  }
  for (const v of ['', 1, null, {}, Symbol('r'), proxy]) {
    it(`runId ${label(v)}`, () =>
      expectTypedErr(() => createWorkflow({}, { runId: v } as never)(async () => 1), { option: 'runId' }))
  }
  for (const v of [...BAD_MS, proxy]) {
    it(`timeoutMs ${label(v)}`, () =>
      expectTypedErr(() => createWorkflow({})(async () => 1, { timeoutMs: v } as never), { option: 'timeoutMs' }))
  }
  for (const v of BAD_SIGNALS) {
    it(`signal ${label(v)}`, () =>
      expectTypedErr(() => createWorkflow({}, { signal: v } as never)(async () => 1), { option: 'signal' }))
  }
  it('signal: a Proxy whose traps throw', () =>
    expectTypedErr(() => createWorkflow({}, { signal: proxy } as never)(async () => 1)))
  for (const v of BAD_FUNCTIONS.filter((f) => f !== undefined)) {
    it(`onEvent ${label(v)}`, () =>
      expectTypedErr(() => createWorkflow({}, { onEvent: v } as never)(async () => 1), { option: 'onEvent' }))
  }
  for (const v of [1, 'dir', {}, { load: () => 1 }, [], () => 1]) {
    it(`store ${label(v)}`, () =>
      expectTypedErr(() => createWorkflow({}, { store: v, runId: 'r' } as never)(async () => 1), { option: 'store' }))
  }
  it('store: a Proxy whose traps throw', () =>
    expectTypedErr(() => createWorkflow({}, { store: proxy, runId: 'r' } as never)(async () => 1)))
  for (const v of BAD_FUNCTIONS) {
    it(`body ${label(v)}`, () => expectTypedErr(() => createWorkflow({})(v as never), { option: 'body' }))
  }
  it('a null-prototype options object is fine', async () => {
    expect((await createWorkflow({}, nullProto as never)(async () => 7))._unsafeUnwrap()).toBe(7)
  })
})

describe('step(fn, options)', () => {
  for (const v of BAD_FUNCTIONS) {
    it(`fn ${label(v)}`, () =>
      expectTypedErr(
        inBody((step) => step(v)),
        { option: 'fn' },
      ))
  }
  for (const v of [...BAD_OPTIONS, ...unreadable]) {
    it(`options ${label(v)}`, () =>
      expectTypedErr(
        inBody((step) => step(() => ok(1), v)),
        { option: 'options' },
      ))
  }
  for (const v of BAD_NAMES.filter((n) => n !== null && n !== proxy)) {
    it(`name ${label(v)}`, () =>
      expectTypedErr(
        inBody((step) => step(() => ok(1), { name: v })),
        { option: 'name' },
      ))
  }
  for (const v of BAD_MS) {
    it(`timeoutMs ${label(v)}`, () =>
      expectTypedErr(
        inBody((step) => step(() => ok(1), { timeoutMs: v })),
        { option: 'timeoutMs' },
      ))
  }
  for (const v of [0, Number.NaN, '', true, 5, null, [], () => 1, ...unreadable]) {
    it(`retry ${label(v)}`, () => expectTypedErr(inBody((step) => step(() => ok(1), { retry: v }))))
  }
  for (const v of [0, 1.5, -1, Number.NaN, '3', null]) {
    it(`retry.attempts ${label(v)}`, () =>
      expectTypedErr(
        inBody((step) => step(() => ok(1), { retry: { attempts: v } })),
        { option: 'retry.attempts' },
      ))
  }
  const throwingBackoff = Object.defineProperty({}, 'initialMs', {
    enumerable: true,
    get() {
      throw new Error('getter')
    },
  })
  for (const v of [5, 'x', proxy, throwingBackoff]) {
    it(`retry.backoff ${label(v)}`, () =>
      expectTypedErr(inBody((step) => step(() => ok(1), { retry: { attempts: 2, backoff: v } }))))
  }
  for (const v of [1, 'x', {}]) {
    it(`retry.retryIf ${label(v)}`, () =>
      expectTypedErr(
        inBody((step) => step(() => ok(1), { retry: { attempts: 2, retryIf: v } })),
        {
          option: 'retry.retryIf',
        },
      ))
  }
  for (const v of ['', 1, {}, Symbol('k')]) {
    it(`key ${label(v)}`, () =>
      expectTypedErr(
        inBody((step) => step(() => ok(1), { key: v })),
        { option: 'key' },
      ))
  }
  for (const v of [null, 1, 'undo', {}, [], true, proxy]) {
    it(`compensate ${label(v)}`, () =>
      expectTypedErr(
        inBody((step) => step(() => ok(1), { compensate: v })),
        { option: 'compensate' },
      ))
  }
})

describe('step.withTimeout(fn, { ms })', () => {
  for (const v of [undefined, ...BAD_OPTIONS, ...unreadable]) {
    it(`options ${label(v)}`, () =>
      expectTypedErr(inBody((step) => step.withTimeout?.(() => ok(1), v) as Promise<unknown>)))
  }
  for (const v of BAD_MS) {
    it(`ms ${label(v)}`, () =>
      expectTypedErr(
        inBody((step) => step.withTimeout?.(() => ok(1), { ms: v }) as Promise<unknown>),
        { option: 'ms' },
      ))
  }
  for (const v of BAD_FUNCTIONS) {
    it(`fn ${label(v)}`, () =>
      expectTypedErr(
        inBody((step) => step.withTimeout?.(v, { ms: 10 }) as Promise<unknown>),
        { option: 'fn' },
      ))
  }
})

describe('step.all / step.any / step.race', () => {
  function* gen() {
    yield () => ok(1)
  }
  for (const kind of ['all', 'any', 'race'] as const) {
    const group = (step: AnyStep, ...args: unknown[]) => (step[kind] as (...a: unknown[]) => Promise<unknown>)(...args)
    for (const v of BAD_NAMES) {
      it(`${kind}: name ${label(v)}`, () =>
        expectTypedErr(
          inBody((step) => group(step, v, [() => ok(1)])),
          { option: 'name' },
        ))
    }
    for (const v of [undefined, null, 0, 1, 'ab', true, new Set([() => ok(1)]), new Map(), gen(), proxy, new Date()]) {
      it(`${kind}: inputs ${label(v)}`, () =>
        expectTypedErr(
          inBody((step) => group(step, 'g', v)),
          { option: 'inputs' },
        ))
    }
    for (const v of [...BAD_OPTIONS, ...unreadable]) {
      it(`${kind}: options ${label(v)}`, () =>
        expectTypedErr(
          inBody((step) => group(step, 'g', [() => ok(1)], v)),
          { option: 'options' },
        ))
    }
    for (const v of BAD_MS) {
      it(`${kind}: timeoutMs ${label(v)}`, () =>
        expectTypedErr(
          inBody((step) => group(step, 'g', [() => ok(1)], { timeoutMs: v })),
          { option: 'timeoutMs' },
        ))
    }
    if (kind !== 'race') {
      for (const v of [0, -1, 0.5, Number.NaN, '2', null, {}]) {
        it(`${kind}: concurrency ${label(v)}`, () =>
          expectTypedErr(
            inBody((step) => group(step, 'g', [() => ok(1)], { concurrency: v })),
            { option: 'concurrency' },
          ))
      }
    }
    for (const v of ['', 1, {}]) {
      it(`${kind}: key ${label(v)}`, () =>
        expectTypedErr(
          inBody((step) => group(step, 'g', [() => ok(1)], { key: v })),
          { option: 'key' },
        ))
    }
  }
})

describe('step.sleep(name, ms)', () => {
  for (const v of BAD_NAMES) {
    it(`name ${label(v)}`, () =>
      expectTypedErr(
        inBody((step) => step.sleep?.(v, 1) as Promise<unknown>),
        { option: 'name' },
      ))
  }
  for (const v of [undefined, Number.POSITIVE_INFINITY, ...BAD_MS]) {
    it(`ms ${label(v)}`, () =>
      expectTypedErr(
        inBody((step) => step.sleep?.('nap', v) as Promise<unknown>),
        { option: 'ms' },
      ))
  }
})

describe('step.waitFor(name, key, options)', () => {
  // In a durable run, so that only the arguments are wrong (without a store: option `store`).
  const durable = (use: (step: AnyStep) => Promise<unknown>) => () =>
    createWorkflow({}, { store: memoryStore(), runId: 'bad-wait' })(async (step) => use(step as unknown as AnyStep))
  const waitFor = (step: AnyStep, ...args: unknown[]) => step.waitFor?.(...args) as Promise<unknown>
  for (const v of BAD_NAMES) {
    it(`name ${label(v)}`, () =>
      expectTypedErr(
        durable((step) => waitFor(step, v, 'k')),
        { option: 'name' },
      ))
    it(`key ${label(v)}`, () =>
      expectTypedErr(
        durable((step) => waitFor(step, 'w', v)),
        { option: 'key' },
      ))
  }
  for (const v of BAD_NAMES.filter((x) => x !== undefined && x !== proxy)) {
    it(`options.key ${label(v)}`, () =>
      expectTypedErr(
        durable((step) => waitFor(step, 'w', 'k', { key: v })),
        { option: 'options.key' },
      ))
  }
  for (const v of BAD_MS) {
    it(`timeoutMs ${label(v)}`, () =>
      expectTypedErr(
        durable((step) => waitFor(step, 'w', 'k', { timeoutMs: v })),
        { option: 'timeoutMs' },
      ))
  }
  for (const v of [...BAD_OPTIONS, ...unreadable]) {
    it(`options ${label(v)}`, () =>
      expectTypedErr(
        durable((step) => waitFor(step, 'w', 'k', v)),
        { option: 'options' },
      ))
  }
  it('no store → option store', () =>
    expectTypedErr(
      inBody((step) => waitFor(step, 'w', 'k')),
      { option: 'store' },
    ))
})

describe('step.offload(name, pool, task, input, options)', () => {
  const offload = (step: AnyStep, ...args: unknown[]) => step.offload?.(...args) as Promise<unknown>
  for (const v of BAD_NAMES) {
    it(`name ${label(v)}`, () =>
      expectTypedErr(
        inBody((step) => offload(step, v, fakePool, 't', 1)),
        { option: 'name' },
      ))
  }
  for (const v of [undefined, null, 1, 'pool', {}, { run: 1 }, [], proxy, throwingGetter]) {
    it(`pool ${label(v)}`, () =>
      expectTypedErr(
        inBody((step) => offload(step, 'o', v, 't', 1)),
        { option: 'pool' },
      ))
  }
  for (const v of [undefined, null, 1, '', {}, Symbol('t')]) {
    it(`task ${label(v)}`, () =>
      expectTypedErr(
        inBody((step) => offload(step, 'o', fakePool, v, 1)),
        { option: 'task' },
      ))
  }
  for (const v of [...BAD_OPTIONS, ...unreadable]) {
    it(`options ${label(v)}`, () =>
      expectTypedErr(
        inBody((step) => offload(step, 'o', fakePool, 't', 1, v)),
        { option: 'options' },
      ))
  }
})

describe('renderTimeline and toMermaid (sync: a documented TypeError / RangeError)', () => {
  const good: WorkflowEvent = { type: 'workflow_start', runId: 'r', workflow: 'w', ts: 1 }
  const step = {
    type: 'step_start',
    runId: 'r',
    workflow: 'w',
    ts: 1,
    stepId: 's1',
    name: 'a',
    kind: 'step',
    attempt: 1,
  }
  const badEvents: readonly unknown[] = [
    undefined,
    null,
    1,
    'events',
    {},
    new Set([good]),
    proxy,
    [null],
    [1],
    ['workflow_start'],
    [{}],
    [{ ...good, type: 'nope' }],
    [{ ...good, type: undefined }],
    [{ ...good, ts: Number.NaN }],
    [{ ...good, ts: '1' }],
    [{ ...good, runId: 1 }],
    [{ ...good, workflow: null }],
    [{ ...step, stepId: 1 }],
    [{ ...step, name: undefined }],
    [{ ...step, kind: {} }],
    [{ ...step, parentId: 2 }],
    [good, proxy],
    [good, throwingGetter, good],
    new Proxy([good], {
      get: () => {
        throw new Error('array trap')
      },
    }),
  ]
  badEvents.forEach((v, i) => {
    it(`renderTimeline: events #${i} ${label(v)}`, () =>
      expectDocumentedThrow(() => renderTimeline(v as never), 'renderTimeline'))
    it(`toMermaid: events #${i} ${label(v)}`, () => expectDocumentedThrow(() => toMermaid(v as never), 'toMermaid'))
  })
  for (const v of [
    ...BAD_OPTIONS,
    null,
    proxy,
    { width: Number.NaN },
    { width: '3' },
    { width: {} },
    { width: null },
  ]) {
    it(`renderTimeline: options ${label(v)}`, () =>
      expectDocumentedThrow(() => renderTimeline([good], v as never), 'renderTimeline'))
  }
  it('toMermaid: events of two runs', () =>
    expectDocumentedThrow(() => toMermaid([good, { ...good, runId: 'other' }]), 'toMermaid'))
  it('a huge or tiny width is kept in range, not a crash', () => {
    expect(renderTimeline([good, step as WorkflowEvent], { width: 1e12 }).split('\n')[1]?.length).toBeLessThan(1100)
    expect(renderTimeline([good, step as WorkflowEvent], { width: -5 })).toContain('│')
  })
})

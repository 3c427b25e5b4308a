// Bad-input table for registered runs (issue 19 entries): the worker's sleepInProcessMs and
// client.emit's key and payload. Each answers err(InvalidOptionsError) naming the option.
import { afterAll, describe, it } from 'vitest'
import { createClient, createWorker, defineWorkflow, memoryStore } from '../../src/index.js'
import { BAD_NUMBERS, caseCount, expectTypedErr, label as harnessLabel, hostile } from './harness.js'

const { proxy } = hostile()
const label = (v: unknown) => (v === proxy ? 'a Proxy whose traps throw' : harnessLabel(v))
const wf = defineWorkflow('w', {}, async () => 1)

afterAll(() => {
  console.log(`bad-input/runs: ${caseCount()} cases`)
})

describe('createWorker(store, workflows, { sleepInProcessMs })', () => {
  for (const v of BAD_NUMBERS.filter((x) => x !== 0.5)) {
    it(`sleepInProcessMs ${label(v)}`, () =>
      expectTypedErr(() => createWorker(memoryStore(), [wf], { sleepInProcessMs: v as number }).start(), {
        option: 'sleepInProcessMs',
      }))
  }
})

describe('client.emit(key, payload)', () => {
  const client = createClient(memoryStore())
  for (const v of [undefined, null, '', 1, true, {}, [], Symbol('k'), () => 'k', proxy]) {
    it(`key ${label(v)}`, () => expectTypedErr(() => client.emit(v as string, 1), { option: 'key' }))
  }
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  const payloads: [string, unknown, string][] = [
    ['undefined', undefined, 'payload'],
    ['NaN', Number.NaN, 'payload'],
    ['Infinity', Number.POSITIVE_INFINITY, 'payload'],
    ['-0', -0, 'payload'],
    ['a function', () => 1, 'payload'],
    ['a symbol', Symbol('p'), 'payload'],
    ['a BigInt', 10n, 'payload'],
    ['a Date', new Date(0), 'payload'],
    ['a Map', new Map(), 'payload'],
    ['undefined in an array', [1, undefined], 'payload[1]'],
    ['a nested function', { a: { b: () => 1 } }, 'payload.a.b'],
    ['a cycle', cyclic, 'payload.self'],
    ['a Proxy whose traps throw', proxy, 'payload'],
  ]
  for (const [what, v, option] of payloads) {
    it(`payload ${what}`, () => expectTypedErr(() => client.emit('k', v), { option }))
  }
})

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { err, ok } from 'neverthrow'
import { describe, expect, it } from 'vitest'
import {
  createWorkflow,
  fileStore,
  InvalidOptionsError,
  memoryStore,
  type Step,
  type WorkflowError,
  type WorkflowStore,
} from '../../src/index.js'

type Flaky = { _tag: 'Flaky' }

/** A three-step body whose middle step fails while `failing.now` is true; counts what ran. */
function threeSteps() {
  const ran: string[] = []
  const failing = { now: true }
  const deps = {
    b: () => (failing.now ? err<number, Flaky>({ _tag: 'Flaky' }) : ok<number, Flaky>(2)),
  }
  const body = async (step: Step<WorkflowError<typeof deps>>) => {
    const a = await step(() => ok(ran.push('a') && 1), { name: 'a' })
    const b = await step(
      () => {
        ran.push('b')
        return deps.b()
      },
      { name: 'b' },
    )
    const c = await step(() => ok(ran.push('c') && 3), { name: 'c' })
    return a + b + c
  }
  return { ran, failing, body, deps }
}

describe('retry of a failed durable run', () => {
  for (const [name, make] of [
    ['memoryStore', () => ({ store: memoryStore() as WorkflowStore, done: () => {} })],
    [
      'fileStore',
      () => {
        const dir = mkdtempSync(join(tmpdir(), 'okflow-retry-'))
        return { store: fileStore(dir) as WorkflowStore, done: () => rmSync(dir, { recursive: true, force: true }) }
      },
    ],
  ] as const) {
    it(`${name}: retry: true replays the saved ok steps and runs again from the failed step; a finished ok run answers from its record`, async () => {
      const { store, done } = make()
      try {
        const { ran, failing, body, deps } = threeSteps()
        const first = await createWorkflow(deps, { store, runId: 'r' })(body)
        expect(first._unsafeUnwrapErr()).toEqual({ _tag: 'Flaky' })
        expect(ran).toEqual(['a', 'b'])
        failing.now = false
        // Without retry the failed run keeps its answer and runs nothing.
        expect((await createWorkflow(deps, { store, runId: 'r' })(body))._unsafeUnwrapErr()).toEqual({ _tag: 'Flaky' })
        expect(ran).toEqual(['a', 'b'])
        const again = await createWorkflow(deps, { store, runId: 'r', retry: true })(body)
        expect(again._unsafeUnwrap()).toBe(6)
        expect(ran).toEqual(['a', 'b', 'b', 'c']) // a replayed; b ran again; c ran once
        // A finished ok run still answers from its record, retry or not.
        expect((await createWorkflow(deps, { store, runId: 'r', retry: true })(body))._unsafeUnwrap()).toBe(6)
        expect(ran).toEqual(['a', 'b', 'b', 'c'])
        expect((await store.load('r')).map((x) => [x.key, x.ok])).toEqual([
          ['a', true],
          ['b', true],
          ['c', true],
          ['$result', true],
        ])
      } finally {
        done()
      }
    })
  }
})

describe('per-step recording: record: false and codec', () => {
  it('record: false saves nothing for the step (it runs again on replay); the steps after it keep their positions', async () => {
    const store = memoryStore()
    const ran: string[] = []
    const body = async (step: Step<WorkflowError<{}>>) => {
      const a = await step(() => ok(ran.push('a')), { name: 'a' })
      const now = await step(() => ok(ran.push('clock') && new Date(0)), { name: 'clock', record: false })
      const c = await step(() => ok(ran.push('c')), { name: 'c' })
      return `${a}/${now instanceof Date}/${c > 0}`
    }
    const crash = {
      ...store,
      append: (l: never, r: { seq: number }) => (r.seq < 0 ? Promise.resolve() : store.append(l, r as never)),
    }
    expect((await createWorkflow({}, { store: crash as WorkflowStore, runId: 'rf' })(body))._unsafeUnwrap()).toBe(
      '1/true/true',
    )
    expect((await store.load('rf')).map((x) => [x.seq, x.key])).toEqual([
      [0, 'a'],
      [2, 'c'],
    ])
    expect((await createWorkflow({}, { store, runId: 'rf' })(body))._unsafeUnwrap()).toBe('1/true/true')
    expect(ran).toEqual(['a', 'clock', 'c', 'clock']) // only the unrecorded step ran again
  })

  it('codec saves what encode returns and replays decode(json): bytes as base64', async () => {
    const store = memoryStore()
    const bytes = {
      encode: (v: unknown) => Buffer.from(v as Uint8Array).toString('base64'),
      decode: (j: unknown) => new Uint8Array(Buffer.from(j as string, 'base64')),
    }
    let runs = 0
    const crash = {
      ...store,
      append: (l: never, r: { seq: number }) => (r.seq < 0 ? Promise.resolve() : store.append(l, r as never)),
    }
    const body = async (step: Step<WorkflowError<{}>>) => {
      const b = await step(() => ok(runs++ >= 0 && new Uint8Array([1, 2, 255])), { name: 'bytes', codec: bytes })
      return b instanceof Uint8Array ? [...b] : 'not bytes'
    }
    expect((await createWorkflow({}, { store: crash as WorkflowStore, runId: 'c' })(body))._unsafeUnwrap()).toEqual([
      1, 2, 255,
    ])
    expect((await store.load('c'))[0]).toMatchObject({ key: 'bytes', ok: true, value: 'AQL/' })
    expect((await createWorkflow({}, { store, runId: 'c' })(body))._unsafeUnwrap()).toEqual([1, 2, 255])
    expect(runs).toBe(1) // replayed through decode
  })

  it('a non-JSON step value names the step and the path, and says how to fix it (codec, record: false)', async () => {
    const r = await createWorkflow(
      {},
      { store: memoryStore(), runId: 'nj' },
    )(async (step) => step(() => ok({ file: { data: new Uint8Array(2) } }), { name: 'read file' }))
    const e = r._unsafeUnwrapErr() as InvalidOptionsError
    expect(e).toBeInstanceOf(InvalidOptionsError)
    expect(e.option).toBe('step "read file" value.file.data')
    expect(e.message).toContain('codec')
    expect(e.message).toContain('record: false')
  })

  it('checks record and codec', async () => {
    for (const [opts, option] of [
      [{ record: 'no' }, 'record'],
      [{ codec: { encode: () => 1 } }, 'codec'],
      [{ codec: null }, 'codec'],
    ] as const) {
      const r = await createWorkflow(
        {},
        { store: memoryStore(), runId: 'o' },
      )(async (step) => step(() => ok(1), opts as never))
      expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option })
    }
  })
})

describe('durable replay never silently changes a value (issue 13, item 18)', () => {
  it('-0, symbol keys and extra array properties are refused with a readable path; a throwing getter too', async () => {
    const withSymbol = { a: 1, [Symbol('s')]: 2 }
    const arr = Object.assign([1, 2], { extra: 'x' })
    const getter = {
      get v(): number {
        throw new Error('no')
      },
    }
    const cases: [string, unknown, string][] = [
      ['minus zero', { n: -0 }, 'step "minus zero" value.n'],
      ['symbol key', { o: withSymbol }, 'step "symbol key" value.o[Symbol(s)]'],
      ['array prop', { list: arr }, 'step "array prop" value.list.extra'],
      ['getter', { g: getter }, 'step "getter" value.g.v'],
      ['odd key', { 'a b': -0 }, 'step "odd key" value["a b"]'],
    ]
    for (const [name, value, option] of cases) {
      const store = memoryStore()
      const r = await createWorkflow({}, { store, runId: name })(async (step) => step(() => ok(value), { name }))
      const e = r._unsafeUnwrapErr()
      expect(e).toBeInstanceOf(InvalidOptionsError)
      expect(e).toMatchObject({ option })
      expect((await store.load(name)).filter((x) => x.seq >= 0)).toEqual([])
    }
  })
})

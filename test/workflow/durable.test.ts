import { err, ok, type Result } from 'neverthrow'
import { match } from 'ts-pattern'
import { afterAll, describe, expect, it } from 'vitest'
import { createWorkerPool, type WorkerTasks } from '../../dist/worker.js'
import {
  CancelledError,
  createWorkflow,
  InvalidOptionsError,
  memoryStore,
  ReplayMismatchError,
  renderTimeline,
  type StepRecord,
  TimeoutError,
  type WorkflowEvent,
  type WorkflowStore,
} from '../../src/index.js'
import { later } from '../helpers.js'

class Declined extends Error {
  readonly _tag = 'Declined' as const
  override readonly name = 'Declined' as const
  readonly amount: number
  readonly retry = () => 'functions are not data'
  constructor(amount: number) {
    super(`Card declined for ${amount}`)
    this.amount = amount
  }
}

/** A store that "crashes" before the outcome is written: it keeps steps but drops `seq: -1`. */
function crashingStore(inner: WorkflowStore = memoryStore()): WorkflowStore & { inner: WorkflowStore } {
  return {
    inner,
    acquire: (id, owner, ms) => inner.acquire(id, owner, ms),
    renew: (lease, ms) => inner.renew(lease, ms),
    release: (lease) => inner.release(lease),
    load: (id) => inner.load(id),
    append: (lease, rec) => (rec.seq < 0 ? Promise.resolve() : inner.append(lease, rec)),
    reopen: (lease) => inner.reopen(lease),
  }
}

/** The fields replay reads (records also describe each step: name, kind, times). */
const core = ({ seq, key, ok, value }: StepRecord) => (value === undefined ? { seq, key, ok } : { seq, key, ok, value })

/** Counts how often each step key really ran. */
function counter() {
  const runs: Record<string, number> = {}
  const ran = <T>(key: string, value: T) => {
    runs[key] = (runs[key] ?? 0) + 1
    return ok(value)
  }
  return { runs, ran }
}

const events = () => {
  const list: WorkflowEvent[] = []
  return { list, onEvent: (e: WorkflowEvent) => list.push(e) }
}

describe('durable workflows (memoryStore)', () => {
  it('a finished run returns its recorded result without running any step', async () => {
    const store = memoryStore()
    const { runs, ran } = counter()
    const wf = createWorkflow({}, { store, runId: 'r1' })
    const body = async (step: Parameters<Parameters<typeof wf>[0]>[0]) => {
      const a = await step(() => ran('a', 2), { name: 'a' })
      const b = await step(() => ran('b', { n: a * 3, tags: ['x'], nested: { none: null } }), { name: 'b' })
      return { a, b }
    }
    const first = await wf(body)
    const ev = events()
    const second = await wf(body, { onEvent: ev.onEvent })
    expect(second._unsafeUnwrap()).toEqual(first._unsafeUnwrap())
    expect(runs).toEqual({ a: 1, b: 1 })
    expect(ev.list.map((e) => e.type)).toEqual(['workflow_start', 'workflow_success'])
    expect(ev.list[1]?.replayed).toBe(true)
    expect((await store.load('r1')).map((r) => [r.seq, r.key, r.ok])).toEqual([
      [0, 'a', true],
      [1, 'b', true],
      [-1, '$result', true],
    ])
  })

  it('a resumed run replays recorded steps (events marked replayed) and runs the rest', async () => {
    const store = crashingStore()
    const { runs, ran } = counter()
    const wf = createWorkflow({}, { name: 'resume', store, runId: 'r2' })
    const body = async (step: Parameters<Parameters<typeof wf>[0]>[0]) => {
      const a = await step(() => ran('a', 1), { name: 'fetch' })
      await step.sleep('nap', 1)
      const b = await step(() => ran('b', a + 1), { name: 'charge', key: 'charge-v1' })
      await step(() => ran('void', undefined), { name: 'notify' })
      return b
    }
    expect((await wf(body))._unsafeUnwrap()).toBe(2)
    const ev = events()
    expect((await wf(body, { onEvent: ev.onEvent }))._unsafeUnwrap()).toBe(2)
    expect(runs).toEqual({ a: 1, b: 1, void: 1 })
    const ends = ev.list.filter((e) => e.type === 'step_success')
    expect(ends.map((e) => [e.name, e.replayed])).toEqual([
      ['fetch', true],
      ['nap', true],
      ['charge', true],
      ['notify', true],
    ])
    expect(ev.list.filter((e) => e.type === 'step_start').every((e) => e.replayed === true)).toBe(true)
    expect(renderTimeline(ev.list)).toContain('⟲')
  })

  it('a cancelled run records no outcome: rerunning its runId resumes after the last finished step', async () => {
    const store = memoryStore()
    const { runs, ran } = counter()
    const wf = createWorkflow({ later: later<never, never> }, { store, runId: 'r3' })
    const body = async (step: Parameters<Parameters<typeof wf>[0]>[0], slow: boolean) => {
      const a = await step(() => ran('a', 1), { name: 'a' })
      const b = await step(
        async ({ signal }) => {
          runs.b = (runs.b ?? 0) + 1
          return slow ? later(10_000, ok(a + 1), signal) : ok(a + 1)
        },
        { name: 'b' },
      )
      return b
    }
    // Cancelled once b runs (not after a fixed delay: the store opens first).
    const ac = new AbortController()
    const stopAtB = (e: WorkflowEvent) => {
      if (e.type === 'step_start' && e.name === 'b') ac.abort('shutdown')
    }
    const cancelled = await wf((s) => body(s, true), { signal: ac.signal, onEvent: stopAtB })
    expect(cancelled._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect((await store.load('r3')).map((r) => r.key)).toEqual(['a'])
    expect((await wf((s) => body(s, false)))._unsafeUnwrap()).toBe(2)
    expect(runs).toEqual({ a: 1, b: 2 }) // b never finished the first time, so it ran again
  })

  it('parallel groups replay as one unit: children do not run again', async () => {
    const store = crashingStore()
    const { runs, ran } = counter()
    const wf = createWorkflow({ later: later<never, never> }, { store, runId: 'r4' })
    const body = async (step: Parameters<Parameters<typeof wf>[0]>[0]) => {
      const [x, y] = await step.all('fan out', [() => ran('x', 1), () => ran('y', 'two')])
      const rec = await step.all('record', { u: () => ran('u', { id: 7 }), v: () => ran('v', [1, 2]) })
      const fastest = await step.race('race', [() => later(5, ok('slow'))])
      const any = await step.any('any', [() => ran('any', 'won')])
      return { x, y, rec, fastest, any }
    }
    const first = (await wf(body))._unsafeUnwrap()
    const ev = events()
    const again = (await wf(body, { onEvent: ev.onEvent }))._unsafeUnwrap()
    expect(again).toEqual(first)
    expect(again).toEqual({ x: 1, y: 'two', rec: { u: { id: 7 }, v: [1, 2] }, fastest: 'slow', any: 'won' })
    expect(runs).toEqual({ x: 1, y: 1, u: 1, v: 1, any: 1 })
    expect(ev.list.some((e) => 'kind' in e && e.kind === 'child')).toBe(false)
  })

  it('a recorded err replays as the same typed err (tag, name, message, fields; okflow classes keep their class)', async () => {
    const store = crashingStore()
    const { runs } = counter()
    const wf = createWorkflow(
      { charge: (n: number): Result<string, Declined> => err(new Declined(n)) },
      {
        store,
        runId: 'r5',
      },
    )
    const body = async (
      step: Parameters<Parameters<typeof wf>[0]>[0],
      d: { charge: (n: number) => Result<string, Declined> },
    ) =>
      step(
        () => {
          runs.charge = (runs.charge ?? 0) + 1
          return d.charge(42)
        },
        { name: 'charge' },
      )
    const first = (await wf(body))._unsafeUnwrapErr()
    const replayed = (await wf(body))._unsafeUnwrapErr()
    expect(runs.charge).toBe(1)
    const describe = (e: typeof first) =>
      match(e)
        .with({ _tag: 'Declined' }, (x) => `declined ${x.amount}: ${x.message}`)
        .otherwise((x) => `other ${x._tag}`)
    expect(describe(replayed)).toBe(describe(first))
    expect(describe(replayed)).toBe('declined 42: Card declined for 42')
    expect(replayed).toBeInstanceOf(Error)
    expect(replayed.name).toBe('Declined')
    expect('retry' in replayed).toBe(false) // a function field is not data: left out

    // okflow's own errors come back as their classes, so instanceof and step_timeout still work.
    const timed = createWorkflow({ later: later<never, never> }, { store: crashingStore(), runId: 'r5t' })
    const slow = async (step: Parameters<Parameters<typeof timed>[0]>[0]) =>
      step(({ signal }) => later(1_000, ok(1), signal), { name: 'slow', timeoutMs: 5 })
    await timed(slow)
    const ev = events()
    const t = (await timed(slow, { onEvent: ev.onEvent }))._unsafeUnwrapErr()
    expect(t).toBeInstanceOf(TimeoutError)
    expect(t).toMatchObject({ _tag: 'TimeoutError', ms: 5, label: 'slow', message: 'slow timed out after 5 ms' })
    expect(ev.list.find((e) => e.type === 'step_timeout')).toMatchObject({ replayed: true, ms: 5 })
  })

  it('a run that ended with an err records it: rerunning returns that err and runs nothing', async () => {
    const store = memoryStore()
    const { runs, ran } = counter()
    const wf = createWorkflow(
      { charge: (): Result<string, Declined> => err(new Declined(7)) },
      { store, runId: 'failed' },
    )
    const body = async (
      step: Parameters<Parameters<typeof wf>[0]>[0],
      d: { charge: () => Result<string, Declined> },
    ) => {
      await step(() => ran('a', 1), { name: 'a' })
      return step(() => {
        runs.charge = (runs.charge ?? 0) + 1
        return d.charge()
      })
    }
    const first = (await wf(body))._unsafeUnwrapErr()
    const ev = events()
    const again = (await wf(body, { onEvent: ev.onEvent }))._unsafeUnwrapErr()
    expect(again).toMatchObject({ _tag: 'Declined', name: 'Declined', amount: 7, message: first.message })
    expect(runs).toEqual({ a: 1, charge: 1 })
    expect(ev.list.map((e) => [e.type, e.replayed])).toEqual([
      ['workflow_start', undefined],
      ['workflow_error', true],
    ])
  })

  it('a plain-object err replays equal to the original', async () => {
    const store = crashingStore()
    const wf = createWorkflow(
      { f: () => err({ _tag: 'NotFound' as const, id: 3, where: { shelf: [1, 2] } }) },
      {
        store,
        runId: 'r6',
      },
    )
    const a = await wf((step, d) => step(() => d.f()))
    const b = await wf((step, d) => step(() => d.f()))
    expect(b._unsafeUnwrapErr()).toEqual(a._unsafeUnwrapErr())
  })

  it('a different step key at a recorded position → ReplayMismatchError, and the history is kept', async () => {
    const store = crashingStore()
    const { runs, ran } = counter()
    const wf = createWorkflow({}, { store, runId: 'r7' })
    await wf(async (step) => {
      await step(() => ran('a', 1), { name: 'a' })
      await step(() => ran('b', 2), { name: 'b' })
    })
    const changed = await wf(async (step) => {
      await step(() => ran('a', 1), { name: 'a' })
      await step(() => ran('c', 3), { name: 'c' })
    })
    const e = changed._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(ReplayMismatchError)
    expect(e).toMatchObject({ _tag: 'ReplayMismatchError', position: 1, expected: 'b', actual: 'c', runId: 'r7' })
    expect(runs).toEqual({ a: 1, b: 1 }) // c never ran
    expect((await store.inner.load('r7')).map((r) => r.key)).toEqual(['a', 'b'])
  })

  it('a value JSON cannot hold exactly → InvalidOptionsError naming the step and the path', async () => {
    class Point {
      x = 1
    }
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    const bad: [string, unknown, string][] = [
      ['fn', () => 1, 'step "fn" value'],
      ['map', new Map([[1, 2]]), 'step "map" value'],
      ['set', { s: new Set([1]) }, 'step "set" value.s'],
      ['date', { at: new Date(0) }, 'step "date" value.at'],
      ['bigint', [1, 2n], 'step "bigint" value[1]'],
      ['nan', { n: Number.NaN }, 'step "nan" value.n'],
      ['symbol', Symbol('s'), 'step "symbol" value'],
      ['cycle', cyclic, 'step "cycle" value.self'],
      ['class', new Point(), 'step "class" value'],
      ['hole', [1, undefined], 'step "hole" value[1]'],
    ]
    for (const [name, value, option] of bad) {
      const { runs, ran } = counter()
      const store = memoryStore()
      const r = await createWorkflow(
        {},
        { store, runId: name },
      )(async (step) => {
        await step(() => ran(name, value), { name })
        await step(() => ran('after', 1), { name: 'after' })
      })
      const e = r._unsafeUnwrapErr()
      expect(e).toBeInstanceOf(InvalidOptionsError)
      expect(e).toMatchObject({ option })
      if (name === 'cycle') expect((e as InvalidOptionsError).value).toBe(cyclic)
      expect(e.message).toContain('JSON data')
      expect(runs.after).toBeUndefined()
      expect((await store.load(name)).filter((x) => x.seq >= 0)).toEqual([]) // nothing half-saved
    }
    // What JSON holds exactly is fine: undefined at the top (a void step) and as a property.
    const fine = await createWorkflow(
      {},
      { store: memoryStore(), runId: 'fine' },
    )(async (step) => ({
      v: await step(() => ok(undefined)),
      o: await step(() => ok({ a: 1, gone: undefined, nil: null, s: 'x', t: true, o: Object.create(null) })),
    }))
    expect(fine._unsafeUnwrap()).toEqual({ v: undefined, o: { a: 1, nil: null, s: 'x', t: true, o: {} } })
  })

  it('a workflow result JSON cannot hold → InvalidOptionsError for the workflow result', async () => {
    const r = await createWorkflow({}, { store: memoryStore(), runId: 'res' })(async () => new Map())
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'workflow result value' })
  })

  it('checks its options: a store needs a runId, and must look like a store; keys are non-empty strings', async () => {
    const wf = createWorkflow({}, { store: memoryStore() })
    expect((await wf(async () => 1))._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'runId' })
    const notAStore = { load: 1 } as unknown as WorkflowStore
    const r = await createWorkflow({}, { store: notAStore, runId: 'x' })(async () => 1)
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'store' })
    const k = await createWorkflow({})(async (step) => step(() => ok(1), { key: '' }))
    expect(k._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'key' })
  })

  it('store failures become typed errs of the run: StoreError, RunLockedError; never a throw', async () => {
    const base = memoryStore()
    const failing = (op: 'load' | 'append' | 'lock'): WorkflowStore => ({
      ...base,
      acquire: (id, owner, ms) =>
        op === 'lock' ? Promise.reject(new Error('no lock for you')) : base.acquire(id, owner, ms),
      load: (id) => (op === 'load' ? Promise.reject(new Error('db down')) : base.load(id)),
      append: (lease, rec) => (op === 'append' ? Promise.reject(new Error('disk full')) : base.append(lease, rec)),
    })
    for (const op of ['load', 'append', 'lock'] as const) {
      const r = await createWorkflow(
        {},
        { store: failing(op), runId: `f-${op}` },
      )(async (step) => step(() => ok(1), { name: 's' }))
      expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'StoreError', operation: op, runId: `f-${op}` })
    }
    // Two concurrent runs of one runId: the second is refused while the first holds the lock.
    const store = memoryStore()
    const wf = createWorkflow({ later: later<never, never> }, { store, runId: 'busy' })
    const first = wf(async (step) => step(() => later(30, ok('first'))))
    const second = await wf(async (step) => step(() => ok('second')))
    expect(second._unsafeUnwrapErr()).toMatchObject({ _tag: 'RunLockedError', runId: 'busy' })
    expect((await first)._unsafeUnwrap()).toBe('first')
    expect((await wf(async () => 'ignored'))._unsafeUnwrap()).toBe('first') // released, then finished
  })

  it('records are plain JSON with seq, key, ok and value (errors under $okflowError)', async () => {
    const store = crashingStore()
    await createWorkflow(
      { f: () => err(new TimeoutError(9, 'x')) },
      { store, runId: 'fmt' },
    )(async (step, d) => {
      await step(() => ok({ n: 1 }), { name: 'one' })
      await step(() => ok(undefined), { name: 'void' })
      await step(() => d.f(), { name: 'three', key: 'k3' })
    })
    const recs: readonly StepRecord[] = await store.inner.load('fmt')
    expect(recs.map(core)).toEqual([
      { seq: 0, key: 'one', ok: true, value: { n: 1 } },
      { seq: 1, key: 'void', ok: true },
      {
        seq: 2,
        key: 'k3',
        ok: false,
        value: {
          $okflowError: {
            name: 'TimeoutError',
            message: 'x timed out after 9 ms',
            _tag: 'TimeoutError',
            ms: 9,
            label: 'x',
          },
        },
      },
    ])
  })
})

describe('durable offload', () => {
  type Loose = WorkerTasks<{ [name: string]: (input: never) => unknown }>
  const pool = createWorkerPool<Loose>(new URL('../worker/fixtures/tasks.mjs', import.meta.url), {
    maxThreads: 1,
  })._unsafeUnwrap()
  afterAll(async () => {
    await pool.close()
  })

  it('offload steps replay from the store without submitting to the pool; a tagged task err too', async () => {
    const store = crashingStore()
    const wf = createWorkflow({ pool }, { store, runId: 'off' })
    const body = async (step: Parameters<Parameters<typeof wf>[0]>[0], d: { pool: typeof pool }) => {
      const fib = await step.offload('fib', d.pool, 'fib', 20 as never, { key: 'fib-20' })
      const found = await step.offload('find', d.pool, 'find', 1 as never)
      return [fib, found]
    }
    const first = await wf(body)
    expect(first._unsafeUnwrap()).toEqual([6765, { id: 1, name: 'one' }])
    const submitted = pool.metrics().submitted
    const again = await wf(body)
    expect(again._unsafeUnwrap()).toEqual([6765, { id: 1, name: 'one' }])
    expect(pool.metrics().submitted).toBe(submitted)

    const wf2 = createWorkflow({ pool }, { store: crashingStore(), runId: 'off-err' })
    const failing = (step: Parameters<Parameters<typeof wf2>[0]>[0]) => step.offload('find', pool, 'find', 2 as never)
    const e1 = (await wf2(failing))._unsafeUnwrapErr()
    const e2 = (await wf2(failing))._unsafeUnwrapErr()
    expect(e1).toMatchObject({ _tag: 'NotFound', id: 2, where: { shelf: 3 } })
    expect(e2).toMatchObject({ _tag: 'NotFound', id: 2, where: { shelf: 3 }, message: e1.message })
    expect(pool.metrics().submitted).toBe(submitted + 1)
  })
})

// step.map, groups over task calls, select and waitCompleted in process (createWorkflow, with or
// without a store): the task runs here. The worker side is in test/runs/children-suite.ts.
import { errAsync, ok, okAsync } from 'neverthrow'
import { describe, expect, it } from 'vitest'
import { createWorkflow, defineTask, defineWorkflow, InvalidOptionsError, memoryStore } from '../../src/index.js'
import { laterOk } from '../helpers.js'

class Odd extends Error {
  readonly _tag = 'Odd' as const
}

describe('step.map in process', () => {
  it('runs the task here, at most `concurrency` at once; values in input order', async () => {
    let running = 0
    let most = 0
    const square = defineTask('square', async (x: number, { signal }) => {
      running++
      most = Math.max(most, running)
      const r = await laterOk(5 * (6 - x), x * x, signal)
      running--
      return r
    })
    const r = await createWorkflow({ square })((step, deps) =>
      step.map('squares', [1, 2, 3, 4, 5], deps.square, { concurrency: 2 }),
    )
    expect(r._unsafeUnwrap()).toEqual([1, 4, 9, 16, 25])
    expect(most).toBe(2)
  })

  it('fail-fast: the first err ends the step; items still running are aborted and the rest never start', async () => {
    const started: number[] = []
    const aborted: number[] = []
    const check = defineTask('check', async (x: number, { signal }) => {
      started.push(x)
      signal.addEventListener('abort', () => aborted.push(x))
      if (x === 2) return errAsync(new Odd('two'))
      return laterOk(50, x, signal)
    })
    const r = await createWorkflow({ check })((step, deps) =>
      step.map('m', [1, 2, 3, 4], deps.check, { concurrency: 2 }),
    )
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'Odd', message: 'two' })
    expect(started).toEqual([1, 2])
    expect(aborted).toEqual([1])
  })

  it("settle: every item's Result in input order; a throwing task is an UnexpectedError for its item", async () => {
    const check = defineTask('check', (x: number) => {
      if (x === 3) throw new Error('boom')
      return x % 2 ? errAsync(new Odd(`odd ${x}`)) : okAsync(x)
    })
    const r = await createWorkflow({ check })(async (step, deps) => {
      const rs = await step.map('m', [1, 2, 3], deps.check, { mode: 'settle' })
      return rs.map((x) => (x.isOk() ? x.value : (x.error as Error).name))
    })
    expect(r._unsafeUnwrap()).toEqual(['Error', 2, 'UnexpectedError'])
  })

  it('with a store: the map is recorded as one unit, a resumed run does not run the task again', async () => {
    const store = memoryStore()
    let calls = 0
    let fail = true
    const inc = defineTask('inc', (x: number) => {
      calls++
      return okAsync(x + 1)
    })
    const later = () => (fail ? errAsync(new Odd('later')) : okAsync(1))
    const wf = createWorkflow({ inc, later }, { store, runId: 'm1', retry: true })
    const body = async (
      step: Parameters<Parameters<typeof wf>[0]>[0],
      deps: { inc: typeof inc; later: typeof later },
    ) => {
      const ys = await step.map('inc', [1, 2, 3], deps.inc, { mode: 'settle' })
      await step(() => deps.later(), { name: 'later' })
      return ys.map((y) => y._unsafeUnwrap())
    }
    expect((await wf(body)).isErr()).toBe(true)
    fail = false
    expect((await wf(body))._unsafeUnwrap()).toEqual([2, 3, 4])
    expect(calls).toBe(3)
    const rec = (await store.load('m1')).find((s) => s.seq === 0)
    expect(rec).toMatchObject({
      kind: 'map',
      value: [
        { ok: true, value: 2 },
        { ok: true, value: 3 },
        { ok: true, value: 4 },
      ],
    })
  })

  it('a registered workflow as the child: each item runs as a workflow of its own (a tree)', async () => {
    const double = defineTask('double', (x: number) => okAsync(x * 2))
    const row = defineWorkflow('row', { double }, async (step, deps, xs: number[]) =>
      (await step.map('cells', xs, deps.double)).reduce((a, b) => a + b, 0),
    )
    const r = await createWorkflow({ row })((step, deps) => step.map('rows', [[1, 2], [3]], deps.row))
    expect(r._unsafeUnwrap()).toEqual([6, 6])
  })

  it('with a store, workflow children run durably under their child ids: a retried parent runs only the failed one again', async () => {
    const store = memoryStore()
    let cells = 0
    let fail = true
    const double = defineTask('double', (x: number) => {
      cells++
      return okAsync(x * 2)
    })
    const oops = () => (fail ? errAsync(new Odd('row 1 fails once')) : okAsync(0))
    const row = defineWorkflow('row', { double, oops }, async (step, deps, xs: number[]) => {
      const ys = await step.map('cells', xs, deps.double)
      if (xs[0] === 3) await step(() => deps.oops(), { name: 'flaky' })
      return ys.reduce((a, b) => a + b, 0)
    })
    const wf = createWorkflow({ row }, { store, runId: 'tree', retry: true })
    const body = (step: Parameters<Parameters<typeof wf>[0]>[0], deps: { row: typeof row }) =>
      step.map('rows', [[1, 2], [3]], deps.row)
    expect((await wf(body))._unsafeUnwrapErr()).toMatchObject({ message: 'row 1 fails once' })
    expect(cells).toBe(3)
    expect(store.runs().sort()).toEqual(['tree', 'tree/0.0', 'tree/0.1'])
    fail = false
    expect((await wf(body))._unsafeUnwrap()).toEqual([6, 6])
    expect(cells).toBe(3) // both rows' cells were recorded: none ran again
  })

  it('bad input: an InvalidOptionsError naming the option; a map over no items is ok([])', async () => {
    const t = defineTask('t', (x: number) => okAsync(x))
    type Loose = { map: (...args: unknown[]) => Promise<unknown> }
    const run = (f: (step: Loose) => Promise<unknown>) => createWorkflow({ t })((step) => f(step as unknown as Loose))
    const option = async (f: (step: Loose) => Promise<unknown>) =>
      ((await run(f))._unsafeUnwrapErr() as InvalidOptionsError).option
    expect(await option((s) => s.map('m', new Set([1]), t))).toBe('items')
    expect(await option((s) => s.map('m', [1], { kind: 'task' }))).toBe('task')
    expect(await option((s) => s.map('m', [1], t, { concurrency: -1 }))).toBe('concurrency')
    expect(await option((s) => s.map('m', [1], t, { mode: 'all' }))).toBe('mode')
    expect(await option((s) => s.map('m', [1], t, { chunkSize: 0 }))).toBe('chunkSize')
    expect(await option((s) => s.map('m', [1], t, 'opts'))).toBe('options')
    expect(
      await option((s) =>
        s.map(
          'm',
          [1],
          defineTask('bad name!', (x: number) => okAsync(x)),
        ),
      ),
    ).toBe('name')
    expect((await run((s) => s.map('m', [], t)))._unsafeUnwrap()).toEqual([])
  })

  it('defineTask refuses bad input without throwing: using the task answers its error', async () => {
    const noFn = defineTask('ok-name', 42 as never)
    expect(noFn.invalid).toBeInstanceOf(InvalidOptionsError)
    expect(noFn.invalid?.option).toBe('fn')
    expect(defineTask('v', () => ok(1), { version: -1 }).invalid?.option).toBe('version')
    const r = await noFn.with(1 as never)({ signal: new AbortController().signal })
    expect((r as { error: InvalidOptionsError }).error.option).toBe('fn')
  })
})

describe('groups, select and waitCompleted over task calls, in process', () => {
  const quote = defineTask('quote', (q: { v: string; ms: number; fail?: boolean }, { signal }) =>
    q.fail ? errAsync(new Odd(q.v)) : laterOk(q.ms, q.v, signal),
  )

  it('task calls are lazy tasks: any, race and all run them here', async () => {
    const r = await createWorkflow({ quote })(async (step, deps) => {
      const any = await step.any('any', [
        deps.quote.with({ v: 'a', ms: 1, fail: true }),
        deps.quote.with({ v: 'b', ms: 5 }),
      ])
      const race = await step.race('race', [deps.quote.with({ v: 'c', ms: 30 }), deps.quote.with({ v: 'd', ms: 1 })])
      const all = await step.all('all', [deps.quote.with({ v: 'e', ms: 2 }), deps.quote.with({ v: 'f', ms: 1 })])
      return { any, race, all }
    })
    expect(r._unsafeUnwrap()).toEqual({ any: 'b', race: 'd', all: ['e', 'f'] })
  })

  it('select: the first to settle with its index; the rest keep running and are not started again', async () => {
    let starts = 0
    const count = defineTask('count', (q: { v: string; ms: number }, { signal }) => {
      starts++
      return laterOk(q.ms, q.v, signal)
    })
    const r = await createWorkflow({ count })(async (step, deps) => {
      const first = await step.select('first', [
        deps.count.with({ v: 'slow', ms: 40 }),
        deps.count.with({ v: 'fast', ms: 1 }),
        deps.count.with({ v: 'mid', ms: 20 }),
      ])
      const rest = await step.all('rest', first.rest)
      return { index: first.index, result: first.result._unsafeUnwrap(), rest }
    })
    expect(r._unsafeUnwrap()).toEqual({ index: 1, result: 'fast', rest: ['slow', 'mid'] })
    expect(starts).toBe(3)
  })

  it('waitCompleted: the finished ones in completion order, the pending ones still running', async () => {
    const r = await createWorkflow({ quote })(async (step, deps) => {
      const split = await step.waitCompleted('w', [
        deps.quote.with({ v: 'slow', ms: 40 }),
        deps.quote.with({ v: 'x', ms: 0, fail: true }),
      ])
      const later = await step.all('later', split.pending)
      const none = await step.waitCompleted('none', [])
      return {
        completed: split.completed.map((c) => [c.index, c.result.isErr()]),
        pending: split.pending.length,
        later,
        none,
      }
    })
    expect(r._unsafeUnwrap()).toEqual({
      completed: [[1, true]],
      pending: 1,
      later: ['slow'],
      none: { completed: [], pending: [] },
    })
  })

  it('with a store, a replay of race / select / waitCompleted answers the recorded winner even when the inputs settle in another order', async () => {
    const store = memoryStore()
    let fast = 'a'
    let fail = true
    const later = () => (fail ? errAsync(new Odd('later')) : okAsync(1))
    const wf = createWorkflow({ quote, later }, { store, runId: 'order', retry: true })
    const ms = (v: string) => (v === fast ? 1 : 30)
    const body = async (
      step: Parameters<Parameters<typeof wf>[0]>[0],
      deps: { quote: typeof quote; later: typeof later },
    ) => {
      const calls = () => [deps.quote.with({ v: 'a', ms: ms('a') }), deps.quote.with({ v: 'b', ms: ms('b') })] as const
      const race = await step.race('race', calls())
      const sel = await step.select('select', calls())
      const split = await step.waitCompleted('split', calls())
      await step(() => deps.later(), { name: 'later' })
      return { race, select: sel.index, split: split.completed.map((c) => c.index), pending: split.pending.length }
    }
    expect((await wf(body)).isErr()).toBe(true)
    fast = 'b'
    fail = false
    expect((await wf(body))._unsafeUnwrap()).toEqual({ race: 'a', select: 0, split: [0], pending: 1 })
  })

  it('bad input to select / waitCompleted: InvalidOptionsError naming the option', async () => {
    type Loose = Record<'select' | 'waitCompleted', (...args: unknown[]) => Promise<unknown>>
    const option = async (f: (step: Loose) => Promise<unknown>) =>
      ((await createWorkflow({})((step) => f(step as unknown as Loose)))._unsafeUnwrapErr() as InvalidOptionsError)
        .option
    expect(await option((s) => s.select('s', []))).toBe('inputs')
    expect(await option((s) => s.select('s', { a: okAsync(1) }))).toBe('inputs')
    expect(await option((s) => s.waitCompleted('w', 42))).toBe('inputs')
    expect(await option((s) => s.waitCompleted(7, [okAsync(1)]))).toBe('name')
    expect(await option((s) => s.select('s', [okAsync(1)], 'x'))).toBe('options')
  })
})

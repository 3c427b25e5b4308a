// Child runs across workers (step.map, groups over task calls, select, waitCompleted), run on a
// real store with real workers and a client: the same suite for memoryStore, fileStore and
// postgresStore (test/runs/children.test.ts, test/postgres/children.test.ts).
import { errAsync, okAsync } from 'neverthrow'
import { afterEach, describe, expect, it } from 'vitest'
import {
  AllFailedError,
  type ChildRun,
  createClient,
  createWorker,
  defineTask,
  defineWorkflow,
  type RunStore,
  type Worker,
} from '../../src/index.js'

class Odd extends Error {
  readonly _tag = 'Odd' as const
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

export function childrenSuite(name: string, makeStore: () => Promise<RunStore>): void {
  describe(`child runs on ${name}`, () => {
    const workers: Worker[] = []
    afterEach(async () => {
      for (const w of workers.splice(0)) await w.close({ drainMs: 0 })
    })
    const start = async (store: RunStore, wfs: Parameters<typeof createWorker>[1], concurrency = 4, n = 1) => {
      for (let i = 0; i < n; i++) {
        const w = createWorker(store, wfs, { pollMs: 5, leaseMs: 5000, concurrency })
        expect((await w.start()).isOk()).toBe(true)
        workers.push(w)
      }
      return createClient(store, { pollMs: 5 })
    }
    const children = async (store: RunStore, parentId: string): Promise<readonly ChildRun[]> =>
      (await store.listChildren?.(parentId)) ?? []

    it('step.map: one child run per item, values in input order; a worker of concurrency 1 completes a map of 5 (the parent holds no slot)', async () => {
      const store = await makeStore()
      const ran: number[] = []
      const square = defineTask('square', async (x: number) => {
        ran.push(x)
        await pause(5 * (5 - x)) // later items end first
        return okAsync(x * x)
      })
      const parent = defineWorkflow('squares', { square }, (step, deps, xs: number[]) =>
        step.map('square all', xs, deps.square),
      )
      const client = await start(store, [parent, square], 1)
      const run = (await client.start(parent, [1, 2, 3, 4, 5], { runId: 'p1' }))._unsafeUnwrap()
      expect((await client.result(run.runId, { timeoutMs: 20_000 }))._unsafeUnwrap()).toEqual([1, 4, 9, 16, 25])
      const kids = await children(store, 'p1')
      expect(kids.map((k) => k.runId)).toEqual(['p1/0.0', 'p1/0.1', 'p1/0.2', 'p1/0.3', 'p1/0.4'])
      expect(kids.every((k) => k.state === 'succeeded')).toBe(true)
      expect([...ran].sort()).toEqual([1, 2, 3, 4, 5])
      expect((workers[0] as Worker).metrics().suspended).toBeGreaterThan(0)
      const info = (await client.get('p1/0.2'))._unsafeUnwrap()
      expect(info).toMatchObject({ workflow: 'square', parentId: 'p1', input: 3 })
    })

    it('step.map respects concurrency: never more unfinished children than asked', async () => {
      const store = await makeStore()
      let most = 0
      const seen: number[] = []
      const slow = defineTask('slow', async (x: number) => {
        const kids = await children(store, 'p2')
        const unfinished = kids.filter((k) => !['succeeded', 'failed', 'cancelled'].includes(k.state)).length
        seen.push(unfinished)
        most = Math.max(most, unfinished)
        await pause(10)
        return okAsync(x + 1)
      })
      const parent = defineWorkflow('bounded', { slow }, (step, deps, xs: number[]) =>
        step.map('bounded', xs, deps.slow, { concurrency: 2 }),
      )
      const client = await start(store, [parent, slow], 8)
      await client.start(parent, [0, 1, 2, 3, 4, 5, 6], { runId: 'p2' })
      expect((await client.result('p2', { timeoutMs: 20_000 }))._unsafeUnwrap()).toEqual([1, 2, 3, 4, 5, 6, 7])
      expect(seen).toHaveLength(7)
      expect(most).toBeLessThanOrEqual(2)
      expect(most).toBeGreaterThanOrEqual(1)
    })

    it("step.map fail-fast: the first child err in completion order is the parent's err; the other children run to their end", async () => {
      const store = await makeStore()
      const check = defineTask('check', async (x: number) => {
        await pause(x === 3 ? 1 : 30)
        return x % 2 === 1 ? errAsync(new Odd(`odd ${x}`)) : okAsync(x)
      })
      const parent = defineWorkflow('checks', { check }, (step, deps, xs: number[]) =>
        step.map('check', xs, deps.check),
      )
      const client = await start(store, [parent, check], 4)
      await client.start(parent, [2, 3, 4, 5], { runId: 'p3' })
      const r = await client.result('p3', { timeoutMs: 20_000 })
      expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'Odd', message: 'odd 3' })
      // The others were not cancelled: they end by themselves.
      for (let i = 0; i < 200; i++) {
        const kids = await children(store, 'p3')
        if (kids.every((k) => k.state === 'succeeded' || k.state === 'failed')) break
        await pause(10)
      }
      expect((await children(store, 'p3')).map((k) => k.state)).toEqual(['succeeded', 'failed', 'succeeded', 'failed'])
    })

    it("step.map settle: every child's Result, in input order", async () => {
      const store = await makeStore()
      const check = defineTask('check', (x: number) => (x % 2 === 1 ? errAsync(new Odd(`odd ${x}`)) : okAsync(x)))
      const parent = defineWorkflow('settled', { check }, async (step, deps, xs: number[]) => {
        const rs = await step.map('check', xs, deps.check, { mode: 'settle' })
        return rs.map((r) => (r.isOk() ? r.value : (r.error as Error).message))
      })
      const client = await start(store, [parent, check])
      await client.start(parent, [1, 2, 3], { runId: 'p4' })
      expect((await client.result('p4', { timeoutMs: 20_000 }))._unsafeUnwrap()).toEqual(['odd 1', 2, 'odd 3'])
    })

    it('a retried parent runs its failed children again; the finished ok children never run again', async () => {
      const store = await makeStore()
      const runs = new Map<number, number>()
      let failing = true
      const flaky = defineTask('flaky', (x: number) => {
        runs.set(x, (runs.get(x) ?? 0) + 1)
        return x === 2 && failing ? errAsync(new Odd('not yet')) : okAsync(x * 10)
      })
      const parent = defineWorkflow('retried', { flaky }, (step, deps, xs: number[]) =>
        step.map('flaky', xs, deps.flaky),
      )
      const client = await start(store, [parent, flaky])
      await client.start(parent, [1, 2, 3], { runId: 'p5' })
      expect((await client.result('p5', { timeoutMs: 20_000 }))._unsafeUnwrapErr()).toMatchObject({ _tag: 'Odd' })
      // Let the other children end before the retry (fail-fast leaves them running).
      for (let i = 0; i < 200 && (runs.get(1) !== 1 || runs.get(3) !== 1); i++) await pause(10)
      failing = false
      expect((await client.retry('p5')).isOk()).toBe(true)
      expect((await client.result('p5', { timeoutMs: 20_000 }))._unsafeUnwrap()).toEqual([10, 20, 30])
      expect(Object.fromEntries(runs)).toEqual({ 1: 1, 2: 2, 3: 1 })
    })

    it('chunkSize: one child run per chunk; values flattened in input order, items settle alone', async () => {
      const store = await makeStore()
      const check = defineTask('check', (x: number) => (x === 4 ? errAsync(new Odd('four')) : okAsync(x * 2)))
      const parent = defineWorkflow('chunks', { check }, async (step, deps, xs: number[]) => {
        const rs = await step.map('check', xs, deps.check, { chunkSize: 3, mode: 'settle' })
        const fast = await step.map('again', xs.slice(0, 3), deps.check, { chunkSize: 2 })
        return { settled: rs.map((r) => (r.isOk() ? r.value : 'err')), fast }
      })
      const client = await start(store, [parent, check])
      await client.start(parent, [1, 2, 3, 4, 5, 6, 7], { runId: 'p6' })
      expect((await client.result('p6', { timeoutMs: 20_000 }))._unsafeUnwrap()).toEqual({
        settled: [2, 4, 6, 'err', 10, 12, 14],
        fast: [2, 4, 6],
      })
      const kids = await children(store, 'p6')
      expect(kids.map((k) => k.runId)).toEqual(['p6/0.0', 'p6/0.1', 'p6/0.2', 'p6/1.0', 'p6/1.1'])
      expect((await client.get('p6/0.2'))._unsafeUnwrap().input).toEqual({ $okflowChunk: [7] })
      // fail-fast over chunks: an item's err inside an ok chunk fails the map.
      const strict = defineWorkflow('strict-chunks', { check }, (step, deps, xs: number[]) =>
        step.map('check', xs, deps.check, { chunkSize: 3 }),
      )
      const c2 = await start(store, [strict])
      await c2.start(strict, [1, 2, 3, 4, 5], { runId: 'p6b' })
      expect((await c2.result('p6b', { timeoutMs: 20_000 }))._unsafeUnwrapErr()).toMatchObject({ message: 'four' })
    })

    it('a tree: a parent maps a registered workflow whose runs map a task (two levels of child runs)', async () => {
      const store = await makeStore()
      const double = defineTask('double', (x: number) => okAsync(x * 2))
      const row = defineWorkflow('row', { double }, async (step, deps, xs: number[]) => {
        const ys = await step.map('cells', xs, deps.double)
        return ys.reduce((a, b) => a + b, 0)
      })
      const grid = defineWorkflow('grid', { row }, (step, deps, rows: number[][]) => step.map('rows', rows, deps.row))
      const client = await start(store, [grid, row, double], 2)
      await client.start(
        grid,
        [
          [1, 2],
          [3, 4, 5],
        ],
        { runId: 'g' },
      )
      expect((await client.result('g', { timeoutMs: 20_000 }))._unsafeUnwrap()).toEqual([6, 24])
      expect((await children(store, 'g')).map((k) => k.runId)).toEqual(['g/0.0', 'g/0.1'])
      expect((await children(store, 'g/0.1')).map((k) => k.runId)).toEqual(['g/0.1/0.0', 'g/0.1/0.1', 'g/0.1/0.2'])
    })

    it('groups over task calls: children decide any (first ok), race (first to end) and all (values)', async () => {
      const store = await makeStore()
      const quote = defineTask('quote', async (q: { from: string; ms: number; fail?: boolean }) => {
        await pause(q.ms)
        return q.fail ? errAsync(new Odd(`no quote from ${q.from}`)) : okAsync(`${q.from}`)
      })
      const parent = defineWorkflow('quotes', { quote }, async (step, deps) => {
        const any = await step.any('any', [
          deps.quote.with({ from: 'a', ms: 1, fail: true }),
          deps.quote.with({ from: 'b', ms: 40 }),
          deps.quote.with({ from: 'c', ms: 400 }),
        ])
        const race = await step.race('race', [
          deps.quote.with({ from: 'd', ms: 300 }),
          deps.quote.with({ from: 'e', ms: 1 }),
        ])
        const all = await step.all('all', {
          x: deps.quote.with({ from: 'x', ms: 5 }),
          y: deps.quote.with({ from: 'y', ms: 1 }),
        })
        const none = await step.any('none', [deps.quote.with({ from: 'n', ms: 1, fail: true })]).catch(() => 'failed')
        return { any, race, all, none }
      })
      const client = await start(store, [parent, quote])
      await client.start(parent, null, { runId: 'q' })
      const r = await client.result('q', { timeoutMs: 20_000 })
      expect(r._unsafeUnwrapErr()).toBeInstanceOf(AllFailedError)
      const kids = await children(store, 'q')
      expect(kids.map((k) => k.runId)).toEqual(['q/0.0', 'q/0.1', 'q/0.2', 'q/1.0', 'q/1.1', 'q/2.0', 'q/2.1', 'q/3.0'])
      // Losers nobody waits for are cancelled (as in process, where they are aborted).
      for (let i = 0; i < 200; i++) {
        if ((await children(store, 'q')).find((k) => k.runId === 'q/0.2')?.state === 'cancelled') break
        await pause(10)
      }
      expect((await children(store, 'q')).find((k) => k.runId === 'q/0.2')?.state).toBe('cancelled')
      const steps = await store.load('q')
      const value = (seq: number) => steps.find((s) => s.seq === seq)?.value as { value: unknown; order: number[] }
      expect(value(0)).toEqual({ value: 'b', order: [0, 1] })
      expect(value(1).value).toBe('e')
      expect(value(2).value).toEqual({ x: 'x', y: 'y' })
    })

    it('a replay of race and select picks the same winner even when the store reports another completion order', async () => {
      const inner = await makeStore()
      let flip = false
      // The same store, but after the first decision its listing reports the children ending in the other order.
      const store: RunStore = Object.assign(Object.create(inner) as RunStore, {
        listChildren: async (parentId: string, opts?: { prefix?: string; outcomes?: boolean }) => {
          const kids = (await inner.listChildren?.(parentId, opts)) ?? []
          if (!flip) return kids
          const times = kids.map((k) => k.endedAt).reverse()
          return kids.map((k, i) => ({ ...k, endedAt: times[i] }))
        },
      })
      const attempts = { later: 0 }
      const echo = defineTask('echo', async (x: { v: string; ms: number }) => {
        await pause(x.ms)
        return okAsync(x.v)
      })
      const later = () => (attempts.later++ === 0 ? errAsync(new Odd('once')) : okAsync(1))
      const parent = defineWorkflow('replayed', { echo, later }, async (step, deps) => {
        const race = await step.race('race', [
          deps.echo.with({ v: 'slow', ms: 60 }),
          deps.echo.with({ v: 'fast', ms: 1 }),
        ])
        const sel = await step.select('select', [
          deps.echo.with({ v: 'slow', ms: 60 }),
          deps.echo.with({ v: 'fast', ms: 1 }),
        ])
        await step(() => deps.later(), { name: 'later' })
        return { race, index: sel.index, result: sel.result._unsafeUnwrap() }
      })
      const client = await start(store, [parent, echo])
      await client.start(parent, null, { runId: 'rp' })
      expect((await client.result('rp', { timeoutMs: 20_000 })).isErr()).toBe(true)
      // Both children of each step have ended by now (the race's losers were cancelled).
      for (let i = 0; i < 200; i++) {
        const kids = await inner.listChildren?.('rp')
        if (kids?.every((k) => k.endedAt !== undefined)) break
        await pause(10)
      }
      flip = true
      const flipped = (await store.listChildren?.('rp', { prefix: 'rp/1.' })) ?? []
      expect((flipped[0]?.endedAt ?? 0) <= (flipped[1]?.endedAt ?? 0)).toBe(true) // 'slow' now looks first
      await client.retry('rp')
      expect((await client.result('rp', { timeoutMs: 20_000 }))._unsafeUnwrap()).toEqual({
        race: 'fast',
        index: 1,
        result: 'fast',
      })
    })

    it('select and waitCompleted: the rest are bound to their child runs; a later group attaches instead of making new ones', async () => {
      const store = await makeStore()
      const made: string[] = []
      const echo = defineTask('echo', async (x: { v: string; ms: number }) => {
        made.push(x.v)
        await pause(x.ms)
        return okAsync(x.v)
      })
      const parent = defineWorkflow('bound', { echo }, async (step, deps) => {
        const first = await step.select('first', [
          deps.echo.with({ v: 'a', ms: 300 }),
          deps.echo.with({ v: 'b', ms: 1 }),
          deps.echo.with({ v: 'c', ms: 900 }),
        ])
        const some = await step.waitCompleted('some', first.rest)
        const rest = await step.all('rest', some.pending)
        return {
          first: [first.index, first.result._unsafeUnwrap()],
          completed: some.completed.map((c) => [c.index, c.result._unsafeUnwrap()]),
          rest,
        }
      })
      const client = await start(store, [parent, echo])
      await client.start(parent, null, { runId: 'b' })
      const r = (await client.result('b', { timeoutMs: 20_000 }))._unsafeUnwrap() as Record<string, unknown>
      expect(r.first).toEqual([1, 'b'])
      expect(r.completed).toEqual([[0, 'a']])
      expect(r.rest).toEqual(['c'])
      // Three child runs in all: waitCompleted and all attached to select's.
      expect((await children(store, 'b')).map((k) => k.runId)).toEqual(['b/0.0', 'b/0.1', 'b/0.2'])
      expect([...made].sort()).toEqual(['a', 'b', 'c'])
      // The records hold the decisions: select's winner (with the completion order it saw), the split.
      const steps = await store.load('b')
      expect(steps.find((x) => x.seq === 0)?.value).toMatchObject({
        completed: [{ index: 1, result: { ok: true, value: 'b' } }],
        order: expect.arrayContaining([1]),
      })
      expect(steps.find((x) => x.seq === 1)?.value).toEqual({
        completed: [{ index: 0, result: { ok: true, value: 'a' } }],
      })
    })

    it('cancelling the parent while its children run cancels the unfinished children too', async () => {
      const store = await makeStore()
      const started: number[] = []
      const wait = defineTask('wait', async (x: number, { signal }) => {
        started.push(x)
        await new Promise((r) => {
          const t = setTimeout(r, 5000)
          signal.addEventListener('abort', () => {
            clearTimeout(t)
            r(undefined)
          })
        })
        return okAsync(x)
      })
      const parent = defineWorkflow('cancelled', { wait }, (step, deps, xs: number[]) =>
        step.map('wait', xs, deps.wait, { concurrency: 2 }),
      )
      const client = await start(store, [parent, wait])
      await client.start(parent, [1, 2, 3, 4], { runId: 'c' })
      for (let i = 0; i < 500 && started.length < 2; i++) await pause(5)
      expect((await client.cancel('c')).isOk()).toBe(true)
      expect((await client.result('c', { timeoutMs: 20_000 }))._unsafeUnwrapErr()).toMatchObject({
        _tag: 'CancelledError',
      })
      for (let i = 0; i < 500; i++) {
        const kids = await children(store, 'c')
        if (kids.every((k) => k.state === 'cancelled')) break
        await pause(10)
      }
      const kids = await children(store, 'c')
      expect(kids.map((k) => k.state)).toEqual(['cancelled', 'cancelled'])
      expect(started).toHaveLength(2) // the others were never created
    })

    it('a child cancelled on its own fails its fail-fast parent with that CancelledError, recorded once (no claim loop)', async () => {
      const store = await makeStore()
      const hold = defineTask('hold', async (x: number, { signal }) => {
        if (x === 0) return okAsync(x)
        await new Promise((r) => {
          const t = setTimeout(r, 5000)
          signal.addEventListener('abort', () => {
            clearTimeout(t)
            r(undefined)
          })
        })
        return okAsync(x)
      })
      const parent = defineWorkflow('one-cancelled', { hold }, (step, deps, xs: number[]) =>
        step.map('hold', xs, deps.hold),
      )
      const client = await start(store, [parent, hold])
      await client.start(parent, [0, 1], { runId: 'oc' })
      for (let i = 0; i < 1000 && (await children(store, 'oc')).length < 2; i++) await pause(5)
      expect((await client.cancel('oc/0.1')).isOk()).toBe(true)
      const e = (await client.result('oc', { timeoutMs: 20_000 }))._unsafeUnwrapErr()
      expect(e).toMatchObject({ _tag: 'CancelledError' })
      const info = (await client.get('oc'))._unsafeUnwrap()
      // The run's answer, not a hand-back: it failed (so it can be retried), with its outcome recorded.
      expect(info.state).toBe('failed')
      expect(info.claims).toBeLessThan(10)
      expect((await store.load('oc')).filter((r) => r.seq === -1)).toHaveLength(1)
    })

    it('bad input ends the step with InvalidOptionsError naming the option (on a worker too)', async () => {
      const store = await makeStore()
      const t = defineTask('t', (x: number) => okAsync(x))
      // Untyped on purpose: these calls do not compile as written.
      type Loose = Record<'map' | 'all', (...args: unknown[]) => Promise<unknown>>
      const cases: [string, (step: Loose, deps: { t: typeof t }) => Promise<unknown>][] = [
        ['items', (step, deps) => step.map('m', 'nope', deps.t)],
        ['task', (step) => step.map('m', [1], () => okAsync(1))],
        ['concurrency', (step, deps) => step.map('m', [1], deps.t, { concurrency: 0 })],
        ['mode', (step, deps) => step.map('m', [1], deps.t, { mode: 'some' })],
        ['chunkSize', (step, deps) => step.map('m', [1], deps.t, { chunkSize: 1.5 })],
        ['items[0]', (step, deps) => step.map('m', [Number.NaN], deps.t)],
        ['inputs', (step, deps) => step.all('g', [deps.t.with(1), () => okAsync(2)])],
      ]
      const wfs = cases.map(([option, body], i) => [option, defineWorkflow(`bad-${i}`, { t }, body as never)] as const)
      const client = await start(store, [...wfs.map(([, w]) => w), t])
      for (const [option, wf] of wfs) {
        await client.start(wf, null, { runId: wf.name })
        const e = (await client.result(wf.name, { timeoutMs: 20_000 }))._unsafeUnwrapErr()
        expect(e).toMatchObject({ _tag: 'InvalidOptionsError', option })
      }
      const empty = defineWorkflow('empty', { t }, (step, deps) => step.map('none', [], deps.t))
      const c2 = await start(store, [empty])
      await c2.start(empty, null, { runId: 'empty' })
      expect((await c2.result('empty', { timeoutMs: 20_000 }))._unsafeUnwrap()).toEqual([])
    })
  })
}

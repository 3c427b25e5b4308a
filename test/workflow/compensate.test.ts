// Compensation (sagas): `step(fn, { compensate })`. In process here (no store, memoryStore,
// fileStore); on a worker (client.cancel) at the end. Postgres: test/postgres/compensate.test.ts.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { err, ok, okAsync, type Result } from 'neverthrow'
import { match } from 'ts-pattern'
import { afterAll, describe, expect, it } from 'vitest'
import {
  CancelledError,
  CompensatedError,
  createClient,
  createWorker,
  createWorkflow,
  defineWorkflow,
  fileStore,
  memoryStore,
  type RunStore,
  renderHtmlReport,
  renderTimeline,
  type StepRecord,
  TimeoutError,
  UnexpectedError,
  type WorkflowBody,
  type WorkflowEvent,
  type WorkflowStore,
} from '../../src/index.js'
import { until } from '../helpers.js'
import { workerCompensationSuite } from './compensate-suite.js'

class Declined extends Error {
  readonly _tag = 'Declined' as const
  override readonly name = 'Declined' as const
}
const charge = (amount: number): Result<string, Declined> =>
  amount > 100 ? err(new Declined('no')) : ok(`ch-${amount}`)
const fail = (): Result<never, 'boom'> => err('boom')

/** Records what ran, in order. */
function journal() {
  const log: string[] = []
  const undo =
    (what: string, r: Result<unknown, unknown> = ok(undefined)) =>
    (value: unknown) => {
      log.push(`${what}(${JSON.stringify(value)})`)
      return r
    }
  return { log, undo }
}

const events = () => {
  const list: WorkflowEvent[] = []
  return { list, onEvent: (e: WorkflowEvent) => list.push(e) }
}

/** Waits on its signal forever: ends only by an abort (err 'aborted'). */
const hang = ({ signal }: { signal: AbortSignal }) =>
  new Promise<Result<never, 'aborted'>>((resolve) =>
    signal.addEventListener('abort', () => resolve(err('aborted' as const)), { once: true }),
  )
/** The deps of these tests: every error their steps can end with is declared. */
const deps = { charge, fail, hang }
type Deps = typeof deps

/** The run's error, which must be a CompensatedError. */
function compensatedOf(r: Result<unknown, unknown>): CompensatedError {
  const e = r._unsafeUnwrapErr()
  expect(e).toBeInstanceOf(CompensatedError)
  return e as CompensatedError
}

describe('compensation in process (no store)', () => {
  it('undoes the completed steps in reverse order of completion; not the failed one, not the ones without compensate', async () => {
    const { log, undo } = journal()
    const wf = createWorkflow(deps)
    const r = await wf(async (step, d) => {
      const a = await step(() => ok('A'), { name: 'reserve', compensate: undo('release') })
      await step(() => ok('B'), { name: 'note' }) // nothing to undo
      const c = await step(() => d.charge(10), { name: 'charge', compensate: undo('refund') })
      await step(() => d.charge(500), { name: 'charge more', compensate: undo('never') })
      return [a, c]
    })
    expect(log).toEqual(['refund("ch-10")', 'release("A")'])
    const e = r._unsafeUnwrapErr()
    expect(e).toBeInstanceOf(CompensatedError)
    if (!(e instanceof CompensatedError)) return
    expect(e.error).toBeInstanceOf(Declined)
    expect(e.cause).toBe(e.error)
    expect([e.compensated, e.failed, e.interrupted]).toEqual([['charge', 'reserve'], [], []])
    expect(e.message).toBe('Declined: no; 2 compensations ran')
  })

  it('parallel steps are undone in reverse order of their completion, not of their start', async () => {
    const { log, undo } = journal()
    const r = await createWorkflow(deps)(async (step) => {
      const slow = step(() => new Promise<Result<string, never>>((res) => setTimeout(() => res(ok('slow')), 20)), {
        name: 'slow',
        compensate: undo('undo slow'),
      })
      const fast = step(() => ok('fast'), { name: 'fast', compensate: undo('undo fast') })
      await Promise.all([slow, fast])
      await step(() => fail(), { name: 'fail' })
    })
    expect(log).toEqual(['undo slow("slow")', 'undo fast("fast")'])
    expect(compensatedOf(r).compensated).toEqual(['slow', 'fast'])
  })

  it('a run that succeeds undoes nothing; a failed run without compensations keeps its plain error', async () => {
    const { log, undo } = journal()
    const good = await createWorkflow(deps)(async (step) => step(() => ok(1), { compensate: undo('x') }))
    expect(good._unsafeUnwrap()).toBe(1)
    const plain = await createWorkflow(deps)(async (step) => {
      await step(() => ok(1), { name: 'a' })
      return step(() => fail(), { name: 'b' })
    })
    expect(plain._unsafeUnwrapErr()).toBe('boom')
    // A compensable step that itself failed registers nothing: the error stays plain.
    const own = await createWorkflow(deps)(async (step) => step(() => fail(), { compensate: undo('y') }))
    expect(own._unsafeUnwrapErr()).toBe('boom')
    expect(log).toEqual([])
  })

  it('a failing compensation (err or throw) is reported in `failed`; the others still run, each once', async () => {
    const { log, undo } = journal()
    const calls: string[] = []
    const r = await createWorkflow(deps)(async (step) => {
      await step(() => ok(1), { name: 'a', compensate: undo('undo a') })
      await step(() => ok(2), {
        name: 'b',
        compensate: () => {
          calls.push('b')
          throw new Error('refund service down')
        },
      })
      await step(() => ok(3), { name: 'c', compensate: undo('undo c', err('not now')) })
      await step(() => fail(), { name: 'd' })
    })
    expect(log).toEqual(['undo c(3)', 'undo a(1)'])
    expect(calls).toEqual(['b'])
    const e = compensatedOf(r)
    expect(e.error).toBe('boom')
    expect(e.compensated).toEqual(['a'])
    expect(e.failed.map((f) => f.step)).toEqual(['c', 'b'])
    expect(e.failed[0]?.error).toBe('not now')
    expect(e.failed[1]?.error).toBeInstanceOf(UnexpectedError)
    expect(e.message).toBe('boom; 3 compensations ran (2 failed)')
  })

  it('compensations run one at a time: the next starts when the previous has ended', async () => {
    const trace: string[] = []
    const slowUndo = (name: string) => async () => {
      trace.push(`start ${name}`)
      await new Promise((res) => setTimeout(res, 5))
      trace.push(`end ${name}`)
      return ok(undefined)
    }
    await createWorkflow(deps)(async (step) => {
      await step(() => ok(1), { name: 'a', compensate: slowUndo('a') })
      await step(() => ok(2), { name: 'b', compensate: slowUndo('b') })
      await step(() => fail())
    })
    expect(trace).toEqual(['start b', 'end b', 'start a', 'end a'])
  })

  it('a cancelled run (signal) compensates with a signal the cancel does not abort; events show `compensate` steps', async () => {
    const seen: { aborted: boolean }[] = []
    const controller = new AbortController()
    const ev = events()
    const wf = createWorkflow(deps, { onEvent: ev.onEvent, signal: controller.signal })
    const running = wf(async (step) => {
      await step(() => ok('A'), {
        name: 'reserve',
        compensate: async (_v, { signal }) => {
          await new Promise((res) => setTimeout(res, 5))
          seen.push({ aborted: signal.aborted })
          return ok(undefined)
        },
      })
      await step(hang, { name: 'wait' })
    })
    setTimeout(() => controller.abort('user'), 5)
    const e = compensatedOf(await running)
    expect(e.error).toBeInstanceOf(CancelledError)
    expect(e.compensated).toEqual(['reserve'])
    expect(seen).toEqual([{ aborted: false }])
    const steps = ev.list.filter((x) => x.type !== 'workflow_start' && x.type !== 'workflow_error')
    expect(steps.map((x) => [x.type, 'name' in x ? x.name : '', 'kind' in x ? x.kind : ''])).toEqual([
      ['step_start', 'reserve', 'step'],
      ['step_success', 'reserve', 'step'],
      ['step_start', 'wait', 'step'],
      ['step_error', 'wait', 'step'],
      ['step_start', 'undo reserve', 'compensate'],
      ['step_success', 'undo reserve', 'compensate'],
    ])
    // The terminal event comes last, after the compensations.
    expect(ev.list.at(-1)?.type).toBe('workflow_error')
    // The timeline and the HTML report draw the compensation as a step of its own.
    expect(
      renderTimeline(ev.list)
        .split('\n')
        .some((l) => l.startsWith('undo reserve')),
    ).toBe(true)
    expect(renderHtmlReport(ev.list)).toContain('undo reserve')
    expect(ev.list.filter((x) => x.type.startsWith('workflow_'))).toHaveLength(2)
  })

  it('a run that times out (timeoutMs) compensates; the error is the TimeoutError inside a CompensatedError', async () => {
    const { log, undo } = journal()
    const r = await createWorkflow(deps, { timeoutMs: 20 })(async (step) => {
      await step(() => ok(7), { name: 'a', compensate: undo('undo a') })
      await step(hang, { name: 'slow' })
    })
    const e = r._unsafeUnwrapErr()
    expect(log).toEqual(['undo a(7)'])
    const described = match(e)
      .with({ _tag: 'CompensatedError' }, (x) => `compensated ${x.compensated} after ${(x.error as Error).name}`)
      .otherwise(() => 'other')
    expect(described).toBe('compensated a after TimeoutError')
    expect(compensatedOf(r).error).toBeInstanceOf(TimeoutError)
  })

  it('a step still running when the run fails is not compensated (it never completed for the run)', async () => {
    const { log, undo } = journal()
    await createWorkflow(deps)(async (step) => {
      await step(() => ok(1), { name: 'done', compensate: undo('undo done') })
      await Promise.all([
        step(hang, { name: 'running', compensate: undo('undo running') }),
        step(() => fail(), { name: 'fails' }),
      ])
    })
    expect(log).toEqual(['undo done(1)'])
  })
})

/** A store that fails every append of the records `failOn` picks (the "crash" of a test run). */
function failing(inner: WorkflowStore, failOn: (r: StepRecord) => boolean): WorkflowStore {
  return {
    acquire: (id, owner, ms) => inner.acquire(id, owner, ms),
    renew: (lease, ms) => inner.renew(lease, ms),
    release: (lease) => inner.release(lease),
    load: (id) => inner.load(id),
    append: (lease, rec) => (failOn(rec) ? Promise.reject(new Error('disk gone')) : inner.append(lease, rec)),
    reopen: (lease) => inner.reopen(lease),
  }
}

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
const stores: [string, () => WorkflowStore][] = [
  ['memoryStore', () => memoryStore()],
  [
    'fileStore',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'okflow-comp-'))
      dirs.push(dir)
      return fileStore(dir)
    },
  ],
]

for (const [label, makeStore] of stores) {
  describe(`durable compensation (${label})`, () => {
    /** Three compensable steps, then a failing one; compensations log to `log`. */
    const saga =
      (log: string[], failing = true): WorkflowBody<Deps, string> =>
      async (step, d) => {
        const undo = (name: string) => (v: unknown) => {
          log.push(`${name}(${JSON.stringify(v)})`)
          return ok(undefined)
        }
        await step(() => ok({ id: 'r1' }), { name: 'reserve', compensate: undo('release') })
        await step(() => ok('ch-1'), { name: 'charge', compensate: undo('refund') })
        await step(() => ok(3), { name: 'ship', compensate: undo('recall') })
        if (failing) await step(() => d.fail(), { name: 'confirm' })
        return 'done'
      }

    it('records start/end markers around each compensation and the CompensatedError as the outcome; a replay answers it without running anything', async () => {
      const store = makeStore()
      const log: string[] = []
      const wf = createWorkflow(deps, { store, runId: 'order-1' })
      const r = await wf(saga(log))
      expect(log).toEqual(['recall(3)', 'refund("ch-1")', 'release({"id":"r1"})'])
      expect(compensatedOf(r).compensated).toEqual(['ship', 'charge', 'reserve'])
      const recs = await store.load('order-1')
      // Markers of pos p: -(2+2p) started, -(3+2p) ended; ship is pos 2, charge 1, reserve 0.
      expect(recs.map((x) => x.seq)).toEqual([0, 1, 2, 3, -6, -7, -4, -5, -2, -3, -1])
      expect(recs.filter((x) => x.seq < -1).every((x) => x.kind === 'compensate')).toBe(true)
      expect(recs.find((x) => x.seq === -7)?.name).toBe('undo ship')
      const ev = events()
      const again = await wf(saga(log), { onEvent: ev.onEvent })
      expect(log).toHaveLength(3)
      const e = compensatedOf(again)
      expect([e.error, e.compensated]).toEqual(['boom', ['ship', 'charge', 'reserve']])
      expect(ev.list.map((x) => x.type)).toEqual(['workflow_start', 'workflow_error'])
    })

    it('a crash after a compensation ran but before its end marker: on resume it is `interrupted` (not run again), the rest run', async () => {
      const store = makeStore()
      const log: string[] = []
      // The first attempt "dies" when it writes the end marker of charge (pos 1: seq -5).
      const first = await createWorkflow(deps, { store: failing(store, (x) => x.seq === -5), runId: 'o2' })(saga(log))
      expect(first._unsafeUnwrapErr()).toMatchObject({ _tag: 'StoreError' })
      expect(log).toEqual(['recall(3)', 'refund("ch-1")'])
      const ev = events()
      const second = await createWorkflow(deps, { store, runId: 'o2', onEvent: ev.onEvent })(saga(log))
      expect(log).toEqual(['recall(3)', 'refund("ch-1")', 'release({"id":"r1"})'])
      const e = compensatedOf(second)
      expect([e.error, e.compensated, e.failed, e.interrupted]).toEqual(['boom', ['ship', 'reserve'], [], ['charge']])
      expect(e.message).toBe('boom; 3 compensations ran (1 interrupted)')
      // The replayed compensation shows as replayed; the new one as a compensate step.
      const undo = ev.list.filter((x) => x.type === 'step_success' && x.kind === 'compensate')
      expect(undo.map((x) => [x.type === 'step_success' && x.name, x.replayed ?? false])).toEqual([
        ['undo ship', true],
        ['undo reserve', false],
      ])
    })

    it('a run cancelled in the middle of its compensations replays to the same error and goes on (the cancel error is kept)', async () => {
      const store = makeStore()
      const log: string[] = []
      const controller = new AbortController()
      let inSlow = false
      // Cancelled while `slow` runs: the step is not recorded; on resume it is never run again.
      const body =
        (crash: boolean): WorkflowBody<Deps, string> =>
        async (step, d) => {
          await step(() => ok(1), {
            name: 'a',
            compensate: () => {
              log.push('undo a')
              return ok(undefined)
            },
          })
          await step(() => ok(2), {
            name: 'b',
            compensate: () => {
              log.push('undo b')
              return crash ? Promise.reject(new Error('crash')) : ok(undefined)
            },
          })
          await step(
            (ctx) => {
              inSlow = true
              return d.hang(ctx)
            },
            { name: 'slow' },
          )
          return 'never'
        }
      const run = createWorkflow(deps, { store: failing(store, (x) => x.seq === -5), runId: 'o3' })(body(true), {
        signal: controller.signal,
      })
      await until(() => inSlow)
      controller.abort('stop')
      expect((await run)._unsafeUnwrapErr()).toMatchObject({ _tag: 'StoreError' })
      expect(log).toEqual(['undo b'])
      const ran: string[] = []
      const second = await createWorkflow(deps, { store, runId: 'o3' })(async (step, d) => {
        const r = await body(false)(step, d)
        ran.push('body ended')
        return r
      })
      const e = compensatedOf(second)
      expect(e.error).toBeInstanceOf(CancelledError)
      expect([e.compensated, e.interrupted]).toEqual([['a'], ['b']])
      expect(log).toEqual(['undo b', 'undo a'])
      expect(ran).toEqual([])
    })

    it('a resumed run undoes replayed parallel steps in the order they first completed, not the order they replay in', async () => {
      const store = makeStore()
      const log: string[] = []
      const body: WorkflowBody<Deps, void> = async (step, d) => {
        const undo = (name: string) => () => {
          log.push(name)
          return ok(undefined)
        }
        // `slow` starts first and completes last; a replay settles both in call order.
        await Promise.all([
          step(() => new Promise<Result<number, never>>((res) => setTimeout(() => res(ok(1)), 30)), {
            name: 'slow',
            compensate: undo('undo slow'),
          }),
          step(() => ok(2), { name: 'fast', compensate: undo('undo fast') }),
        ])
        await step(() => d.fail(), { name: 'fail' })
      }
      // The first attempt cannot write its first start marker: nothing is undone yet.
      const first = await createWorkflow(deps, { store: failing(store, (x) => x.seq < -1), runId: 'o5' })(body)
      expect(first._unsafeUnwrapErr()).toMatchObject({ _tag: 'StoreError' })
      expect(log).toEqual([])
      const second = await createWorkflow(deps, { store, runId: 'o5' })(body)
      expect(compensatedOf(second).compensated).toEqual(['slow', 'fast'])
      expect(log).toEqual(['undo slow', 'undo fast'])
    })

    it('a run resuming its compensations does not sleep again (a sleep it was cancelled in is over)', async () => {
      const store = makeStore()
      const log: string[] = []
      let sleeping = false
      const body =
        (crash: boolean): WorkflowBody<Deps, string> =>
        async (step) => {
          await step(() => ok(1), {
            name: 'a',
            compensate: () => {
              log.push('undo a')
              return crash ? Promise.reject(new Error('crash')) : ok(undefined)
            },
          })
          await step(() => ok(2), {
            name: 'b',
            compensate: () => {
              log.push('undo b')
              return ok(undefined)
            },
          })
          sleeping = true
          await step.sleep('cool off', 60_000)
          await step(() => ok(3), { name: 'c', compensate: () => ok(log.push('undo c')) })
          return 'never'
        }
      const controller = new AbortController()
      const first = createWorkflow(deps, { store: failing(store, (x) => x.seq === -3), runId: 'o6' })(body(true), {
        signal: controller.signal,
      })
      await until(() => sleeping)
      // The sleep's wake-up time is recorded at its start (seq 2): cancel once it is, mid-sleep.
      while (!(await store.load('o6')).some((x) => x.seq === 2)) await new Promise((res) => setTimeout(res, 5))
      controller.abort('stop')
      expect((await first)._unsafeUnwrapErr()).toMatchObject({ _tag: 'StoreError' })
      expect(log).toEqual(['undo b', 'undo a'])
      const second = await createWorkflow(deps, { store, runId: 'o6' })(body(false))
      const e = compensatedOf(second)
      expect([e.error instanceof CancelledError, e.compensated, e.interrupted]).toEqual([true, ['b'], ['a']])
      expect(log).toEqual(['undo b', 'undo a'])
    })

    it('a compensation error that is not JSON is recorded (and reported) as the InvalidOptionsError that says why', async () => {
      const store = makeStore()
      const body: WorkflowBody<Deps, void> = async (step, d) => {
        await step(() => ok(1), { name: 'a', compensate: () => err({ retry: () => 'a function is not data' }) })
        await step(() => d.fail(), { name: 'b' })
      }
      const e = compensatedOf(await createWorkflow(deps, { store, runId: 'o7' })(body))
      expect(e.failed.map((f) => f.step)).toEqual(['a'])
      expect(e.failed[0]?.error).toMatchObject({
        _tag: 'InvalidOptionsError',
        option: 'compensation "undo a" error.retry',
      })
      // The outcome was recorded whole: a replay answers the same.
      const again = compensatedOf(await createWorkflow(deps, { store, runId: 'o7' })(body))
      expect(again.failed[0]?.error).toMatchObject({
        _tag: 'InvalidOptionsError',
        option: 'compensation "undo a" error.retry',
      })
    })

    it('retry of a compensated run starts again from its first step (the journal is emptied)', async () => {
      const store = makeStore()
      const log: string[] = []
      const runId = 'o4'
      await createWorkflow(deps, { store, runId })(saga(log))
      const ev = events()
      const again = await createWorkflow(deps, { store, runId, retry: true, onEvent: ev.onEvent })(saga(log, false))
      expect(again._unsafeUnwrap()).toBe('done')
      expect(log).toHaveLength(3)
      // Every step ran again (none replayed: what they did had been undone).
      const ran = ev.list.filter((x) => x.type === 'step_success')
      expect(ran.map((x) => [x.type === 'step_success' && x.name, x.replayed ?? false])).toEqual([
        ['reserve', false],
        ['charge', false],
        ['ship', false],
      ])
      expect((await store.load(runId)).map((x) => x.seq)).toEqual([0, 1, 2, -1])
    })
  })
}

describe('compensation on a worker', () => {
  it('a worker that shuts down hands the run back without compensating it (it resumes elsewhere)', async () => {
    const store = memoryStore()
    const log: string[] = []
    let inSlow = false
    const wf = defineWorkflow('trip2', { hang }, async (step, d) => {
      await step(() => okAsync(1), {
        name: 'hotel',
        compensate: () => {
          log.push('undo')
          return okAsync(undefined)
        },
      })
      await step(
        (ctx) => {
          inSlow = true
          return d.hang(ctx)
        },
        { name: 'flight' },
      )
      return 'booked'
    })
    const client = createClient(store, { pollMs: 5 })
    const worker = createWorker(store, [wf], { pollMs: 5 })
    await worker.start()
    const started = (await client.start(wf, {}))._unsafeUnwrap()
    await until(() => inSlow)
    await worker.close({ drainMs: 0 })
    expect(log).toEqual([])
    expect((await client.get(started.runId))._unsafeUnwrap().state).toBe('pending')
    // Another worker takes it and runs it on (its steps replay); nothing was undone.
    inSlow = false
    const next = createWorker(store, [wf], { pollMs: 5 })
    await next.start()
    await until(() => inSlow)
    await next.close({ drainMs: 0 })
    expect(log).toEqual([])
  })
})

const runStores: [string, () => RunStore][] = [
  ['memoryStore', () => memoryStore()],
  [
    'fileStore',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'okflow-comp-sleep-'))
      dirs.push(dir)
      return fileStore(dir)
    },
  ],
]

for (const [label, makeStore] of runStores) workerCompensationSuite(label, async () => makeStore())

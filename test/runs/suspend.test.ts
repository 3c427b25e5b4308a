// Suspension on a worker: a long step.sleep gives up its slot and lease (state sleeping, dueAt),
// and the run is claimed again when due. Only `Date` is faked (the store's clock and the sleep's
// wake-up time): the worker's own timers run for real, so the clock jumps only while no run is live.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ok, type Result } from 'neverthrow'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import {
  createClient,
  createWorker,
  defineWorkflow,
  fileStore,
  memoryStore,
  type RunStore,
  type WorkflowEvent,
} from '../../src/index.js'
import { until } from '../helpers.js'
import { stateOf, workerSleepSuite, workerWaitSuite } from './primitives-suite.js'

const T0 = 1_700_000_000_000

afterEach(() => {
  vi.useRealTimers()
})

/** A fresh store on a fake Date (the store reads its clock through Date.now). */
function fakeClock() {
  vi.useFakeTimers({ toFake: ['Date'], now: T0 })
  return memoryStore()
}

describe('a long step.sleep on a worker suspends the run', () => {
  it('gives up its slot and lease: a worker with concurrency 1 runs another run meanwhile; the sleeper ends when due', async () => {
    const store = fakeClock()
    let afterSleep = 0
    const sleeper = defineWorkflow('sleeper', {}, async (step) => {
      const a = await step(() => ok('a'), { name: 'a' })
      await step.sleep('nap', 60_000)
      afterSleep++
      return `${a}-b`
    })
    const quick = defineWorkflow('quick', {}, async (step) => step(() => ok(42), { name: 'one' }))
    const worker = createWorker(store, [sleeper, quick], { concurrency: 1, pollMs: 5 })
    await worker.start()
    const client = createClient(store, { pollMs: 5 })
    await client.start(sleeper, null, { runId: 's1' })
    const sleeping = await stateOf(store, 's1', 'sleeping')
    const recs = await store.load('s1')
    expect(recs.map((r) => r.key)).toEqual(['a', 'nap'])
    // Due at the recorded wake-up time, with no owner: the lease went with the slot.
    expect(recs[1]?.value).toEqual({ until: sleeping.dueAt })
    expect(sleeping.dueAt).toBe(T0 + 60_000)
    expect(sleeping.owner).toBeUndefined()
    const other = await store.acquire('s1', 'someone else', 1000)
    await store.release(other)
    // The only slot is free: another run goes through while the first sleeps.
    await client.start(quick, null, { runId: 'q1' })
    expect((await client.result('q1', { timeoutMs: 10_000 }))._unsafeUnwrap()).toBe(42)
    expect((await client.get('s1'))._unsafeUnwrap().state).toBe('sleeping')
    expect(afterSleep).toBe(0)
    // Its history (from the records) shows the sleep lasting until its wake-up time.
    const history = (await client.history('s1'))._unsafeUnwrap()
    expect(history.filter((e) => 'name' in e && e.name === 'nap').map((e) => [e.type, e.ts])).toEqual([
      ['step_start', T0],
      ['step_success', T0 + 60_000],
    ])
    // Its time comes: claimed again, replayed (a and the sleep are not run again), finished.
    vi.setSystemTime(T0 + 60_000)
    expect((await client.result('s1', { timeoutMs: 10_000 }))._unsafeUnwrap()).toBe('a-b')
    expect(afterSleep).toBe(1)
    expect((await client.get('s1'))._unsafeUnwrap()).toMatchObject({ state: 'succeeded', claims: 2 })
    await worker.close()
    expect(worker.metrics()).toMatchObject({ suspended: 1, succeeded: 2, failed: 0, cancelled: 0, running: 0 })
  })

  it('a sleep of at most sleepInProcessMs sleeps on the worker (no suspension)', async () => {
    const store = memoryStore()
    const wf = defineWorkflow('short', {}, async (step) => {
      await step.sleep('blink', 20)
      return 'done'
    })
    const worker = createWorker(store, [wf], { pollMs: 5 })
    await worker.start()
    const client = createClient(store, { pollMs: 5 })
    await client.start(wf, null, { runId: 'short' })
    expect((await client.result('short', { timeoutMs: 10_000 }))._unsafeUnwrap()).toBe('done')
    expect((await client.get('short'))._unsafeUnwrap().claims).toBe(1)
    await worker.close()
    expect(worker.metrics().suspended).toBe(0)
  })

  it('sleepInProcessMs: 0 suspends even a short sleep; it is claimed again once due', async () => {
    const store = memoryStore()
    const wf = defineWorkflow('zero', {}, async (step) => {
      await step.sleep('blink', 30)
      return 'done'
    })
    const worker = createWorker(store, [wf], { pollMs: 5, sleepInProcessMs: 0 })
    await worker.start()
    const client = createClient(store, { pollMs: 5 })
    await client.start(wf, null, { runId: 'zero' })
    expect((await client.result('zero', { timeoutMs: 10_000 }))._unsafeUnwrap()).toBe('done')
    expect((await client.get('zero'))._unsafeUnwrap().claims).toBe(2)
    await worker.close()
    expect(worker.metrics().suspended).toBe(1)
  })

  it('the events keep their contract: the suspended step ends as cancelled, the last event of the claim is workflow_cancelled', async () => {
    const store = fakeClock()
    const events: WorkflowEvent[] = []
    const wf = defineWorkflow('evented', {}, async (step) => {
      await step(() => ok(1), { name: 'before' })
      await step.sleep('nap', 60_000)
      return 'done'
    })
    const worker = createWorker(store, [wf], { pollMs: 5, onEvent: (e) => events.push(e) })
    await worker.start()
    const client = createClient(store, { pollMs: 5 })
    await client.start(wf, null, { runId: 'ev' })
    await stateOf(store, 'ev', 'sleeping')
    await until(() => events.some((e) => e.type === 'workflow_cancelled'))
    const napEnd = events.find((e) => e.type !== 'step_start' && 'name' in e && e.name === 'nap')
    expect(napEnd).toMatchObject({ type: 'step_error', error: { _tag: 'CancelledError' } })
    expect(String((napEnd as { error: Error }).error.message)).toContain('suspended until')
    expect(events.at(-1)).toMatchObject({ type: 'workflow_cancelled', error: { _tag: 'CancelledError' } })
    vi.setSystemTime(T0 + 60_000)
    expect((await client.result('ev', { timeoutMs: 10_000 }))._unsafeUnwrap()).toBe('done')
    // Two claims, each a complete event stream: every step_start has its end, terminal event last.
    const starts = events.filter((e) => e.type === 'workflow_start').length
    expect(starts).toBe(2)
    const open = new Set<string>()
    for (const e of events) {
      if (e.type === 'step_start') open.add(`${e.runId}:${e.stepId}:${starts}`)
      else if ('stepId' in e && e.type !== 'step_retry') open.delete(`${e.runId}:${e.stepId}:${starts}`)
    }
    expect(open.size).toBe(0)
    expect(events.at(-1)).toMatchObject({ type: 'workflow_success' })
    await worker.close()
  })

  it('a step running beside the suspending sleep finishes and is saved first (it does not run again on wake); a record: false one is aborted', async () => {
    const store = fakeClock()
    let slowRuns = 0
    let cheapRuns = 0
    let cheapAborted = 0
    const wf = defineWorkflow('siblings', {}, async (step) => {
      const [slow] = await Promise.all([
        step(
          async () => {
            slowRuns++
            await new Promise((r) => setTimeout(r, 50))
            return ok('slow')
          },
          { name: 'slow' },
        ),
        step(
          ({ signal }) =>
            new Promise((resolve) => {
              // The first time it runs until aborted; on wake it answers at once.
              const t = setTimeout(() => resolve(ok('cheap')), ++cheapRuns === 1 ? 60_000 : 0)
              signal.addEventListener('abort', () => {
                cheapAborted++
                clearTimeout(t)
                resolve(ok('aborted'))
              })
            }),
          { name: 'cheap', record: false },
        ),
        step.sleep('nap', 60_000),
      ])
      return slow
    })
    const worker = createWorker(store, [wf], { pollMs: 5 })
    await worker.start()
    const client = createClient(store, { pollMs: 5 })
    await client.start(wf, null, { runId: 'sib' })
    await stateOf(store, 'sib', 'sleeping')
    expect((await store.load('sib')).map((r) => r.key).sort()).toEqual(['nap', 'slow'])
    expect(cheapAborted).toBe(1)
    vi.setSystemTime(T0 + 60_000)
    expect((await client.result('sib', { timeoutMs: 10_000 }))._unsafeUnwrap()).toBe('slow')
    expect(slowRuns).toBe(1) // replayed from its record
    expect(cheapRuns).toBe(2) // never recorded: it runs again
    await worker.close()
  })

  it("a suspending run whose run stops meanwhile (a step's store error) does not wait for the steps it aborted: it goes to sleep, slot and lease free", async () => {
    const store = memoryStore()
    // The event store fails a little after the wait asks: the run stops, the slow step is aborted
    // and saves nothing; the suspension must not wait for its record.
    store.getEvent = async () => {
      await new Promise((r) => setTimeout(r, 20))
      throw new Error('store hiccup')
    }
    const wf = defineWorkflow('stopped-while-suspending', {}, async (step) => {
      await Promise.all([
        step.sleep('nap', 60_000),
        step.waitFor('event', 'k1'),
        step(
          ({ signal }) =>
            new Promise<Result<number, never>>((resolve) => {
              const t = setTimeout(() => resolve(ok(1)), 200)
              signal.addEventListener('abort', () => clearTimeout(t))
            }),
          { name: 'slow' },
        ),
      ])
      return 'done'
    })
    const worker = createWorker(store, [wf], { pollMs: 5, leaseMs: 60_000 })
    await worker.start()
    const client = createClient(store, { pollMs: 5 })
    await client.start(wf, null, { runId: 'sw1' })
    const asleep = await stateOf(store, 'sw1', 'sleeping')
    expect(asleep.owner).toBeUndefined()
    expect(worker.metrics().running).toBe(0)
    await worker.close({ drainMs: 0 })
  })

  it('two sleeps at once: the run wakes for the earlier one', async () => {
    const store = fakeClock()
    const wf = defineWorkflow('two-naps', {}, async (step) => {
      await Promise.all([step.sleep('long', 60_000), step.sleep('short', 30_000)])
      return 'both'
    })
    const worker = createWorker(store, [wf], { pollMs: 5 })
    await worker.start()
    const client = createClient(store, { pollMs: 5 })
    await client.start(wf, null, { runId: 'two' })
    const info = await stateOf(store, 'two', 'sleeping')
    expect(info.dueAt).toBe(T0 + 30_000)
    vi.setSystemTime(T0 + 30_000)
    // Woken at 30 s: the short sleep is over, the long one suspends again until 60 s.
    await until(() => worker.metrics().suspended === 2)
    const again = await stateOf(store, 'two', 'sleeping')
    expect(again.dueAt).toBe(T0 + 60_000)
    vi.setSystemTime(T0 + 60_000)
    expect((await client.result('two', { timeoutMs: 10_000 }))._unsafeUnwrap()).toBe('both')
    await worker.close()
  })

  it('a run cancelled while it waits for a running step before suspending is cancelled, not put to sleep', async () => {
    const store = fakeClock()
    let started = false
    const wf = defineWorkflow('cancel-mid-suspend', {}, async (step) => {
      await Promise.all([
        step(
          ({ signal }) =>
            new Promise((resolve) => {
              started = true
              signal.addEventListener('abort', () => resolve(ok('aborted')))
            }),
          { name: 'slow' },
        ),
        step.sleep('nap', 60_000),
      ])
      return 'never'
    })
    const worker = createWorker(store, [wf], { pollMs: 5 })
    await worker.start()
    const client = createClient(store, { pollMs: 5 })
    await client.start(wf, null, { runId: 'cms' })
    await until(() => started)
    // The sleep's record is in: it has asked to suspend, and 'slow' holds the run on the worker.
    while (!(await store.load('cms')).some((r) => r.key === 'nap')) await new Promise((r) => setTimeout(r, 5))
    expect((await client.get('cms'))._unsafeUnwrap().state).toBe('running')
    await client.cancel('cms')
    const info = await stateOf(store, 'cms', 'cancelled')
    expect(info.error).toMatchObject({ tag: 'CancelledError', message: 'Cancelled: run "cms" was cancelled' })
    await worker.close()
    expect(worker.metrics()).toMatchObject({ cancelled: 1, suspended: 0 })
  })

  it('a sleeping run is cancelled at once by client.cancel', async () => {
    const store = fakeClock()
    const wf = defineWorkflow('cancel-me', {}, async (step) => {
      await step.sleep('nap', 60_000)
      return 'never'
    })
    const worker = createWorker(store, [wf], { pollMs: 5 })
    await worker.start()
    const client = createClient(store, { pollMs: 5 })
    await client.start(wf, null, { runId: 'c1' })
    await stateOf(store, 'c1', 'sleeping')
    expect((await client.cancel('c1'))._unsafeUnwrap().state).toBe('cancelled')
    expect((await client.result('c1', { timeoutMs: 1000 }))._unsafeUnwrapErr()).toMatchObject({
      _tag: 'CancelledError',
    })
    await worker.close()
    expect(worker.metrics()).toMatchObject({ suspended: 1, running: 0 })
  })
})

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
const runStores: [string, () => RunStore][] = [
  ['memoryStore', () => memoryStore()],
  [
    'fileStore',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'okflow-suspend-'))
      dirs.push(dir)
      return fileStore(dir)
    },
  ],
]

for (const [kind, makeStore] of runStores) {
  workerWaitSuite(kind, makeStore)
  workerSleepSuite(kind, makeStore)
}

describe('step.waitFor timeout on a worker', () => {
  it('suspends until the deadline; claimed then, it ends with TimeoutError labelled with the step', async () => {
    const store = fakeClock()
    const wf = defineWorkflow('deadline', {}, async (step) =>
      step.waitFor('confirmation', 'confirm:9', { timeoutMs: 30_000 }),
    )
    const worker = createWorker(store, [wf], { pollMs: 5 })
    await worker.start()
    const client = createClient(store, { pollMs: 5 })
    await client.start(wf, null, { runId: 'd1' })
    const info = await stateOf(store, 'd1', 'sleeping')
    expect(info.dueAt).toBe(T0 + 30_000)
    expect((await store.load('d1'))[0]?.value).toEqual({ until: T0 + 30_000 })
    vi.setSystemTime(T0 + 30_000)
    expect((await client.result('d1', { timeoutMs: 10_000 }))._unsafeUnwrapErr()).toMatchObject({
      _tag: 'TimeoutError',
      ms: 30_000,
      label: 'confirmation',
    })
    expect((await client.get('d1'))._unsafeUnwrap()).toMatchObject({ state: 'failed', claims: 2 })
    // Too late: an emit now changes nothing for the run.
    await client.emit('confirm:9', 'late')
    expect((await client.result('d1', { timeoutMs: 1000 }))._unsafeUnwrapErr()).toMatchObject({ _tag: 'TimeoutError' })
    await worker.close()
  })

  it('without a timeout, a waiting run is looked at again after a minute all the same (polling is the truth)', async () => {
    const store = fakeClock()
    const wf = defineWorkflow('forever', {}, async (step) => step.waitFor('w', 'never'))
    const worker = createWorker(store, [wf], { pollMs: 5 })
    await worker.start()
    const client = createClient(store, { pollMs: 5 })
    await client.start(wf, null, { runId: 'f1' })
    expect((await stateOf(store, 'f1', 'sleeping')).dueAt).toBe(T0 + 60_000)
    await worker.close()
  })
})

// Durable step.sleep in process (createWorkflow with a store): the wake-up time is recorded at the
// sleep's start, a resumed run sleeps only what is left, and a run without a store is unchanged.
// Time is the subject here: fake timers (the durable module loads for real, so the clock moves
// once the run is inside its sleep: `until`).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ok } from 'neverthrow'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import {
  createWorkflow,
  fileStore,
  memoryStore,
  type StepRecord,
  type WorkflowEvent,
  type WorkflowStore,
} from '../../src/index.js'
import { timers } from '../helpers.js'

afterEach(() => {
  vi.useRealTimers()
})

// Taken before any test fakes timers: polling the store keeps real time.
const realSetTimeout = globalThis.setTimeout
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** The records of a run, once it has `n` (checked with real time, whatever the test fakes). */
const recordsOf = async (store: WorkflowStore, runId: string, n: number) => {
  for (;;) {
    const recs = await store.load(runId)
    if (recs.length >= n) return recs
    await new Promise((r) => realSetTimeout(r, 5))
  }
}

describe('step.sleep with a store (in process)', () => {
  it('records { until } at the start of the sleep, before it sleeps, with the sleep shown as lasting until then', async () => {
    vi.useFakeTimers({ now: 1_000_000 })
    const store = memoryStore()
    const wf = createWorkflow({}, { store, runId: 'nap' })
    const p = wf(async (step) => {
      await step.sleep('nap', 5000)
      return 'awake'
    })
    const [rec] = await recordsOf(store, 'nap', 1)
    expect(rec).toMatchObject({ seq: 0, key: 'nap', ok: true, kind: 'sleep', value: { until: 1_005_000 } })
    expect(rec?.endedAt).toBe(1_005_000)
    await vi.advanceTimersByTimeAsync(5000)
    expect((await p)._unsafeUnwrap()).toBe('awake')
    // One record for the sleep (its end is not written again), then the outcome.
    expect((await store.load('nap')).map((r) => r.seq)).toEqual([0, -1])
  })

  it('a run stopped 2 s into a 5 s sleep and resumed sleeps only the 3 s left', async () => {
    vi.useFakeTimers({ now: 1_000_000 })
    const store = memoryStore()
    const ac = new AbortController()
    const wf = createWorkflow({}, { store, runId: 'resume' })
    let after = 0
    const body = async (step: Parameters<Parameters<typeof wf>[0]>[0]) => {
      await step.sleep('cool down', 5000)
      after++
      return Date.now()
    }
    const first = wf(body, { signal: ac.signal })
    await recordsOf(store, 'resume', 1)
    await vi.advanceTimersByTimeAsync(2000)
    ac.abort('crash')
    expect((await first)._unsafeUnwrapErr()).toMatchObject({ _tag: 'CancelledError' })
    expect(after).toBe(0)
    // Resumed at 2 s: the recorded wake-up time stands.
    const second = wf(body)
    await vi.advanceTimersByTimeAsync(2999)
    expect(after).toBe(0)
    await vi.advanceTimersByTimeAsync(1)
    expect((await second)._unsafeUnwrap()).toBe(1_005_000)
    expect(after).toBe(1)
  })

  it('a recorded sleep whose time has passed replays at once, marked replayed', async () => {
    vi.useFakeTimers({ now: 1_000_000 })
    const store = memoryStore()
    const lease = await store.acquire('past', 'earlier', 1000)
    await store.append(lease, { seq: 0, key: 'nap', ok: true, value: { until: 999_000 }, kind: 'sleep' })
    await store.release(lease)
    const events: WorkflowEvent[] = []
    const wf = createWorkflow({}, { store, runId: 'past', onEvent: (e) => events.push(e) })
    const left = timers()
    const r = await wf(async (step) => {
      const v = await step.sleep('nap', 60_000)
      return v === undefined ? 'void' : 'value'
    })
    expect(r._unsafeUnwrap()).toBe('void')
    expect(events.find((e) => e.type === 'step_success')).toMatchObject({ name: 'nap', kind: 'sleep', replayed: true })
    expect(timers()).toBeLessThanOrEqual(left)
  })

  it('a sleep recorded as a plain step (earlier versions) replays as over', async () => {
    const store = memoryStore()
    const lease = await store.acquire('old', 'earlier', 1000)
    await store.append(lease, { seq: 0, key: 'nap', ok: true, kind: 'sleep' })
    await store.release(lease)
    const wf = createWorkflow({}, { store, runId: 'old' })
    expect((await wf(async (step) => (await step.sleep('nap', 60_000)) ?? 'done'))._unsafeUnwrap()).toBe('done')
  })

  it('another step recorded at the sleep position → ReplayMismatchError', async () => {
    const store = memoryStore()
    const lease = await store.acquire('mismatch', 'earlier', 1000)
    await store.append(lease, { seq: 0, key: 'charge', ok: true, value: 1 })
    await store.release(lease)
    const wf = createWorkflow({}, { store, runId: 'mismatch' })
    const r = await wf(async (step) => step.sleep('nap', 10))
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'ReplayMismatchError', expected: 'charge', actual: 'nap' })
  })

  it('the steps after a sleep keep their positions on replay (the sleep takes one)', async () => {
    const store = memoryStore()
    const wf = createWorkflow({}, { store, runId: 'positions' })
    let ran = 0
    const body = async (step: Parameters<Parameters<typeof wf>[0]>[0]) => {
      const a = await step(() => ok(++ran), { name: 'a' })
      await step.sleep('nap', 1)
      const b = await step(() => ok(++ran), { name: 'b' })
      return [a, b]
    }
    expect((await wf(body))._unsafeUnwrap()).toEqual([1, 2])
    expect((await store.load('positions')).map((r) => [r.seq, r.key])).toEqual([
      [0, 'a'],
      [1, 'nap'],
      [2, 'b'],
      [-1, '$result'],
    ])
    store.delete('positions')
  })

  it('an aborted durable sleep ends at once and leaves no timer', async () => {
    const store = memoryStore()
    const ac = new AbortController()
    const wf = createWorkflow({}, { store, runId: 'abort' })
    const before = timers()
    const p = wf(async (step) => step.sleep('long', 60_000), { signal: ac.signal })
    await recordsOf(store, 'abort', 1)
    ac.abort()
    expect((await p)._unsafeUnwrapErr()).toMatchObject({ _tag: 'CancelledError' })
    expect(timers()).toBeLessThanOrEqual(before)
  })

  it('on fileStore: the wake-up time survives a new store over the same directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'okflow-sleep-'))
    dirs.push(dir)
    const ac = new AbortController()
    const first = createWorkflow({}, { store: fileStore(dir), runId: 'f1' })
    const p = first(async (step) => step.sleep('nap', 60_000), { signal: ac.signal })
    const [rec] = await recordsOf(fileStore(dir), 'f1', 1)
    ac.abort()
    await p
    const until0 = (rec as StepRecord).value
    // A new process (a new store) resumes the same run: same record, and it is still sleeping.
    const store = fileStore(dir)
    const ac2 = new AbortController()
    const second = createWorkflow({}, { store, runId: 'f1' })
    const q = second(async (step) => step.sleep('nap', 60_000), { signal: ac2.signal })
    await new Promise((r) => setTimeout(r, 50))
    expect((await store.load('f1')).map((r) => r.value)).toEqual([until0])
    ac2.abort()
    expect((await q)._unsafeUnwrapErr()).toMatchObject({ _tag: 'CancelledError' })
  })
})

describe('step.sleep without a store', () => {
  it('is unchanged: a plain abortable pause, nothing recorded (fake timers)', async () => {
    vi.useFakeTimers()
    const wf = createWorkflow({})
    let done = false
    const p = wf(async (step) => {
      await step.sleep('nap', 1000)
      done = true
    })
    await vi.advanceTimersByTimeAsync(999)
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect((await p).isOk()).toBe(true)
    expect(done).toBe(true)
  })
})

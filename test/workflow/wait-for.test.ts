// step.waitFor + client.emit in process (createWorkflow with a store): the event's payload, first
// emit wins, an emit before the wait is not lost, the deadline is recorded at first reach (a
// resumed run keeps it), TimeoutError labelled with the step. On memoryStore and fileStore; fake
// timers where time is the subject.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import {
  createClient,
  createWorkflow,
  fileStore,
  type JsonValue,
  memoryStore,
  type RunStore,
  type WorkflowStore,
} from '../../src/index.js'
import { until } from '../helpers.js'
import { inProcessWaitSuite } from '../runs/primitives-suite.js'

// Taken before any test fakes timers: polling the store keeps real time.
const realSetTimeout = globalThis.setTimeout
const dirs: string[] = []
afterEach(() => {
  vi.useRealTimers()
})
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const recordsOf = async (store: WorkflowStore, runId: string, n: number) => {
  for (;;) {
    const recs = await store.load(runId)
    if (recs.length >= n) return recs
    await new Promise((r) => realSetTimeout(r, 5))
  }
}

const stores: [string, () => RunStore][] = [
  ['memoryStore', () => memoryStore()],
  [
    'fileStore',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'okflow-wait-'))
      dirs.push(dir)
      return fileStore(dir)
    },
  ],
]

for (const [kind, makeStore] of stores) inProcessWaitSuite(kind, makeStore)

describe('step.waitFor deadline (memoryStore, fake timers)', () => {
  it('no event by the deadline → TimeoutError labelled with the step, recorded (a replay answers it without waiting)', async () => {
    vi.useFakeTimers({ now: 1_000_000 })
    const store = memoryStore()
    const wf = createWorkflow({}, { store, runId: 'late' })
    let settled = false
    const p = wf(async (step) => step.waitFor('confirmation', 'confirm:1', { timeoutMs: 5000 }))
    void p.then(() => {
      settled = true
    })
    const [deadline] = await recordsOf(store, 'late', 1)
    expect(deadline?.value).toEqual({ until: 1_005_000 })
    await vi.advanceTimersByTimeAsync(4999)
    expect(settled).toBe(false)
    await vi.advanceTimersByTimeAsync(200)
    const e = (await p)._unsafeUnwrapErr()
    expect(e).toMatchObject({ _tag: 'TimeoutError', ms: 5000, label: 'confirmation' })
    expect((await store.load('late')).find((r) => r.seq === 1)).toMatchObject({ ok: false, key: 'confirmation' })
    // An emit after the timeout changes nothing for this run.
    await createClient(store).emit('confirm:1', 'too late')
    expect(
      (await wf(async (step) => step.waitFor('confirmation', 'confirm:1', { timeoutMs: 5000 })))._unsafeUnwrapErr(),
    ).toMatchObject({ _tag: 'TimeoutError', label: 'confirmation' })
  })

  it('a run stopped 2 s into a 5 s wait and resumed keeps its deadline: it times out 5 s from the first reach', async () => {
    vi.useFakeTimers({ now: 1_000_000 })
    const store = memoryStore()
    const ac = new AbortController()
    const wf = createWorkflow({}, { store, runId: 'resume' })
    const body = async (step: Parameters<Parameters<typeof wf>[0]>[0]) =>
      step.waitFor('w', 'k', { timeoutMs: 5000, key: 'wait:v1' })
    const first = wf(body, { signal: ac.signal })
    await recordsOf(store, 'resume', 1)
    await vi.advanceTimersByTimeAsync(2000)
    ac.abort()
    await first
    let settled = false
    const second = wf(body)
    void second.then(() => {
      settled = true
    })
    await until(() => vi.getTimerCount() > 0) // waiting again (the durable module loads for real)
    await vi.advanceTimersByTimeAsync(2900)
    expect(settled).toBe(false)
    await vi.advanceTimersByTimeAsync(200) // past 5 s from the first reach, and one more look
    expect((await second)._unsafeUnwrapErr()).toMatchObject({ _tag: 'TimeoutError', ms: 5000, label: 'w' })
    expect((await store.load('resume')).map((r) => [r.seq, r.key])).toEqual([
      [0, 'wait:v1'],
      [1, 'wait:v1'],
      [-1, '$result'],
    ])
  })

  it('a retried run whose wait timed out keeps its deadline: the event if emitted since, else a timeout at once', async () => {
    vi.useFakeTimers({ now: 1_000_000 })
    const store = memoryStore()
    const wf = createWorkflow({}, { store, runId: 'retry', retry: true })
    const body = async (step: Parameters<Parameters<typeof wf>[0]>[0]) => step.waitFor('w', 'k', { timeoutMs: 1000 })
    const first = wf(body)
    await recordsOf(store, 'retry', 1)
    await vi.advanceTimersByTimeAsync(1200)
    expect((await first)._unsafeUnwrapErr()).toMatchObject({ _tag: 'TimeoutError' })
    // Retried with no event: the recorded deadline has passed, so it times out again without waiting.
    expect((await wf(body))._unsafeUnwrapErr()).toMatchObject({ _tag: 'TimeoutError', label: 'w' })
    await createClient(store).emit('k', 'finally')
    expect((await wf(body))._unsafeUnwrap()).toBe('finally')
  })

  it('an emit that comes right at the deadline is still read (one last look before the timeout)', async () => {
    vi.useFakeTimers({ now: 1_000_000 })
    const inner = memoryStore()
    let reads = 0
    // No `wait`: the step polls every 100 ms. The event arrives between the last poll and the deadline.
    const { wait: _w, ...store } = inner
    const spied: RunStore = {
      ...store,
      getEvent: async (key, waiter) => {
        reads++
        if (Date.now() >= 1_000_250) await inner.emit?.('k', 'just in time')
        return inner.getEvent?.(key, waiter)
      },
    }
    const wf = createWorkflow({}, { store: spied, runId: 'edge' })
    const p = wf(async (step) => step.waitFor('w', 'k', { timeoutMs: 250 }))
    await recordsOf(inner, 'edge', 1)
    await vi.advanceTimersByTimeAsync(300)
    expect((await p)._unsafeUnwrap()).toBe('just in time')
    expect(reads).toBeGreaterThanOrEqual(3)
  })
})

describe('step.waitFor refuses what cannot work', () => {
  it('without a store → InvalidOptionsError naming the store', async () => {
    const r = await createWorkflow({})(async (step) => step.waitFor('w', 'k'))
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'store' })
  })

  it('a store without getEvent → InvalidOptionsError naming the store, nothing recorded', async () => {
    const { getEvent: _g, ...store } = memoryStore()
    const r = await createWorkflow({}, { store, runId: 'x' })(async (step) => step.waitFor('w', 'k'))
    const e = r._unsafeUnwrapErr()
    expect(e).toMatchObject({ _tag: 'InvalidOptionsError', option: 'store' })
    expect(String((e as Error).message)).toContain('getEvent')
    expect((await store.load('x')).filter((x) => x.seq >= 0)).toEqual([])
  })

  it('client.emit: a store without emit → InvalidOptionsError; a payload that is not JSON → InvalidOptionsError naming its path', async () => {
    const { emit: _e, ...noEmit } = memoryStore()
    expect((await createClient(noEmit as RunStore).emit('k', 1))._unsafeUnwrapErr()).toMatchObject({
      _tag: 'InvalidOptionsError',
      option: 'store',
    })
    const client = createClient(memoryStore())
    expect((await client.emit('k', { at: new Date() }))._unsafeUnwrapErr()).toMatchObject({ option: 'payload.at' })
    expect((await client.emit('', 1))._unsafeUnwrapErr()).toMatchObject({ option: 'key' })
  })

  it('a store whose getEvent rejects → the run ends with StoreError, nothing recorded for the wait; resumed, it gets the event', async () => {
    const store = memoryStore()
    let fail = true
    const flaky: RunStore = {
      ...store,
      getEvent: (key, waiter) => (fail ? Promise.reject(new Error('connection reset')) : store.getEvent!(key, waiter)),
    }
    const wf = createWorkflow({}, { store: flaky, runId: 'flaky' })
    const body = async (step: Parameters<Parameters<typeof wf>[0]>[0]) => step.waitFor('w', 'k')
    const r = await wf(body)
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'StoreError', operation: 'queue', runId: 'flaky' })
    expect((await store.load('flaky')).map((x) => x.seq)).toEqual([0]) // the deadline only
    fail = false
    await createClient(store).emit('k', 'here')
    expect((await wf(body))._unsafeUnwrap()).toBe('here')
  })

  it('a store whose wait throws synchronously → the step settles as an err (UnexpectedError), never a hang', async () => {
    const store = memoryStore()
    const broken: RunStore = {
      ...store,
      wait: () => {
        throw new Error('not a promise')
      },
    }
    const wf = createWorkflow({}, { store: broken, runId: 'sync-throw' })
    const r = await wf((step) => step.waitFor('w', 'never', { timeoutMs: 60_000 }))
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'UnexpectedError' })
  })

  it('a store whose emit rejects → StoreError', async () => {
    const store: RunStore = { ...memoryStore(), emit: () => Promise.reject(new Error('disk full')) }
    expect((await createClient(store).emit('k', null))._unsafeUnwrapErr()).toMatchObject({
      _tag: 'StoreError',
      operation: 'queue',
    })
  })

  it('a payload of null, numbers, strings and nested data goes through unchanged', async () => {
    const store = memoryStore()
    const client = createClient(store)
    const payloads: JsonValue[] = [null, 0, 'x', [true, { a: [1] }]]
    for (const [i, p] of payloads.entries()) await client.emit(`p${i}`, p)
    const wf = createWorkflow({}, { store, runId: 'payloads' })
    const r = await wf(async (step) => {
      const out: unknown[] = []
      for (let i = 0; i < payloads.length; i++) out.push(await step.waitFor(`w${i}`, `p${i}`))
      return out
    })
    expect(r._unsafeUnwrap()).toEqual(payloads)
  })
})

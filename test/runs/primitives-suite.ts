// Durable primitives on any run store (memoryStore, fileStore, postgresStore): step.waitFor +
// client.emit in process and on workers, and a step.sleep that suspends a worker's run. Real
// time, short waits, assertions on order and values only. Each store's test file calls these.
import { ok } from 'neverthrow'
import { describe, expect, it } from 'vitest'
import {
  createClient,
  createWorker,
  createWorkflow,
  defineWorkflow,
  type RunInfo,
  type RunStore,
  type WorkflowStore,
} from '../../src/index.js'
import { timers } from '../helpers.js'

type MakeStore = () => RunStore | Promise<RunStore>

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

const recordsOf = async (store: WorkflowStore, runId: string, n: number) => {
  for (;;) {
    const recs = await store.load(runId)
    if (recs.length >= n) return recs
    await pause(5)
  }
}

/** The run once it is in `state`. */
export async function stateOf(store: RunStore, runId: string, state: RunInfo['state']): Promise<RunInfo> {
  for (;;) {
    const info = await store.getRun(runId)
    if (info?.state === state) return info
    await pause(5)
  }
}

/** step.waitFor in process (createWorkflow with the store). */
export function inProcessWaitSuite(kind: string, makeStore: MakeStore): void {
  describe(`step.waitFor in process on ${kind}`, () => {
    it('an emit that came before the wait is not lost: the payload at once, recorded after the deadline', async () => {
      const store = await makeStore()
      const client = createClient(store)
      expect((await client.emit('packed:1', { box: 3 }))._unsafeUnwrap()).toEqual({ first: true })
      const wf = createWorkflow({}, { store, runId: 'early' })
      const r = await wf(async (step) => step.waitFor<{ box: number }>('packed', 'packed:1', { timeoutMs: 60_000 }))
      expect(r._unsafeUnwrap()).toEqual({ box: 3 })
      const recs = await store.load('early')
      expect(recs.map((x) => [x.seq, x.key, x.ok])).toEqual([
        [0, 'packed', true],
        [1, 'packed', true],
        [-1, '$result', true],
      ])
      expect(recs[0]?.value).toEqual({ until: expect.any(Number) })
      expect(recs[1]?.value).toEqual({ box: 3 })
    })

    it('an emit during the wait resolves it; the first emit wins', async () => {
      const store = await makeStore()
      const client = createClient(store)
      const wf = createWorkflow({}, { store, runId: 'during' })
      const p = wf(async (step) => step.waitFor('approval', 'approve:7'))
      // The deadline record (no timeout: until null) is in: the run is waiting.
      const [deadline] = await recordsOf(store, 'during', 1)
      expect(deadline?.value).toEqual({ until: null })
      expect((await client.emit('approve:7', 'yes'))._unsafeUnwrap()).toEqual({ first: true })
      expect((await client.emit('approve:7', 'no'))._unsafeUnwrap()).toEqual({ first: false })
      expect((await p)._unsafeUnwrap()).toBe('yes')
      // A later run waiting for the same key gets the first payload too.
      const again = createWorkflow({}, { store, runId: 'later' })
      expect((await again(async (step) => step.waitFor('approval', 'approve:7')))._unsafeUnwrap()).toBe('yes')
    })

    it('a finished wait replays from its record without asking the store', async () => {
      const store = await makeStore()
      await createClient(store).emit('k', [1, 2])
      const wf = createWorkflow({}, { store, runId: 'replay' })
      const body = async (step: Parameters<Parameters<typeof wf>[0]>[0]) => step.waitFor('w', 'k')
      expect((await wf(body))._unsafeUnwrap()).toEqual([1, 2])
      let reads = 0
      const spied: RunStore = {
        ...store,
        getEvent: (key, waiter) => {
          reads++
          return store.getEvent?.(key, waiter) ?? Promise.resolve(undefined)
        },
      }
      const wf2 = createWorkflow({}, { store: spied, runId: 'replay', retry: true })
      // A finished run answers from its outcome; drop it to replay the steps themselves.
      const lease = await store.acquire('replay', 'test', 1000)
      await store.reopen(lease)
      await store.release(lease)
      expect((await wf2(body))._unsafeUnwrap()).toEqual([1, 2])
      expect(reads).toBe(0)
    })

    it('a cancelled wait ends at once with CancelledError, records no outcome and leaves no timer', async () => {
      const store = await makeStore()
      const ac = new AbortController()
      const before = timers()
      const wf = createWorkflow({}, { store, runId: 'abort' })
      const p = wf(async (step) => step.waitFor('w', 'never', { timeoutMs: 60_000 }), { signal: ac.signal })
      await recordsOf(store, 'abort', 1)
      ac.abort()
      expect((await p)._unsafeUnwrapErr()).toMatchObject({ _tag: 'CancelledError' })
      expect((await store.load('abort')).map((r) => r.seq)).toEqual([0])
      await new Promise((r) => setTimeout(r, 150)) // a poll that would still be pending
      expect(timers()).toBeLessThanOrEqual(before)
    })
  })
}

/** step.waitFor on workers: no slot while waiting, woken by the emit. */
export function workerWaitSuite(kind: string, makeStore: MakeStore): void {
  describe(`step.waitFor on a worker (${kind})`, () => {
    const approval = defineWorkflow('approval', {}, async (step, _deps, input: { order: string }) => {
      const before = await step(() => ok('checked'), { name: 'check' })
      const answer = await step.waitFor<{ ok: boolean }>('approval', `approve:${input.order}`)
      return { before, answer }
    })

    it('a waiting run holds no slot (concurrency 1 runs another meanwhile); an emit wakes it and it ends with the payload', async () => {
      const store = await makeStore()
      const quick = defineWorkflow('quick', {}, async (step) => step(() => ok(7), { name: 'one' }))
      const worker = createWorker(store, [approval, quick], { concurrency: 1, pollMs: 5 })
      await worker.start()
      const client = createClient(store, { pollMs: 5 })
      await client.start(approval, { order: '1' }, { runId: 'a1' })
      const sleeping = await stateOf(store, 'a1', 'sleeping')
      expect(sleeping.owner).toBeUndefined()
      await client.start(quick, null, { runId: 'q' })
      expect((await client.result('q', { timeoutMs: 10_000 }))._unsafeUnwrap()).toBe(7)
      expect((await client.get('a1'))._unsafeUnwrap().state).toBe('sleeping')
      expect((await client.emit('approve:1', { ok: true }))._unsafeUnwrap()).toEqual({ first: true })
      expect((await client.result('a1', { timeoutMs: 10_000 }))._unsafeUnwrap()).toEqual({
        before: 'checked',
        answer: { ok: true },
      })
      expect((await client.get('a1'))._unsafeUnwrap().claims).toBe(2)
      await worker.close() // counted once the worker has recorded the end: after close, surely
      expect(worker.metrics()).toMatchObject({ suspended: 1, succeeded: 2 })
    })

    it('an emit before the run starts: it never suspends', async () => {
      const store = await makeStore()
      const client = createClient(store, { pollMs: 5 })
      await client.emit('approve:2', { ok: false })
      const worker = createWorker(store, [approval], { pollMs: 5 })
      await worker.start()
      await client.start(approval, { order: '2' }, { runId: 'a2' })
      expect((await client.result('a2', { timeoutMs: 10_000 }))._unsafeUnwrap()).toEqual({
        before: 'checked',
        answer: { ok: false },
      })
      await worker.close()
      expect(worker.metrics().suspended).toBe(0)
    })

    it('two emits: the first wins, the second changes nothing', async () => {
      const store = await makeStore()
      const worker = createWorker(store, [approval], { pollMs: 5 })
      await worker.start()
      const client = createClient(store, { pollMs: 5 })
      await client.start(approval, { order: '3' }, { runId: 'a3' })
      await stateOf(store, 'a3', 'sleeping')
      const [a, b] = await Promise.all([
        client.emit('approve:3', { ok: true }),
        client.emit('approve:3', { ok: false }),
      ])
      expect([a._unsafeUnwrap().first, b._unsafeUnwrap().first].sort()).toEqual([false, true])
      const winner = a._unsafeUnwrap().first ? { ok: true } : { ok: false }
      expect((await client.result('a3', { timeoutMs: 10_000 }))._unsafeUnwrap()).toEqual({
        before: 'checked',
        answer: winner,
      })
      await worker.close()
    })

    it('an emit while the run is still deciding to sleep is not lost (woken: due at once)', async () => {
      const inner = await makeStore()
      const client = createClient(inner, { pollMs: 5 })
      // The emit lands after the run registered and read (nothing yet), before it is marked sleeping.
      const store: RunStore = {
        ...inner,
        setState: async (lease, state, opts) => {
          if (state === 'sleeping') await client.emit('approve:4', { ok: true })
          return inner.setState(lease, state, opts)
        },
      }
      const worker = createWorker(store, [approval], { pollMs: 5 })
      await worker.start()
      await client.start(approval, { order: '4' }, { runId: 'a4' })
      expect((await client.result('a4', { timeoutMs: 10_000 }))._unsafeUnwrap()).toEqual({
        before: 'checked',
        answer: { ok: true },
      })
      // It slept once, due at once (not after the one-minute fallback).
      await worker.close()
      expect(worker.metrics().suspended).toBe(1)
    })
  })
}

/** A step.sleep that suspends a worker's run (sleepInProcessMs: 0), in real time. */
export function workerSleepSuite(kind: string, makeStore: MakeStore): void {
  describe(`step.sleep on a worker (${kind})`, () => {
    it('suspends: sleeping with dueAt = the recorded wake-up time, no owner, lease free; claimed again when due, replayed, ended', async () => {
      const store = await makeStore()
      let before = 0
      let after = 0
      const wf = defineWorkflow('napper', {}, async (step) => {
        await step(() => ok(++before), { name: 'before' })
        await step.sleep('nap', 300)
        return step(() => ok(++after), { name: 'after' })
      })
      const worker = createWorker(store, [wf], { pollMs: 10, sleepInProcessMs: 0 })
      await worker.start()
      const client = createClient(store, { pollMs: 10 })
      await client.start(wf, null, { runId: 'nap-1' })
      const info = await stateOf(store, 'nap-1', 'sleeping')
      const recs = await store.load('nap-1')
      expect(recs.map((r) => r.key)).toEqual(['before', 'nap'])
      expect(recs[1]?.value).toEqual({ until: info.dueAt })
      expect(info.owner).toBeUndefined()
      // The lease went with the slot: anyone can take it at once (and give it back).
      const other = await store.acquire('nap-1', 'someone else', 1000)
      await store.release(other)
      expect((await client.result('nap-1', { timeoutMs: 15_000 }))._unsafeUnwrap()).toBe(1)
      expect([before, after]).toEqual([1, 1])
      expect((await client.get('nap-1'))._unsafeUnwrap()).toMatchObject({ state: 'succeeded', claims: 2 })
      await worker.close()
      expect(worker.metrics()).toMatchObject({ suspended: 1, succeeded: 1 })
    })
  })
}

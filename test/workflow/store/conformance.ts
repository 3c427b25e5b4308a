import { describe, expect, it } from 'vitest'
import type { JsonValue, Lease, RunInfo, RunState, RunStore, StepRecord } from '../../../src/index.js'

/** A clock the suite moves by hand (stores take `now` in their options). */
export interface TestClock {
  now(): number
  /** Moves the clock on; with a real clock (a store that cannot take one) it waits instead. */
  advance(ms: number): Promise<void>
}

export interface ConformanceOptions {
  /**
   * `fake` (default): `make` wires `clock.now` into the store, `advance` moves time at once.
   * `real`: the store keeps its own clock; lease-expiry tests wait for real (leases are short).
   */
  readonly clock?: 'fake' | 'real'
  /**
   * `true` (default): also the durable-primitive methods (createRuns, listChildren, wake, emit,
   * getEvent) and their rules; a store that leaves those optional methods out passes `false`.
   */
  readonly primitives?: boolean
}

/**
 * The store v2 contract, run against one store. Every built-in store (memory, file, Postgres)
 * calls this from its own test file; a user who writes a store can too.
 *
 * @example
 * describeStoreConformance('memoryStore', async (clock) => ({ store: memoryStore({ now: clock.now }), cleanup: async () => {} }))
 */
export function describeStoreConformance(
  name: string,
  make: (clock: TestClock) => Promise<{
    store: RunStore
    cleanup(): Promise<void>
    /** A new store over the same data (a restart); stores that live in memory only leave it out. */
    reopen?(): Promise<RunStore>
    /** Simulates a crash in the middle of writing a record of `runId` (stores that can tear a write). */
    tear?(runId: string): Promise<void>
  }>,
  options: ConformanceOptions = {},
): void {
  const real = options.clock === 'real'
  const LEASE = real ? 200 : 1000
  const setup = async () => {
    let t = 1_700_000_000_000
    const clock: TestClock = real
      ? { now: () => Date.now(), advance: (ms) => new Promise((r) => setTimeout(r, ms)) }
      : {
          now: () => t,
          advance: async (ms) => {
            t += ms
          },
        }
    const made = await make(clock)
    return { ...made, clock }
  }
  let ids = 0
  const id = (what: string) => `${what}-${process.pid}-${++ids}-${Math.random().toString(36).slice(2, 8)}`
  const rec = (seq: number, extra: Partial<StepRecord> = {}): StepRecord => ({
    seq,
    key: `k${seq}`,
    ok: true,
    value: seq,
    ...extra,
  })
  const tagOf = (p: Promise<unknown>) =>
    p.then(
      () => 'resolved',
      (e: unknown) => (e as { _tag?: string })?._tag ?? String(e),
    )

  describe(`${name}: store v2 conformance`, () => {
    describe('leases', () => {
      it('grants a free run, refuses a live lease of another owner with RunLockedError, and grants again after release (fence grows)', async () => {
        const { store, cleanup } = await setup()
        try {
          const run = id('grant')
          const a = await store.acquire(run, 'owner-a', LEASE)
          expect(a).toMatchObject({ runId: run, owner: 'owner-a' })
          expect(a.fence).toBeGreaterThanOrEqual(1)
          expect(await tagOf(store.acquire(run, 'owner-b', LEASE))).toBe('RunLockedError')
          await store.release(a)
          const b = await store.acquire(run, 'owner-b', LEASE)
          expect(b.fence).toBe(a.fence + 1)
          expect(b.owner).toBe('owner-b')
        } finally {
          await cleanup()
        }
      })

      it('an expired lease is taken over with a higher fence; the old holder gets LeaseLostError on renew and append, and wrote nothing', async () => {
        const { store, clock, cleanup } = await setup()
        try {
          const run = id('takeover')
          const a = await store.acquire(run, 'owner-a', LEASE)
          await store.append(a, rec(0))
          await clock.advance(LEASE + 50)
          const b = await store.acquire(run, 'owner-b', LEASE)
          expect(b.fence).toBeGreaterThan(a.fence)
          expect(await tagOf(store.renew(a, LEASE))).toBe('LeaseLostError')
          expect(await tagOf(store.append(a, rec(1)))).toBe('LeaseLostError')
          expect((await store.load(run)).map((r) => r.seq)).toEqual([0])
          await store.append(b, rec(1))
          expect((await store.load(run)).map((r) => r.seq)).toEqual([0, 1])
          // Releasing a lost lease changes nothing.
          await store.release(a)
          expect(await tagOf(store.acquire(run, 'owner-c', LEASE))).toBe('RunLockedError')
        } finally {
          await cleanup()
        }
      })

      it('renew extends the lease so it is not taken over; the error of a refused acquire names the run', async () => {
        const { store, clock, cleanup } = await setup()
        try {
          const run = id('renew')
          let a = await store.acquire(run, 'owner-a', LEASE)
          for (let i = 0; i < 3; i++) {
            await clock.advance(LEASE / 2)
            a = await store.renew(a, LEASE)
          }
          const refused = await store.acquire(run, 'owner-b', LEASE).catch((e: unknown) => e)
          expect(refused).toMatchObject({ _tag: 'RunLockedError', runId: run })
          await store.append(a, rec(0)) // the renewed lease still writes
          expect(await store.load(run)).toHaveLength(1)
        } finally {
          await cleanup()
        }
      })

      it('a heartbeat still in flight when the lease is released does not revive it', async () => {
        const { store, cleanup } = await setup()
        try {
          const run = id('renew-release')
          const a = await store.acquire(run, 'owner-a', LEASE)
          const renewing = store.renew(a, LEASE).catch(() => undefined)
          await store.release(a)
          await renewing
          const b = await store.acquire(run, 'owner-b', LEASE) // free at once
          expect(b.fence).toBe(a.fence + 1)
          // And the other way round: a renew asked for while the release is being written.
          const releasing = store.release(b)
          const late = await tagOf(store.renew(b, LEASE))
          await releasing
          expect(late).toBe('LeaseLostError')
          const c = await store.acquire(run, 'owner-c', LEASE)
          expect(c.fence).toBe(b.fence + 1)
        } finally {
          await cleanup()
        }
      })

      it('two concurrent acquires of one free run: exactly one wins', async () => {
        const { store, cleanup } = await setup()
        try {
          const run = id('race')
          const tags = await Promise.all(
            Array.from({ length: 8 }, (_, i) => tagOf(store.acquire(run, `owner-${i}`, LEASE))),
          )
          expect(tags.filter((t) => t === 'resolved')).toHaveLength(1)
          expect(tags.filter((t) => t === 'RunLockedError')).toHaveLength(7)
        } finally {
          await cleanup()
        }
      })
    })

    describe('journal', () => {
      it('appends in order and loads every record back as written ([] for a new run)', async () => {
        const { store, cleanup } = await setup()
        try {
          const run = id('journal')
          expect(await store.load(run)).toEqual([])
          const a = await store.acquire(run, 'o', LEASE)
          const records: StepRecord[] = [
            { seq: 0, key: 'a', ok: true, value: { n: 1, s: 'x', l: [1, null, true] } },
            { seq: 1, key: 'b', ok: true, name: 'load b', kind: 'step', startedAt: 1, endedAt: 2, attempts: 2 },
            { seq: 2, key: 'c', ok: false, value: { $okflowError: { name: 'E', message: 'm' } } },
            { seq: -1, key: '$result', ok: false, value: { $okflowError: { name: 'E', message: 'm' } } },
          ]
          for (const r of records) await store.append(a, r)
          expect(await store.load(run)).toEqual(records)
        } finally {
          await cleanup()
        }
      })

      it('a record whose seq is already present is refused with StoreError and not written', async () => {
        const { store, cleanup } = await setup()
        try {
          const run = id('dup')
          const a = await store.acquire(run, 'o', LEASE)
          await store.append(a, rec(0))
          expect(await tagOf(store.append(a, rec(0, { value: 'again' })))).toBe('StoreError')
          expect(await store.load(run)).toEqual([rec(0)])
          // Also after the lease changed hands (the new holder knows the journal too).
          await store.release(a)
          const b = await store.acquire(run, 'o2', LEASE)
          expect(await tagOf(store.append(b, rec(0)))).toBe('StoreError')
          expect(await store.load(run)).toEqual([rec(0)])
        } finally {
          await cleanup()
        }
      })

      it('appendMany (when offered) writes all records or none', async () => {
        const { store, clock, cleanup } = await setup()
        try {
          if (!store.appendMany) return
          const run = id('many')
          const a = await store.acquire(run, 'o', LEASE)
          await store.appendMany(a, [rec(0), rec(1), rec(2)])
          expect(await tagOf(store.appendMany(a, [rec(3), rec(1)]))).toBe('StoreError')
          expect((await store.load(run)).map((r) => r.seq)).toEqual([0, 1, 2])
          await clock.advance(LEASE + 50)
          await store.acquire(run, 'o2', LEASE)
          expect(await tagOf(store.appendMany(a, [rec(3), rec(4)]))).toBe('LeaseLostError')
          expect((await store.load(run)).map((r) => r.seq)).toEqual([0, 1, 2])
        } finally {
          await cleanup()
        }
      })

      it('reopen removes the outcome and everything from the first failed step on; ok steps before it stay', async () => {
        const { store, cleanup } = await setup()
        try {
          const run = id('reopen')
          const a = await store.acquire(run, 'o', LEASE)
          await store.append(a, rec(0))
          await store.append(a, rec(1))
          await store.append(a, rec(2, { ok: false, value: 'boom' }))
          await store.append(a, rec(-1, { key: '$result', ok: false, value: 'boom' }))
          await store.reopen(a)
          expect((await store.load(run)).map((r) => r.seq)).toEqual([0, 1])
          await store.append(a, rec(2)) // the failed position can be recorded again
          expect((await store.load(run)).map((r) => [r.seq, r.ok])).toEqual([
            [0, true],
            [1, true],
            [2, true],
          ])
          await store.release(a)
          expect(await tagOf(store.reopen(a))).toBe('LeaseLostError')
        } finally {
          await cleanup()
        }
      })

      it('a record torn by a crash mid-write is never returned, and the next holder appends cleanly after it', async () => {
        const made = await setup()
        const { cleanup } = made
        try {
          if (!made.tear) return
          const run = id('torn')
          const a = await made.store.acquire(run, 'o', LEASE)
          await made.store.append(a, rec(0))
          await made.tear(run)
          const store = made.reopen ? await made.reopen() : made.store
          expect(await store.load(run)).toEqual([rec(0)])
          await made.clock.advance(LEASE + 50)
          const b = await store.acquire(run, 'o2', LEASE)
          await store.append(b, rec(1))
          expect(await store.load(run)).toEqual([rec(0), rec(1)])
        } finally {
          await cleanup()
        }
      })

      it('a new store over the same data (a restart) sees the same journal and lease fences', async () => {
        const first = await setup()
        const run = id('restart')
        const a = await first.store.acquire(run, 'o', LEASE)
        await first.store.append(a, rec(0))
        await first.store.release(a)
        const { cleanup } = first
        try {
          const store = first.reopen ? await first.reopen() : first.store
          const b = await store.acquire(run, 'o', LEASE)
          expect(b.fence).toBe(a.fence + 1)
          expect(await store.load(run)).toEqual([rec(0)])
        } finally {
          await cleanup()
        }
      })
    })

    describe('runs and the queue', () => {
      const newRun = (runId: string, extra: object = {}) => ({
        runId,
        workflow: 'wf',
        version: 1,
        input: { n: 1 },
        ...extra,
      })

      it('createRun makes a pending run; the same runId or idempotencyKey answers the existing run', async () => {
        const { store, cleanup } = await setup()
        try {
          const run = id('create')
          const first = await store.createRun(newRun(run, { idempotencyKey: `key-${run}` }))
          expect(first.created).toBe(true)
          expect(first.run).toMatchObject({
            runId: run,
            workflow: 'wf',
            version: 1,
            state: 'pending',
            input: { n: 1 },
            claims: 0,
          })
          const again = await store.createRun(newRun(run))
          expect(again.created).toBe(false)
          const byKey = await store.createRun(newRun(id('other'), { idempotencyKey: `key-${run}` }))
          expect(byKey).toMatchObject({ created: false, run: { runId: run } })
          expect(await store.getRun(run)).toMatchObject({ runId: run, state: 'pending' })
          expect(await store.getRun(id('missing'))).toBeUndefined()
        } finally {
          await cleanup()
        }
      })

      it('20 concurrent createRun calls with one idempotencyKey make one run', async () => {
        const { store, cleanup } = await setup()
        try {
          const key = id('idem')
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) => store.createRun(newRun(`${key}-run-${i}`, { idempotencyKey: key }))),
          )
          expect(results.filter((r) => r.created)).toHaveLength(1)
          expect(new Set(results.map((r) => r.run.runId)).size).toBe(1)
          const listed = (await store.listRuns({ workflow: 'wf' })).filter((r) => r.idempotencyKey === key)
          expect(listed).toHaveLength(1)
        } finally {
          await cleanup()
        }
      })

      it('claim takes due pending runs of the given workflows, marks them running with a lease; concurrent claims never share a run', async () => {
        const { store, cleanup } = await setup()
        try {
          const wf = id('wf')
          const runs = Array.from({ length: 6 }, (_, i) => `${wf}-r${i}`)
          for (const r of runs) await store.createRun({ runId: r, workflow: wf, version: 1, input: null })
          await store.createRun({ runId: `${wf}-other`, workflow: `${wf}-x`, version: 1, input: null })
          const [c1, c2, c3] = await Promise.all([
            store.claim([wf], 'w1', LEASE, 3),
            store.claim([wf], 'w2', LEASE, 3),
            store.claim([wf], 'w3', LEASE, 3),
          ])
          const got = [...(c1 ?? []), ...(c2 ?? []), ...(c3 ?? [])].map((c) => c.run.runId)
          expect(got.sort()).toEqual([...runs].sort()) // each once, none of the other workflow
          for (const c of c1 ?? []) {
            expect(c.run).toMatchObject({ state: 'running', claims: 1, owner: 'w1' })
            expect(c.lease).toMatchObject({ runId: c.run.runId, owner: 'w1' })
          }
          expect(await store.claim([wf], 'w4', LEASE, 10)).toEqual([]) // all held
        } finally {
          await cleanup()
        }
      })

      it('claim skips runs not yet due and takes a running run whose lease expired (fence grows, claims++)', async () => {
        const { store, clock, cleanup } = await setup()
        try {
          const wf = id('wf')
          await store.createRun({ runId: `${wf}-a`, workflow: wf, version: 1, input: null })
          const [first] = await store.claim([wf], 'w1', LEASE, 1)
          if (!first) throw new Error('nothing claimed')
          await store.setState(first.lease, 'sleeping', { dueAt: clock.now() + LEASE * 4 })
          expect(await store.getRun(`${wf}-a`)).toMatchObject({ state: 'sleeping' })
          expect(await store.claim([wf], 'w2', LEASE, 1)).toEqual([]) // not due
          await clock.advance(LEASE * 4 + 10)
          const [woke] = await store.claim([wf], 'w2', LEASE, 1)
          expect(woke?.run).toMatchObject({ state: 'running', claims: 2, owner: 'w2' })
          expect(woke?.lease.fence).toBeGreaterThan(first.lease.fence)
          // w2 dies: after its lease expires, w3 takes the run over.
          await clock.advance(LEASE + 50)
          const [taken] = await store.claim([wf], 'w3', LEASE, 1)
          expect(taken?.run).toMatchObject({ claims: 3, owner: 'w3' })
          expect(taken?.lease.fence).toBeGreaterThan(woke?.lease.fence ?? 0)
          if (woke) expect(await tagOf(store.setState(woke.lease, 'succeeded'))).toBe('LeaseLostError')
        } finally {
          await cleanup()
        }
      })

      it('setState records the end and releases the lease; listRuns filters by workflow and state', async () => {
        const { store, cleanup } = await setup()
        try {
          const wf = id('wf')
          await store.createRun({ runId: `${wf}-ok`, workflow: wf, version: 1, input: 1 })
          await store.createRun({ runId: `${wf}-bad`, workflow: wf, version: 1, input: 2 })
          const claimed = await store.claim([wf], 'w', LEASE, 2)
          const byId = new Map(claimed.map((c) => [c.run.runId, c.lease]))
          await store.setState(byId.get(`${wf}-ok`) as Lease, 'succeeded')
          await store.setState(byId.get(`${wf}-bad`) as Lease, 'failed', {
            error: { tag: 'Boom', message: 'it broke' },
          })
          expect(await store.getRun(`${wf}-bad`)).toMatchObject({
            state: 'failed',
            error: { tag: 'Boom', message: 'it broke' },
          })
          expect((await store.listRuns({ workflow: wf, state: 'succeeded' })).map((r) => r.runId)).toEqual([`${wf}-ok`])
          expect(await store.listRuns({ workflow: wf })).toHaveLength(2)
          expect(await store.listRuns({ workflow: wf, limit: 1 })).toHaveLength(1)
          // The leases were released: the journal can be taken at once.
          await store.acquire(`${wf}-ok`, 'someone', LEASE)
          expect(await store.claim([wf], 'w2', LEASE, 5)).toEqual([]) // finished runs are not claimable
        } finally {
          await cleanup()
        }
      })

      it('requestCancel cancels a pending run at once and flags a running one; requeue puts a failed run back', async () => {
        const { store, cleanup } = await setup()
        try {
          const wf = id('wf')
          await store.createRun({ runId: `${wf}-p`, workflow: wf, version: 1, input: null })
          expect(await store.requestCancel(`${wf}-p`)).toMatchObject({ state: 'cancelled' })
          await store.createRun({ runId: `${wf}-r`, workflow: wf, version: 1, input: null })
          const [c] = await store.claim([wf], 'w', LEASE, 5)
          expect(c?.run.runId).toBe(`${wf}-r`)
          expect(await store.requestCancel(`${wf}-r`)).toMatchObject({ state: 'running', cancelRequested: true })
          await store.setState(c?.lease as Lease, 'failed', { error: { message: 'x' } })
          const back = await store.requeue(`${wf}-r`)
          expect(back).toMatchObject({ state: 'pending' })
          expect(back?.cancelRequested).toBeFalsy()
          const [again] = await store.claim([wf], 'w', LEASE, 5)
          expect(again?.run).toMatchObject({ runId: `${wf}-r`, claims: 2 })
          expect(await store.requestCancel(id('missing'))).toBeUndefined()
          expect(await store.requeue(id('missing'))).toBeUndefined()
        } finally {
          await cleanup()
        }
      })
    })

    describe.skipIf(options.primitives === false)('durable primitives', () => {
      // Every test checks the methods exist first: a store without them fails here, not silently.
      const prims = (store: RunStore) => {
        const { createRuns, listChildren, wake, emit, getEvent } = store
        if (!createRuns || !listChildren || !wake || !emit || !getEvent) {
          throw new Error('the store lacks a durable-primitive method')
        }
        return {
          createRuns: createRuns.bind(store),
          listChildren: listChildren.bind(store),
          wake: wake.bind(store),
          emit: emit.bind(store),
          getEvent: getEvent.bind(store),
        }
      }
      const child = (parentId: string, runId: string, workflow: string, input: JsonValue = null) => ({
        runId,
        workflow,
        version: 1,
        input,
        parentId,
      })
      /** Claims exactly `runId` (its workflow must have no other claimable run). */
      const claimOne = async (store: RunStore, workflow: string, runId: string, owner = 'w') => {
        const got = await store.claim([workflow], owner, LEASE, 1)
        expect(got.map((c) => c.run.runId)).toEqual([runId])
        return got[0] as { run: RunInfo; lease: Lease }
      }
      const ended = async (store: RunStore, workflow: string, runId: string, state: RunState, outcome?: StepRecord) => {
        const { lease } = await claimOne(store, workflow, runId)
        if (outcome) await store.append(lease, outcome)
        await store.setState(lease, state, state === 'failed' ? { error: { message: 'x' } } : {})
      }

      it('createRuns makes pending children linked to their parent, idempotently by runId (a replay adds none)', async () => {
        const { store, cleanup } = await setup()
        try {
          const p = prims(store)
          const wf = id('task')
          const parent = id('parent')
          const kids = [0, 1, 2].map((i) => child(parent, `${parent}/0.${i}`, wf, { i }))
          await p.createRuns(kids)
          for (const k of kids) {
            expect(await store.getRun(k.runId)).toMatchObject({
              runId: k.runId,
              workflow: wf,
              version: 1,
              state: 'pending',
              input: k.input,
              parentId: parent,
              claims: 0,
            })
          }
          // One of them runs and ends; creating all of them again changes none and adds none.
          await ended(store, wf, `${parent}/0.0`, 'succeeded')
          await p.createRuns([...kids.map((k) => ({ ...k, input: 'changed' })), child(parent, `${parent}/0.3`, wf, 3)])
          expect(await store.getRun(`${parent}/0.0`)).toMatchObject({ state: 'succeeded', input: { i: 0 } })
          expect(await store.getRun(`${parent}/0.1`)).toMatchObject({ state: 'pending', input: { i: 1 } })
          expect((await p.listChildren(parent)).map((c) => c.runId)).toEqual(
            [0, 1, 2, 3].map((i) => `${parent}/0.${i}`),
          )
          expect((await store.listRuns({ workflow: wf })).length).toBe(4)
          await p.createRuns([]) // nothing to do is fine
        } finally {
          await cleanup()
        }
      })

      it("listChildren: in runId order, only the parent's own (and only those under `prefix`), endedAt and outcome (seq -1) of ended ones", async () => {
        const { store, clock, cleanup } = await setup()
        try {
          const p = prims(store)
          const wf = id('task')
          const parent = id('parent')
          const other = id('other-parent')
          // Created out of order, in two groups (positions 3 and 7) and one under another parent.
          // Each child its own workflow, so a claim takes the one meant.
          await p.createRuns([
            child(parent, `${parent}/3.b`, `${wf}-b`),
            child(parent, `${parent}/7.a`, `${wf}-7`),
            child(parent, `${parent}/3.a`, `${wf}-a`),
            child(other, `${other}/3.a`, `${wf}-x`),
          ])
          expect(await p.listChildren(parent)).toEqual([
            { runId: `${parent}/3.a`, state: 'pending' },
            { runId: `${parent}/3.b`, state: 'pending' },
            { runId: `${parent}/7.a`, state: 'pending' },
          ])
          expect((await p.listChildren(parent, { prefix: `${parent}/3.` })).map((c) => c.runId)).toEqual([
            `${parent}/3.a`,
            `${parent}/3.b`,
          ])
          expect(await p.listChildren(id('nobody'))).toEqual([])

          // 3.b ends first (ok, with a compensation marker in its journal too), then 3.a fails.
          const { lease: lb } = await claimOne(store, `${wf}-b`, `${parent}/3.b`)
          const outcomeB = rec(-1, { key: '$result', value: { v: 'b' } })
          await store.append(lb, rec(0))
          await store.append(lb, rec(-2, { key: '$comp', value: 'marker' }))
          await store.append(lb, outcomeB)
          await store.append(lb, rec(-3, { key: '$comp', value: 'marker' }))
          await clock.advance(10)
          await store.setState(lb, 'succeeded')
          const endedB = (await store.getRun(`${parent}/3.b`))?.updatedAt
          await clock.advance(10)
          const outcomeA = rec(-1, { key: '$result', ok: false, value: { $okflowError: { name: 'E', message: 'm' } } })
          await ended(store, `${wf}-a`, `${parent}/3.a`, 'failed', outcomeA)
          const endedA = (await store.getRun(`${parent}/3.a`))?.updatedAt
          expect(endedA).toBeGreaterThan(endedB as number)
          const running = await claimOne(store, `${wf}-7`, `${parent}/7.a`)

          const plain = await p.listChildren(parent)
          expect(plain).toEqual([
            { runId: `${parent}/3.a`, state: 'failed', endedAt: endedA },
            { runId: `${parent}/3.b`, state: 'succeeded', endedAt: endedB },
            { runId: `${parent}/7.a`, state: 'running' },
          ])
          const withOutcomes = await p.listChildren(parent, { prefix: `${parent}/3.`, outcomes: true })
          expect(withOutcomes).toEqual([
            { runId: `${parent}/3.a`, state: 'failed', endedAt: endedA, outcome: outcomeA },
            { runId: `${parent}/3.b`, state: 'succeeded', endedAt: endedB, outcome: outcomeB },
          ])
          // A child that ended without an outcome record (cancelled while pending) has none.
          await store.setState(running.lease, 'cancelled')
          const [last] = await p.listChildren(parent, { prefix: `${parent}/7.`, outcomes: true })
          expect(last).toMatchObject({ runId: `${parent}/7.a`, state: 'cancelled' })
          expect(last?.outcome).toBeUndefined()
          expect(typeof last?.endedAt).toBe('number')
        } finally {
          await cleanup()
        }
      })

      it('wake: a sleeping run becomes due now; a pending or running one gets woken; an ended or unknown one is left alone', async () => {
        const { store, clock, cleanup } = await setup()
        try {
          const p = prims(store)
          const wf = id('wf')
          // sleeping, due in an hour → due now
          await store.createRun({ runId: `${wf}-s`, workflow: wf, version: 1, input: null })
          const s = await claimOne(store, wf, `${wf}-s`)
          await store.setState(s.lease, 'sleeping', { dueAt: clock.now() + 3_600_000 })
          expect(await store.claim([wf], 'w', LEASE, 1)).toEqual([])
          await p.wake(`${wf}-s`)
          const info = await store.getRun(`${wf}-s`)
          expect(info?.state).toBe('sleeping')
          expect(info?.dueAt ?? 0).toBeLessThanOrEqual(clock.now())
          const again = await claimOne(store, wf, `${wf}-s`)
          expect(again.run.claims).toBe(2)
          // running → woken (and still running, still held)
          await p.wake(`${wf}-s`)
          expect(await store.getRun(`${wf}-s`)).toMatchObject({ state: 'running', woken: true })
          expect(await store.claim([wf], 'w2', LEASE, 1)).toEqual([])
          // pending → woken
          await store.createRun({ runId: `${wf}-p`, workflow: `${wf}-other`, version: 1, input: null })
          await p.wake(`${wf}-p`)
          expect(await store.getRun(`${wf}-p`)).toMatchObject({ state: 'pending', woken: true })
          // ended → unchanged
          await store.setState(again.lease, 'succeeded')
          const done = await store.getRun(`${wf}-s`)
          await clock.advance(10)
          await p.wake(`${wf}-s`)
          expect(await store.getRun(`${wf}-s`)).toEqual(done)
          expect(done?.woken).toBeFalsy()
          // unknown → nothing (and no run appears)
          const ghost = id('ghost')
          await p.wake(ghost)
          expect(await store.getRun(ghost)).toBeUndefined()
        } finally {
          await cleanup()
        }
      })

      it('a run woken while running is due at once when it goes to sleep (woken cleared); claim clears woken', async () => {
        const { store, clock, cleanup } = await setup()
        try {
          const p = prims(store)
          const wf = id('wf')
          await store.createRun({ runId: `${wf}-r`, workflow: wf, version: 1, input: null })
          const first = await claimOne(store, wf, `${wf}-r`)
          await p.wake(`${wf}-r`)
          await store.setState(first.lease, 'sleeping', { dueAt: clock.now() + 3_600_000 })
          const asleep = await store.getRun(`${wf}-r`)
          expect(asleep?.state).toBe('sleeping')
          expect(asleep?.woken).toBeFalsy()
          expect(asleep?.dueAt ?? 0).toBeLessThanOrEqual(clock.now())
          const second = await claimOne(store, wf, `${wf}-r`)
          expect(second.run.woken).toBeFalsy()
          // Not woken this time: the sleep holds.
          await store.setState(second.lease, 'sleeping', { dueAt: clock.now() + 3_600_000 })
          expect(await store.claim([wf], 'w', LEASE, 1)).toEqual([])
          expect((await store.getRun(`${wf}-r`))?.dueAt).toBe(clock.now() + 3_600_000)
          // Woken while pending (e.g. put back by a draining worker): the claim clears it.
          await store.createRun({ runId: `${wf}-q`, workflow: wf, version: 1, input: null })
          await p.wake(`${wf}-q`)
          const q = await claimOne(store, wf, `${wf}-q`)
          expect(q.run.woken).toBeFalsy()
          expect((await store.getRun(`${wf}-q`))?.woken).toBeFalsy()
          await store.setState(q.lease, 'sleeping', { dueAt: clock.now() + 3_600_000 })
          expect(await store.claim([wf], 'w', LEASE, 1)).toEqual([])
        } finally {
          await cleanup()
        }
      })

      it('a child ending (succeeded, failed or cancelled) wakes its sleeping parent; a child that goes to sleep does not', async () => {
        const { store, clock, cleanup } = await setup()
        try {
          const p = prims(store)
          const wf = id('wf')
          const task = id('task')
          const parent = `${wf}-parent`
          await store.createRun({ runId: parent, workflow: wf, version: 1, input: null })
          const sleepParent = async () => {
            const { lease } = await claimOne(store, wf, parent)
            await store.setState(lease, 'sleeping', { dueAt: clock.now() + 3_600_000 })
            expect(await store.claim([wf], 'w', LEASE, 1)).toEqual([])
          }
          await p.createRuns(['a', 'b', 'c', 'd'].map((x) => child(parent, `${parent}/0.${x}`, task)))
          await sleepParent()
          // A child sleeping is no end: the parent sleeps on.
          const a = await store.claim([task], 'w', LEASE, 1)
          await store.setState((a[0] as { lease: Lease }).lease, 'sleeping', { dueAt: clock.now() + 3_600_000 })
          expect(await store.claim([wf], 'w', LEASE, 1)).toEqual([])
          for (const state of ['succeeded', 'failed', 'cancelled'] as const) {
            const [c] = await store.claim([task], 'w', LEASE, 1)
            if (!c) throw new Error('no child to claim')
            await store.setState(c.lease, state)
            const info = await store.getRun(parent)
            expect(info?.state).toBe('sleeping')
            expect(info?.dueAt ?? 0).toBeLessThanOrEqual(clock.now())
            const { lease } = await claimOne(store, wf, parent)
            await store.setState(lease, 'sleeping', { dueAt: clock.now() + 3_600_000 })
            expect(await store.claim([wf], 'w', LEASE, 1)).toEqual([])
          }
          // A child ending while the parent is running: the parent's next sleep is due at once.
          await clock.advance(3_600_001) // both the parent and the sleeping child are due now
          const { lease } = await claimOne(store, wf, parent)
          const last = await claimOne(store, task, `${parent}/0.a`)
          await store.setState(last.lease, 'succeeded')
          await store.setState(lease, 'sleeping', { dueAt: clock.now() + 3_600_000 })
          expect((await claimOne(store, wf, parent)).run.runId).toBe(parent)
        } finally {
          await cleanup()
        }
      })

      it('emit: the first emit of a key wins and stays (true), later ones change nothing (false); getEvent reads it', async () => {
        const { store, cleanup } = await setup()
        try {
          const p = prims(store)
          const key = id('event')
          expect(await p.getEvent(key)).toBeUndefined()
          expect(await p.emit(key, { n: 1, s: 'ü' })).toBe(true)
          const first = await p.getEvent(key)
          expect(first).toMatchObject({ payload: { n: 1, s: 'ü' } })
          expect(typeof first?.at).toBe('number')
          expect(await p.emit(key, { n: 2 })).toBe(false)
          expect(await p.emit(key, null)).toBe(false)
          expect(await p.getEvent(key)).toEqual(first)
          // Keys are independent; a null payload is a payload.
          const other = id('event')
          expect(await p.emit(other, null)).toBe(true)
          expect(await p.getEvent(other)).toMatchObject({ payload: null })
          // Concurrent emits of one key: exactly one wins.
          const race = id('event')
          const wins = await Promise.all(Array.from({ length: 8 }, (_, i) => p.emit(race, i)))
          expect(wins.filter(Boolean)).toHaveLength(1)
          expect((await p.getEvent(race))?.payload).toBe(wins.indexOf(true))
        } finally {
          await cleanup()
        }
      })

      it('emit wakes the runs registered by getEvent(key, waiter), and only those; an emit before the wait is not lost', async () => {
        const { store, clock, cleanup } = await setup()
        try {
          const p = prims(store)
          const wf = id('wf')
          const key = id('event')
          const sleepy = async (runId: string) => {
            await store.createRun({ runId, workflow: wf, version: 1, input: null })
            const { lease } = await claimOne(store, wf, runId)
            return lease
          }
          // Two waiters register (and read nothing yet), then sleep; a third run sleeps unregistered.
          const l1 = await sleepy(`${wf}-1`)
          expect(await p.getEvent(key, `${wf}-1`)).toBeUndefined()
          await store.setState(l1, 'sleeping', { dueAt: clock.now() + 3_600_000 })
          const l2 = await sleepy(`${wf}-2`)
          expect(await p.getEvent(key, `${wf}-2`)).toBeUndefined()
          expect(await p.getEvent(key, `${wf}-2`)).toBeUndefined() // registering twice is fine
          await store.setState(l2, 'sleeping', { dueAt: clock.now() + 3_600_000 })
          const l3 = await sleepy(`${wf}-3`)
          await store.setState(l3, 'sleeping', { dueAt: clock.now() + 3_600_000 })
          expect(await store.claim([wf], 'w', LEASE, 5)).toEqual([])
          expect(await p.emit(key, 'go')).toBe(true)
          const woke = (await store.claim([wf], 'w', LEASE, 5)).map((c) => c.run.runId).sort()
          expect(woke).toEqual([`${wf}-1`, `${wf}-2`])
          // A waiter still running when the emit comes: its next sleep is due at once.
          const key2 = id('event')
          const l4 = await sleepy(`${wf}-4`)
          expect(await p.getEvent(key2, `${wf}-4`)).toBeUndefined()
          expect(await p.emit(key2, 4)).toBe(true)
          await store.setState(l4, 'sleeping', { dueAt: clock.now() + 3_600_000 })
          expect((await store.claim([wf], 'w', LEASE, 5)).map((c) => c.run.runId)).toEqual([`${wf}-4`])
          // Emitted before anyone waits (no worker running): a later reader gets it.
          const early = id('event')
          expect(await p.emit(early, { early: true })).toBe(true)
          expect(await p.getEvent(early, `${wf}-late`)).toMatchObject({ payload: { early: true } })
        } finally {
          await cleanup()
        }
      })

      it('requestCancel cascades to unfinished descendants: pending/sleeping ones cancelled at once, running ones flagged, ended ones left', async () => {
        const { store, clock, cleanup } = await setup()
        try {
          const p = prims(store)
          const wf = id('wf')
          const task = id('task')
          const root = `${wf}-root`
          await store.createRun({ runId: root, workflow: wf, version: 1, input: null })
          const rootClaim = await claimOne(store, wf, root)
          // root → a (running), b (sleeping), c (pending), d (succeeded, with a pending child d/x),
          // a → a/x (pending grandchild).
          await p.createRuns(['a', 'b', 'c', 'd'].map((x) => child(root, `${root}/0.${x}`, task)))
          const claims = await store.claim([task], 'w', LEASE, 4)
          const leaseOf = (runId: string) => {
            const c = claims.find((x) => x.run.runId === runId)
            if (!c) throw new Error(`${runId} not claimed`)
            return c.lease
          }
          await store.setState(leaseOf(`${root}/0.b`), 'sleeping', { dueAt: clock.now() + 3_600_000 })
          await store.setState(leaseOf(`${root}/0.c`), 'pending')
          await p.createRuns([child(`${root}/0.d`, `${root}/0.d/0.x`, `${task}-deep`)])
          await store.setState(leaseOf(`${root}/0.d`), 'succeeded')
          await p.createRuns([child(`${root}/0.a`, `${root}/0.a/0.x`, `${task}-deep`)])
          const doneBefore = await store.getRun(`${root}/0.d`)
          await p.wake(`${root}/0.c`) // woken while pending: a cancel ends that too

          const answered = await store.requestCancel(root)
          expect(answered).toMatchObject({ runId: root, state: 'running', cancelRequested: true })
          expect(await store.getRun(`${root}/0.a`)).toMatchObject({ state: 'running', cancelRequested: true })
          expect(await store.getRun(`${root}/0.b`)).toMatchObject({ state: 'cancelled' })
          expect(await store.getRun(`${root}/0.c`)).toMatchObject({ state: 'cancelled' })
          expect((await store.getRun(`${root}/0.c`))?.woken).toBeFalsy()
          expect(await store.getRun(`${root}/0.d`)).toEqual(doneBefore)
          expect(await store.getRun(`${root}/0.a/0.x`)).toMatchObject({ state: 'cancelled' })
          expect(await store.getRun(`${root}/0.d/0.x`)).toMatchObject({ state: 'cancelled' })
          expect(await store.claim([task, `${task}-deep`], 'w2', LEASE, 10)).toEqual([])
          // The running ones end as their holders see the flag.
          await store.setState(leaseOf(`${root}/0.a`), 'cancelled')
          await store.setState(rootClaim.lease, 'cancelled')
          expect((await p.listChildren(root)).map((c) => c.state)).toEqual([
            'cancelled',
            'cancelled',
            'cancelled',
            'succeeded',
          ])
        } finally {
          await cleanup()
        }
      })

      it('requestCancel of a pending/sleeping run with compensations to run (an ok `undo` record, no outcome): flagged and due now, not cancelled; others at once', async () => {
        const { store, clock, cleanup } = await setup()
        try {
          const wf = id('wf')
          const later = clock.now() + 3_600_000
          /** A run claimed, given these records, then put to sleep (or back to pending) for an hour. */
          const made = async (runId: string, records: StepRecord[], state: RunState = 'sleeping') => {
            await store.createRun({ runId, workflow: wf, version: 1, input: null })
            const [c] = await store.claim([wf], 'w', LEASE, 1)
            expect(c?.run.runId).toBe(runId)
            for (const r of records) await store.append(c?.lease as Lease, r)
            await store.setState(c?.lease as Lease, state, { dueAt: later })
          }
          await made(`${wf}-undo`, [rec(0, { undo: true }), rec(1), rec(2, { key: 'nap' })])
          await made(`${wf}-undo-pending`, [rec(0, { undo: true })], 'pending')
          await made(`${wf}-plain`, [rec(0), rec(1)])
          // An undo mark on a failed step (it registered no compensation) does not count.
          await made(`${wf}-failed-undo`, [rec(0, { undo: true, ok: false })])
          const kept = await store.requestCancel(`${wf}-undo`)
          expect(kept).toMatchObject({ state: 'sleeping', cancelRequested: true })
          expect(kept?.dueAt ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(clock.now())
          expect(await store.requestCancel(`${wf}-undo-pending`)).toMatchObject({
            state: 'pending',
            cancelRequested: true,
          })
          expect(await store.requestCancel(`${wf}-plain`)).toMatchObject({ state: 'cancelled' })
          expect(await store.requestCancel(`${wf}-failed-undo`)).toMatchObject({ state: 'cancelled' })
          // The kept ones are claimable now (not in an hour), with the flag for the worker.
          const got = await store.claim([wf], 'w2', LEASE, 10)
          expect(got.map((c) => c.run.runId).sort()).toEqual([`${wf}-undo`, `${wf}-undo-pending`])
          expect(got.every((c) => c.run.cancelRequested === true)).toBe(true)
          for (const c of got) await store.setState(c.lease, 'cancelled')
          expect(await store.getRun(`${wf}-undo`)).toMatchObject({ state: 'cancelled' })
        } finally {
          await cleanup()
        }
      })

      it('a run flagged cancelRequested while running that then goes to sleep is due at once (its worker had not seen the cancel)', async () => {
        const { store, clock, cleanup } = await setup()
        try {
          const wf = id('wf')
          const runId = `${wf}-r`
          await store.createRun({ runId, workflow: wf, version: 1, input: null })
          const first = await claimOne(store, wf, runId)
          expect(await store.requestCancel(runId)).toMatchObject({ state: 'running', cancelRequested: true })
          await store.setState(first.lease, 'sleeping', { dueAt: clock.now() + 3_600_000 })
          const info = await store.getRun(runId)
          expect(info).toMatchObject({ state: 'sleeping', cancelRequested: true })
          expect(info?.dueAt ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(clock.now())
          const again = await claimOne(store, wf, runId)
          expect(again.run.cancelRequested).toBe(true)
        } finally {
          await cleanup()
        }
      })

      it('reopen empties a journal that has compensation markers (seq <= -2); the outcome is seq -1 only', async () => {
        const { store, cleanup } = await setup()
        try {
          const run = id('comp')
          const a = await store.acquire(run, 'o', LEASE)
          await store.append(a, rec(0))
          await store.append(a, rec(1))
          await store.append(a, rec(2, { ok: false, value: 'boom' }))
          await store.append(a, rec(-4, { key: '$comp' })) // compensation of step 1 started
          await store.append(a, rec(-5, { key: '$comp' })) // … and ended
          await store.append(a, rec(-1, { key: '$result', ok: false, value: 'boom' }))
          await store.reopen(a)
          expect(await store.load(run)).toEqual([])
          await store.append(a, rec(0, { value: 'again' })) // every position can be recorded again
          await store.append(a, rec(-2, { key: '$comp' }))
          expect((await store.load(run)).map((r) => r.seq)).toEqual([0, -2])
          // Without markers, reopen keeps the ok steps before the first failure, as before; -1 goes.
          const plain = id('plain')
          const b = await store.acquire(plain, 'o', LEASE)
          await store.append(b, rec(0))
          await store.append(b, rec(1, { ok: false }))
          await store.append(b, rec(-1, { key: '$result', ok: false }))
          await store.reopen(b)
          expect((await store.load(plain)).map((r) => r.seq)).toEqual([0])
        } finally {
          await cleanup()
        }
      })

      it('a child whose journal has markers but no seq -1 has no outcome (seq <= -2 is never taken for it)', async () => {
        const { store, cleanup } = await setup()
        try {
          const p = prims(store)
          const task = id('task')
          const parent = id('parent')
          await p.createRuns([child(parent, `${parent}/0.0`, task)])
          const { lease } = await claimOne(store, task, `${parent}/0.0`)
          await store.append(lease, rec(0, { ok: false, value: 'boom' }))
          await store.append(lease, rec(-2, { key: '$comp', ok: false, value: 'comp failed' }))
          await store.append(lease, rec(-3, { key: '$comp', ok: false, value: 'comp failed' }))
          await store.setState(lease, 'failed', { error: { message: 'boom' } })
          const [c] = await p.listChildren(parent, { outcomes: true })
          expect(c).toMatchObject({ runId: `${parent}/0.0`, state: 'failed' })
          expect(c?.outcome).toBeUndefined()
        } finally {
          await cleanup()
        }
      })
    })
  })
}

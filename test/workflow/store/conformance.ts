import { describe, expect, it } from 'vitest'
import type { Lease, RunStore, StepRecord } from '../../../src/index.js'

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
  })
}

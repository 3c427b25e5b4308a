import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { err, ok, type Result } from 'neverthrow'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  createWorkflow,
  fileStore,
  type Lease,
  memoryStore,
  type Step,
  type WorkflowError,
  type WorkflowStore,
} from '../../src/index.js'
import { HELD_LEASE } from '../../src/workflow/held-lease.js'
import type { WorkflowOptions } from '../../src/workflow/types.js'
import { until } from '../helpers.js'

afterEach(() => {
  vi.useRealTimers()
})

/** A step that runs until its signal aborts; says whether it was aborted. */
function untilAborted() {
  const state = { started: false, aborted: false }
  let release: (r: Result<string, string>) => void = () => {}
  const fn = ({ signal }: { signal: AbortSignal }) =>
    new Promise<Result<string, string>>((resolve) => {
      state.started = true
      release = resolve
      signal.addEventListener('abort', () => {
        state.aborted = true
        resolve(err('aborted'))
      })
    })
  return { fn, state, finish: (r: Result<string, string>) => release(r) }
}

describe('durable runs hold a lease', () => {
  it('the heartbeat renews the lease while a long step runs, so nobody can take the run; it is released at the end', async () => {
    vi.useFakeTimers()
    const store = memoryStore()
    const renews: number[] = []
    const spy: WorkflowStore = {
      ...store,
      renew: (l, ms) => {
        renews.push(Date.now())
        return store.renew(l, ms)
      },
    }
    const wf = createWorkflow({}, { store: spy, runId: 'long', leaseMs: 300 })
    let started = false
    const p = wf(async (step) =>
      step(() => {
        started = true
        return new Promise<Result<number, never>>((r) => setTimeout(() => r(ok(1)), 2000))
      }),
    )
    // The durable machinery is loaded on demand (a real module load the fake clock does not
    // wait for): move the clock once the run holds its lease and its step runs.
    await until(() => started)
    await vi.advanceTimersByTimeAsync(1500) // 5 leases long: renewed every 100 ms
    expect(renews.length).toBeGreaterThanOrEqual(10)
    await expect(store.acquire('long', 'intruder', 300)).rejects.toMatchObject({ _tag: 'RunLockedError' })
    await vi.advanceTimersByTimeAsync(600)
    expect((await p)._unsafeUnwrap()).toBe(1)
    const count = renews.length
    await vi.advanceTimersByTimeAsync(1000)
    expect(renews.length).toBe(count) // the heartbeat stopped with the run
    await store.acquire('long', 'next', 300) // released: free at once
  })

  it('a holder whose lease was taken over ends with LeaseLostError: its running step is aborted and it writes nothing more', async () => {
    let t = 1_000
    const store = memoryStore({ now: () => t })
    const slow = untilAborted()
    const ran: string[] = []
    const wf = createWorkflow({ slow: slow.fn }, { store, runId: 'taken', leaseMs: 60_000 })
    const p = wf(async (step, deps) => {
      await step(() => ok(ran.push('a')), { name: 'a' })
      await step(deps.slow, { name: 'b' })
      await step(() => ok(ran.push('c')), { name: 'c' })
    })
    await vi.waitFor(() => expect(slow.state.started).toBe(true))
    // The holder is "frozen" past its lease (the store's clock moves on): another takes the run.
    t += 61_000
    const other = await store.acquire('taken', 'new-holder', 60_000)
    slow.finish(ok('late')) // the old holder's step finishes after the takeover
    const r = await p
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'LeaseLostError', runId: 'taken', fence: other.fence - 1 })
    expect(ran).toEqual(['a']) // c never started
    expect((await store.load('taken')).map((x) => x.key)).toEqual(['a']) // b's late value was not written
    await store.append(other, { seq: 1, key: 'b', ok: true, value: 'new' }) // the new holder writes on
  })

  it('a lease lost at a heartbeat aborts the running step at once (fake timers)', async () => {
    vi.useFakeTimers()
    const store = memoryStore()
    let fail = false
    const flaky: WorkflowStore = {
      ...store,
      renew: (l, ms) => (fail ? Promise.reject(new Error('network down')) : store.renew(l, ms)),
    }
    const slow = untilAborted()
    const wf = createWorkflow({ slow: slow.fn }, { store: flaky, runId: 'hb', leaseMs: 300 })
    const p = wf(async (step, deps) => {
      await step(deps.slow, { name: 'slow' })
      return 'done'
    })
    await until(() => slow.state.started) // the run holds its lease (see above)
    await vi.advanceTimersByTimeAsync(250)
    fail = true // heartbeats stop arriving: after leaseMs the holder must assume it lost the lease
    await vi.advanceTimersByTimeAsync(400)
    expect(slow.state.aborted).toBe(true)
    expect((await p)._unsafeUnwrapErr()).toMatchObject({ _tag: 'LeaseLostError', runId: 'hb' })
    expect(await store.load('hb')).toEqual([])
  })

  it('a worker runs a run under the lease it holds: no acquire, no release (its setState does that)', async () => {
    const store = memoryStore()
    await store.createRun({ runId: 'w1', workflow: 'wf', version: 1, input: null })
    const [claimed] = await store.claim(['wf'], 'worker-1', 30_000, 1)
    const lease = claimed?.lease as Lease
    const wf = createWorkflow({}, { store, runId: 'w1', [HELD_LEASE]: lease } as WorkflowOptions)
    const r = await wf(async (step) => step(() => ok(7), { name: 'seven' }))
    expect(r._unsafeUnwrap()).toBe(7)
    expect((await store.load('w1')).map((x) => x.seq)).toEqual([0, -1])
    // Still held by the worker: another owner is refused, the worker's setState ends it.
    await expect(store.acquire('w1', 'someone', 30_000)).rejects.toMatchObject({ _tag: 'RunLockedError' })
    await store.setState(lease, 'succeeded')
    expect(await store.getRun('w1')).toMatchObject({ state: 'succeeded' })
  })

  it('checks leaseMs and retry', async () => {
    for (const leaseMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '5']) {
      const r = await createWorkflow(
        {},
        { store: memoryStore(), runId: 'x', leaseMs: leaseMs as number },
      )(async () => 1)
      expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'leaseMs' })
    }
    const r = await createWorkflow({}, { store: memoryStore(), runId: 'x', retry: 'yes' as never })(async () => 1)
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'retry' })
  })
})

describe('cancelling a durable run stops it (issue 13, item 1)', () => {
  it('with fileStore, aborting at step 10 of 50 starts no later step; the resume runs each remaining step once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'okflow-cancel-'))
    try {
      const ran: number[] = []
      const body = (abortAt?: () => void) => async (step: Step<WorkflowError<{}>>) => {
        for (let i = 1; i <= 50; i++) {
          await step(
            async () => {
              ran.push(i)
              if (i === 10) abortAt?.()
              return ok(i)
            },
            { name: `s${i}` },
          )
        }
        return 'all done'
      }
      const ac = new AbortController()
      const first = await createWorkflow(
        {},
        { store: fileStore(dir), runId: 'fifty', signal: ac.signal },
      )(body(() => ac.abort('stop')))
      expect(first._unsafeUnwrapErr()).toMatchObject({ _tag: 'CancelledError' })
      await new Promise((r) => setTimeout(r, 50)) // a body that went on would run more steps now
      expect(ran).toEqual(Array.from({ length: 10 }, (_, i) => i + 1))

      const resumed = await createWorkflow({}, { store: fileStore(dir), runId: 'fifty' })(body())
      expect(resumed._unsafeUnwrap()).toBe('all done')
      const counts = new Map<number, number>()
      for (const i of ran) counts.set(i, (counts.get(i) ?? 0) + 1)
      for (let i = 11; i <= 50; i++) expect(counts.get(i)).toBe(1)
      for (let i = 1; i < 10; i++) expect(counts.get(i)).toBe(1)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('group commit', () => {
  it('records of steps that finish while a write is in flight go to the store together, in one appendMany', async () => {
    const store = memoryStore()
    const calls: number[][] = []
    let slow = true
    const spy: WorkflowStore = {
      ...store,
      append: async (l, r) => {
        calls.push([r.seq])
        if (slow) await new Promise((res) => setTimeout(res, 20)) // a slow disk: others finish meanwhile
        return store.append(l, r)
      },
      appendMany: async (l, rs) => {
        calls.push(rs.map((r) => r.seq))
        return store.appendMany?.(l, rs)
      },
    }
    const r = await createWorkflow(
      {},
      { store: spy, runId: 'gc' },
    )(async (step) => {
      const first = step(() => ok(0), { name: 's0' })
      const rest = Array.from({ length: 5 }, (_, i) => step(() => ok(i + 1), { name: `s${i + 1}` }))
      return Promise.all([first, ...rest])
    })
    slow = false
    expect(r._unsafeUnwrap()).toEqual([0, 1, 2, 3, 4, 5])
    expect(calls[0]).toEqual([0]) // the first write alone; the five that finished meanwhile together
    expect(calls[1]).toEqual([1, 2, 3, 4, 5])
    expect((await store.load('gc')).map((x) => x.seq)).toEqual([0, 1, 2, 3, 4, 5, -1])
  })
})

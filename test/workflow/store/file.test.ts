import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fileStore, type Lease } from '../../../src/index.js'
import { describeStoreConformance } from './conformance.js'

describeStoreConformance('fileStore', async (clock) => {
  const dir = mkdtempSync(join(tmpdir(), 'okflow-conf-'))
  return {
    store: fileStore(join(dir, 'runs'), { now: clock.now }),
    reopen: async () => fileStore(join(dir, 'runs'), { now: clock.now }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    tear: async (runId) =>
      appendFileSync(join(dir, 'runs', `${encodeURIComponent(runId)}.jsonl`), '{"seq":1,"key":"k1","ok":tr'),
  }
})

describe('fileStore leases of one owner', () => {
  it('a worker holding several runs under one owner keeps the others when it releases one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'okflow-owner-'))
    try {
      const store = fileStore(join(dir, 'runs'))
      for (const r of ['a', 'b']) await store.createRun({ runId: r, workflow: 'wf', version: 1, input: null })
      const claimed = await store.claim(['wf'], 'worker-1', 60_000, 2)
      expect(claimed).toHaveLength(2)
      const [first, second] = claimed
      await store.setState(first?.lease as Lease, 'succeeded')
      // The other run is still held: another worker of this process must not take it over.
      expect(await store.claim(['wf'], 'worker-2', 60_000, 2)).toEqual([])
      expect(await store.acquire('b', 'worker-2', 60_000).catch((e: unknown) => (e as Error).name)).toBe(
        'RunLockedError',
      )
      await store.setState(second?.lease as Lease, 'succeeded')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('fileStore events across store instances', () => {
  it('two fileStore objects over one directory emitting one key at once: exactly one wins, and both read its payload', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'okflow-emit-'))
    try {
      const a = fileStore(join(dir, 'runs'))
      const b = fileStore(join(dir, 'runs'))
      for (let round = 0; round < 10; round++) {
        const key = `order-${round}/paid`
        const wins = await Promise.all([a.emit?.(key, { from: 'a' }), b.emit?.(key, { from: 'b' })])
        expect(wins.filter((w) => w === true)).toHaveLength(1)
        const winner = wins[0] ? 'a' : 'b'
        expect((await a.getEvent?.(key))?.payload).toEqual({ from: winner })
        expect((await b.getEvent?.(key))?.payload).toEqual({ from: winner })
      }
      // A waiter registered through one instance is woken by an emit through the other.
      await a.createRun({ runId: 'waiter', workflow: 'wf', version: 1, input: null })
      const [c] = await a.claim(['wf'], 'w', 60_000, 1)
      expect(await a.getEvent?.('late', 'waiter')).toBeUndefined()
      await a.setState(c?.lease as Lease, 'sleeping', { dueAt: Date.now() + 3_600_000 })
      expect(await b.emit?.('late', 1)).toBe(true)
      expect((await b.claim(['wf'], 'w2', 60_000, 1)).map((x) => x.run.runId)).toEqual(['waiter'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('fileStore run-record changes from two store instances', () => {
  it('a wake-up from another instance while the run goes to sleep is never lost (the record lock serialises them)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'okflow-wake-'))
    try {
      const worker = fileStore(join(dir, 'runs'))
      const emitter = fileStore(join(dir, 'runs'))
      for (let round = 0; round < 30; round++) {
        const runId = `r${round}`
        await worker.createRun({ runId, workflow: `wf${round}`, version: 1, input: null })
        const [c] = await worker.claim([`wf${round}`], 'w', 60_000, 1)
        await Promise.all([
          worker.setState(c?.lease as Lease, 'sleeping', { dueAt: Date.now() + 3_600_000 }),
          emitter.wake?.(runId),
        ])
        const info = await worker.getRun(runId)
        expect(info?.state).toBe('sleeping')
        expect(info?.dueAt ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(Date.now())
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a lock file left by a process that is gone is broken, and the change goes through', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'okflow-lock-'))
    try {
      const store = fileStore(join(dir, 'runs'))
      await store.createRun({ runId: 'r', workflow: 'wf', version: 1, input: null })
      // A pid that is not running on this host (the kernel's pid_max is below 2^22).
      writeFileSync(join(dir, 'runs', 'r.run.lock'), JSON.stringify({ pid: 4_194_304 + 7, host: hostname() }))
      await store.wake?.('r')
      expect(await store.getRun('r')).toMatchObject({ state: 'pending', woken: true })
      expect(existsSync(join(dir, 'runs', 'r.run.lock'))).toBe(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

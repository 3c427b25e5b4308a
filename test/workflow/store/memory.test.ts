import { describe, expect, it, vi } from 'vitest'
import { memoryStore } from '../../../src/index.js'
import { describeStoreConformance } from './conformance.js'

describeStoreConformance('memoryStore', async (clock) => ({
  store: memoryStore({ now: clock.now }),
  cleanup: async () => {},
}))

describe('memoryStore.wait', () => {
  it('resolves when a run is created or changes, after ms, or on abort, and leaves no timer behind', async () => {
    vi.useFakeTimers()
    try {
      const store = memoryStore()
      let woke = false
      const w = store.wait?.(60_000).then(() => {
        woke = true
      })
      await vi.advanceTimersByTimeAsync(10)
      expect(woke).toBe(false)
      await store.createRun({ runId: 'r', workflow: 'wf', version: 1, input: null })
      await w
      expect(woke).toBe(true)
      expect(vi.getTimerCount()).toBe(0)
      const timed = store.wait?.(500)
      await vi.advanceTimersByTimeAsync(500)
      await timed
      const ac = new AbortController()
      const aborted = store.wait?.(60_000, ac.signal)
      ac.abort()
      await aborted
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('memoryStore.wait and the durable primitives', () => {
  it('resolves on an emit and on a wake-up too', async () => {
    vi.useFakeTimers()
    try {
      const store = memoryStore()
      let woke = 0
      const emitted = store.wait?.(60_000).then(() => woke++)
      await vi.advanceTimersByTimeAsync(10)
      expect(woke).toBe(0)
      await store.emit?.('k', 1)
      await emitted
      expect(woke).toBe(1)
      await store.createRun({ runId: 'r', workflow: 'wf', version: 1, input: null })
      const [c] = await store.claim(['wf'], 'w', 60_000, 1)
      if (!c) throw new Error('nothing claimed')
      await store.setState(c.lease, 'sleeping', { dueAt: Date.now() + 3_600_000 })
      const waking = store.wait?.(60_000).then(() => woke++)
      await vi.advanceTimersByTimeAsync(10)
      expect(woke).toBe(1)
      await store.wake?.('r')
      await waking
      expect(woke).toBe(2)
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it('a later emit of a key wakes its waiters again (first: false), so an emit cut short before its wake-ups is made good by a retry', async () => {
    const store = memoryStore()
    await store.createRun({ runId: 'w1', workflow: 'wf', version: 1, input: null })
    const sleep = async () => {
      const [c] = await store.claim(['wf'], 'w', 60_000, 1)
      if (!c) throw new Error('nothing claimed')
      await store.setState(c.lease, 'sleeping', { dueAt: Date.now() + 3_600_000 })
    }
    expect(await store.getEvent?.('k', 'w1')).toBeUndefined()
    await sleep()
    expect(await store.emit?.('k', 'go')).toBe(true)
    // Claimed and asleep again without having read the event (as if the first wake-up never came).
    await sleep()
    expect(await store.claim(['wf'], 'w', 60_000, 1)).toEqual([])
    // The retried emit changes nothing of the event and wakes the waiter.
    expect(await store.emit?.('k', 'again')).toBe(false)
    expect((await store.claim(['wf'], 'w', 60_000, 1)).map((x) => x.run.runId)).toEqual(['w1'])
    expect(await store.getEvent?.('k')).toMatchObject({ payload: 'go' })
  })
})

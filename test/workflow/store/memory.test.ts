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

// Restart back-off after failed thread starts (fake timers: time is the subject here).
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { MAX_FAILED_STARTS, StartGuard } from '../../src/worker/start-guard.js'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('StartGuard', () => {
  test('the first restart is at once, later ones back off 25, 50, 100 ms', async () => {
    const retries: number[] = []
    const guard = new StartGuard(() => retries.push(Date.now()))
    const t0 = Date.now()
    guard.failedStart(undefined, 1)
    expect(guard.canStart).toBe(true)
    for (const delay of [25, 50, 100]) {
      guard.failedStart(undefined, 1)
      expect(guard.canStart).toBe(false)
      await vi.advanceTimersByTimeAsync(delay - 1)
      expect(guard.canStart).toBe(false)
      await vi.advanceTimersByTimeAsync(1)
      expect(guard.canStart).toBe(true)
    }
    expect(retries.map((t) => t - t0)).toEqual([25, 75, 175])
  })

  test(`after ${MAX_FAILED_STARTS} failed starts in a row it is broken, with a typed error naming the cause`, () => {
    const guard = new StartGuard(() => {})
    for (let i = 0; i < MAX_FAILED_STARTS - 1; i++) guard.failedStart(new Error('boom at load'), 1)
    expect(guard.broken).toBeUndefined()
    guard.failedStart(new Error('boom at load'), 1)
    expect(guard.broken).toMatchObject({ _tag: 'WorkerCrashedError' })
    expect(guard.broken?.message).toContain('boom at load')
    expect(guard.canStart).toBe(false)
    expect(vi.getTimerCount()).toBe(0)
  })

  test('threads that die after it broke leave its error as it was (same object, same count)', () => {
    const guard = new StartGuard(() => {})
    for (let i = 0; i < MAX_FAILED_STARTS; i++) guard.failedStart(new Error('boom at load'), 1)
    const broken = guard.broken
    guard.failedStart(new Error('a thread started before it broke'), 1)
    expect(guard.broken).toBe(broken)
    expect(broken?.message).toContain(`(${MAX_FAILED_STARTS} in a row; last: boom at load)`)
    expect(vi.getTimerCount()).toBe(0)
  })

  test('a thread that answers resets the count; stop() leaves no timer', () => {
    const guard = new StartGuard(() => {})
    for (let i = 0; i < MAX_FAILED_STARTS - 1; i++) guard.failedStart(undefined, 1)
    guard.started()
    guard.stop()
    expect(vi.getTimerCount()).toBe(0)
    guard.failedStart(undefined, 1)
    expect(guard.broken).toBeUndefined()
    expect(guard.canStart).toBe(true)
  })
})

import { err, type Result } from 'neverthrow'
import { expect } from 'vitest'

/** A Result after `ms`; an abort of `signal` settles it at once with err('aborted') and is recorded. */
export function later<T, E>(ms: number, result: Result<T, E>, signal?: AbortSignal): Promise<Result<T, E | 'aborted'>> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve(result)
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      resolve(err('aborted' as const))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** A controllable lazy task: counts starts, records whether its signal was aborted and why. */
export function probe<T, E>(ms: number, result: Result<T, E>) {
  const state = { started: 0, aborted: false, reason: undefined as unknown }
  const task = ({ signal }: { signal: AbortSignal }) => {
    state.started++
    signal.addEventListener('abort', () => {
      state.aborted = true
      state.reason = signal.reason
    })
    return later(ms, result, signal)
  }
  return Object.assign(task, { state })
}

/** Active timers and immediates right now (the test runner keeps its own, so compare counts). */
export function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length
}

/**
 * Runs `body` and asserts it left no more timers behind than were active before it started
 * (vitest keeps a timeout timer of its own running during each test, and a test's own abort
 * timer may fire meanwhile).
 */
export async function expectNoLeaks<T>(body: () => PromiseLike<T>): Promise<T> {
  const before = timers()
  const out = await body()
  expect(timers()).toBeLessThanOrEqual(before)
  return out
}

export const tick = () => new Promise<void>((r) => setImmediate(r))

import { okAsync } from 'neverthrow'
import { describe, expect, it } from 'vitest'
import {
  createClient,
  createWorker,
  defineWorkflow,
  memoryStore,
  type RunStore,
  shutdownSignal,
} from '../../src/index.js'

describe('nothing is left running', () => {
  it('a closed worker leaves no timer behind, and close is idempotent', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = timers()
    const store = memoryStore()
    const wf = defineWorkflow('tick', {}, async (step) => step(() => okAsync(1), { name: 'one' }))
    const worker = createWorker(store, [wf], { pollMs: 5, leaseMs: 1000 })
    await worker.start()
    const client = createClient(store, { pollMs: 5 })
    const run = (await client.start(wf, null))._unsafeUnwrap()
    expect((await client.result(run.runId, { timeoutMs: 5000 }))._unsafeUnwrap()).toBe(1)
    await worker.close()
    await worker.close()
    expect(timers()).toBe(before)
    expect(worker.metrics()).toMatchObject({ succeeded: 1, running: 0 })
  })

  it('shutdownSignal aborts on the first of its signals and then stops listening', async () => {
    const listeners = process.listenerCount('SIGUSR2')
    const signal = shutdownSignal({ signals: ['SIGUSR2'] })
    expect(process.listenerCount('SIGUSR2')).toBe(listeners + 1)
    expect(signal.aborted).toBe(false)
    process.emit('SIGUSR2', 'SIGUSR2')
    expect(signal.aborted).toBe(true)
    expect(String(signal.reason)).toContain('SIGUSR2')
    expect(process.listenerCount('SIGUSR2')).toBe(listeners)
  })

  it('a worker whose signal aborts closes itself', async () => {
    const store = memoryStore()
    const wf = defineWorkflow('w', {}, async () => 1)
    const ac = new AbortController()
    const worker = createWorker(store, [wf], { pollMs: 5, signal: ac.signal })
    await worker.start()
    ac.abort()
    await worker.close() // the same closing: resolves once the signal's close is done
    const client = createClient(store)
    await client.start(wf, null, { runId: 'after-close' })
    await new Promise((r) => setTimeout(r, 30))
    expect((await client.get('after-close'))._unsafeUnwrap().state).toBe('pending')
  })
})

describe('a store failure mid-run', () => {
  it('hands the run back with a back-off (not a hot loop); it is claimed again later and finishes', async () => {
    const inner = memoryStore()
    let failures = 1
    const { appendMany: _many, ...rest } = inner
    const store: RunStore = {
      ...rest,
      append: (lease: Parameters<typeof inner.append>[0], rec: Parameters<typeof inner.append>[1]) =>
        failures-- > 0 ? Promise.reject(new Error('disk full')) : inner.append(lease, rec),
      setState: (...args: Parameters<typeof inner.setState>) => {
        handedBack.push({ state: args[1], dueAt: args[2]?.dueAt, at: Date.now() })
        return inner.setState(...args)
      },
    }
    const handedBack: { state: string; dueAt: number | undefined; at: number }[] = []
    let ran = 0
    const wf = defineWorkflow('flaky-store', {}, async (step) =>
      step(
        () => {
          ran++
          return okAsync(ran)
        },
        { name: 'one' },
      ),
    )
    const worker = createWorker(store, [wf], { pollMs: 5, leaseMs: 5000 })
    await worker.start()
    const client = createClient(store, { pollMs: 5 })
    const run = (await client.start(wf, null))._unsafeUnwrap()
    const r = await client.result(run.runId, { timeoutMs: 10_000 })
    expect(r._unsafeUnwrap()).toBe(2)
    const info = (await client.get(run.runId))._unsafeUnwrap()
    expect(info).toMatchObject({ state: 'succeeded', claims: 2 })
    expect(worker.metrics()).toMatchObject({ released: 1, succeeded: 1 })
    // Handed back as pending with a due time in the future (the back-off), then succeeded.
    expect(handedBack.map((h) => h.state)).toEqual(['pending', 'succeeded'])
    expect(handedBack[0]!.dueAt).toBeGreaterThanOrEqual(handedBack[0]!.at + 100)
    const history = (await client.history(run.runId))._unsafeUnwrap()
    expect(history.filter((e) => e.type === 'step_start')).toHaveLength(1)
    await worker.close()
  })
})

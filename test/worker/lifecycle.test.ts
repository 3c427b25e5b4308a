// Threads starting, failing to start, and stopping; the pool closing.
import { describe, expect, test } from 'vitest'
import { fixture, gate, makePool, runScript } from './helpers.js'

describe('start-up', () => {
  test('await pool.ready() has a thread loaded before the first task', async () => {
    const pool = makePool({ minThreads: 0 })
    expect(pool.metrics().threads).toBe(0)
    expect((await pool.ready()).isOk()).toBe(true)
    expect(pool.metrics().threads).toBe(1)
    expect((await pool.run('double', 2))._unsafeUnwrap()).toBe(4)
    expect(pool.metrics().peakThreads).toBe(1)
  })

  test('ready() after close is a CancelledError', async () => {
    const pool = makePool()
    await pool.close()
    expect((await pool.ready())._unsafeUnwrapErr()).toMatchObject({ _tag: 'CancelledError' })
  })

  test('thread start-up is wait time, not busy time', async () => {
    // The module is busy for 200 ms while loading; the task itself does nothing.
    const pool = makePool({ maxThreads: 1 }, fixture('slow-load.mjs'))
    expect((await pool.run('noop', undefined)).isOk()).toBe(true)
    const m = pool.metrics()
    expect(m.waitTime.count).toBe(1)
    expect(m.runTime.count).toBe(1)
    expect(m.busyMs).toBeLessThan(m.waitTime.max)
  })

  test('a tasks module that dies after loading: restarts stop after a bounded number, runs fail with WorkerCrashedError', async () => {
    const pool = makePool({ minThreads: 2, maxThreads: 2 }, fixture('dies-after-load.mjs'))
    const r = await pool.run('noop', undefined)
    const e = r._unsafeUnwrapErr() as Error
    expect(e).toMatchObject({ _tag: 'WorkerCrashedError' })
    // Once broken, the pool starts no more threads and answers at once.
    while (!(await pool.ready()).isErr()) await new Promise((resolve) => setTimeout(resolve, 10))
    const later = await pool.run('noop', undefined)
    expect((later._unsafeUnwrapErr() as Error).message).toContain('keep dying before running a task')
    // Threads started before it broke die on their own; none is started after.
    while (pool.metrics().threads > 0) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(pool.metrics().peakThreads).toBeLessThanOrEqual(2)
  })

  test('resourceLimits too small to start a thread: a bounded number of starts, then WorkerCrashedError naming the cause', async () => {
    const resourceLimits = { maxOldGenerationSizeMb: 1, maxYoungGenerationSizeMb: 0.1, codeRangeSizeMb: 0.1 }
    const pool = makePool({ minThreads: 2, maxThreads: 2, resourceLimits })
    expect((await pool.run('double', 2))._unsafeUnwrapErr()).toMatchObject({ _tag: 'WorkerCrashedError' })
    const e = (await pool.ready())._unsafeUnwrapErr() as Error
    expect(e.message).toContain('keep dying before running a task (5 in a row')
    expect(e.message).toContain('memory')
    expect((await pool.run('double', 2))._unsafeUnwrapErr()).toBe(e)
  })

  test('a thread stuck loading its module is stopped at the start-up deadline', async () => {
    const pool = makePool({ maxThreads: 1, startTimeoutMs: 100 }, fixture('stuck-loading.mjs'))
    const e = (await pool.run('noop', undefined))._unsafeUnwrapErr() as Error
    expect(e).toMatchObject({ _tag: 'WorkerCrashedError' })
    expect(e.message).toContain('did not load its tasks module within 100 ms')
    expect(pool.metrics()).toMatchObject({ running: 0, queued: 0, failed: 1 })
  })
  test('a thread that loaded while this process was too busy to read its message is not stopped at the start-up deadline', async () => {
    const pool = makePool({ maxThreads: 1, startTimeoutMs: 200 })
    const shared = new SharedArrayBuffer(4)
    const cell = new Int32Array(shared)
    const r = pool.run('count', { shared, ms: 300 })
    // Block this thread (as a long synchronous job would) until the task has started there, so the
    // module loaded, and until the deadline has passed: its timer and the 'loaded' message are both due.
    const t0 = performance.now()
    const nap = new Int32Array(new SharedArrayBuffer(4))
    while ((Atomics.load(cell, 0) === 0 || performance.now() - t0 < 300) && performance.now() - t0 < 15_000) {
      Atomics.wait(nap, 0, 0, 5)
    }
    expect(Atomics.load(cell, 0)).toBe(1)
    expect((await r)._unsafeUnwrap()).toBe('counted')
    expect(pool.metrics()).toMatchObject({ completed: 1, failed: 0, threads: 1 })
  })
})

describe('close', () => {
  test('close({ force: true }) after a pending close() stops the pool', async () => {
    const pool = makePool({ maxThreads: 1 })
    const g = gate() // never released: the task would never end
    const stuck = pool.run('block', { shared: g.shared })
    await pool.ready()
    const graceful = pool.close()
    const forced = pool.close({ force: true })
    expect((await forced).isOk()).toBe(true)
    expect((await graceful).isOk()).toBe(true)
    expect((await stuck)._unsafeUnwrapErr()).toMatchObject({ _tag: 'CancelledError' })
    expect(pool.metrics()).toMatchObject({ threads: 0, running: 0, cancelled: 1 })
  })

  test('close(null) and close({ force: "yes" }) are InvalidOptionsError and leave the pool open', async () => {
    const pool = makePool()
    expect((await pool.close(null as never))._unsafeUnwrapErr()).toMatchObject({
      _tag: 'InvalidOptionsError',
      option: 'options',
    })
    expect((await pool.close({ force: 'yes' as never }))._unsafeUnwrapErr()).toMatchObject({ option: 'force' })
    expect((await pool.run('double', 3))._unsafeUnwrap()).toBe(6)
  })

  test('run(name, input, null) and run(name, input, 1) are InvalidOptionsError', async () => {
    const pool = makePool()
    for (const bad of [null, 1, 'x', []]) {
      expect((await pool.run('double', 1, bad as never))._unsafeUnwrapErr()).toMatchObject({
        _tag: 'InvalidOptionsError',
        option: 'options',
      })
    }
    expect(pool.metrics().submitted).toBe(0)
  })

  test('the process stays alive until close() settles, even with only idle threads left', async () => {
    const { stdout } = await runScript('close-alive-main.mjs')
    expect(JSON.parse(stdout)).toEqual({ closed: true, threads: 0 })
  })
})

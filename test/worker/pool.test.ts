// Worker tests run against the built package (dist/): Node 20 cannot load .ts in a worker thread.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, test, vi } from 'vitest'
import { createWorkerPool, type WorkerPoolOptions } from '../../dist/worker.js'
import { type Loose, makePool, TASKS, threadOf, until } from './helpers.js'

const run = promisify(execFile)
const counter = () => {
  const shared = new SharedArrayBuffer(4)
  return { shared, starts: () => Atomics.load(new Int32Array(shared), 0) }
}

describe('createWorkerPool', () => {
  test('round trip: values, promises and Results come back as ok', async () => {
    const pool = makePool()
    expect((await pool.run('add', { a: 2, b: 3 }))._unsafeUnwrap()).toBe(5)
    expect((await pool.run('double', 21))._unsafeUnwrap()).toBe(42)
    expect((await pool.run('fib', 10))._unsafeUnwrap()).toBe(55)
    expect((await pool.run('find', 1))._unsafeUnwrap()).toEqual({ id: 1, name: 'one' })
    expect((await pool.run('noop', undefined))._unsafeUnwrap()).toBeUndefined()
  })

  test('accepts a URL, a file URL string and a path', async () => {
    for (const file of [TASKS, TASKS.href, fileURLToPath(TASKS)]) {
      const pool = createWorkerPool<Loose>(file, { maxThreads: 1 })._unsafeUnwrap()
      expect((await pool.run('add', { a: 1, b: 1 }))._unsafeUnwrap()).toBe(2)
      await pool.close()
    }
  })

  test('transfer moves an ArrayBuffer: the sender is detached', async () => {
    const pool = makePool()
    const buf = new Uint8Array([1, 2, 3, 4]).buffer
    const r = await pool.run('sum', buf, { transfer: [buf] })
    expect(r._unsafeUnwrap()).toBe(10)
    expect(buf.byteLength).toBe(0)
  })

  test('a tagged err keeps its tag, message and plain own fields', async () => {
    const pool = makePool()
    const e = (await pool.run('find', 7))._unsafeUnwrapErr() as unknown as Record<string, unknown>
    expect(e).toBeInstanceOf(Error)
    expect(e._tag).toBe('NotFound')
    expect(e.name).toBe('NotFound')
    expect(e.message).toBe('No item 7')
    expect(e.id).toBe(7)
    expect(e.where).toEqual({ shelf: 3 })
    expect(e.describe).toBeUndefined()
    expect((await pool.run('plainErr', 'just a string'))._unsafeUnwrapErr()).toBe('just a string')
  })

  test('a throw or a rejection becomes TaskFailedError with the remote name, message and stack', async () => {
    const pool = makePool()
    const e = (await pool.run('boom', 'bad input'))._unsafeUnwrapErr()
    expect(e).toMatchObject({ _tag: 'TaskFailedError', remoteName: 'RangeError', message: 'bad input' })
    expect((e as { remoteStack?: string }).remoteStack).toContain('boom')
    expect((await pool.run('reject', undefined))._unsafeUnwrapErr()).toMatchObject({
      _tag: 'TaskFailedError',
      remoteName: 'Error',
      message: 'rejected',
    })
    expect((await pool.run('nope', 1))._unsafeUnwrapErr()).toMatchObject({
      _tag: 'TaskFailedError',
      remoteName: 'TypeError',
      message: 'Unknown worker task "nope"',
    })
  })
})

describe('faults: the task gets WorkerCrashedError, the pool goes on', () => {
  test('process.exit in a task', async () => {
    const pool = makePool({ maxThreads: 1 })
    const [crashed, next] = await Promise.all([pool.run('exit', 3), pool.run('add', { a: 1, b: 1 })])
    expect(crashed._unsafeUnwrapErr()).toMatchObject({ _tag: 'WorkerCrashedError', exitCode: 3 })
    expect(next._unsafeUnwrap()).toBe(2)
    expect((await pool.run('double', 2))._unsafeUnwrap()).toBe(4)
  })

  test('a task sent to a thread behind one that crashes runs exactly once, on a new thread', async () => {
    const pool = makePool({ maxThreads: 1 })
    const { shared, starts } = counter()
    const [crashed, next] = await Promise.all([pool.run('exit', 4), pool.run('count', { shared, ms: 0 })])
    expect(crashed._unsafeUnwrapErr()).toMatchObject({ _tag: 'WorkerCrashedError', exitCode: 4 })
    expect(next._unsafeUnwrap()).toBe('counted')
    expect(starts()).toBe(1)
    expect(pool.metrics()).toMatchObject({ failed: 1, completed: 1, running: 0, queued: 0 })
  })

  test('an uncaught exception thrown from a timer in the worker', async () => {
    const pool = makePool({ maxThreads: 1 })
    const [crashed, next] = await Promise.all([pool.run('throwLater', undefined), pool.run('double', 5)])
    const e = crashed._unsafeUnwrapErr()
    expect(e).toMatchObject({ _tag: 'WorkerCrashedError' })
    expect((e as Error).message).toContain('from a timer')
    expect(next._unsafeUnwrap()).toBe(10)
  })

  test('out of memory under resourceLimits', async () => {
    const pool = makePool({ maxThreads: 1, resourceLimits: { maxOldGenerationSizeMb: 16 } })
    const [crashed, next] = await Promise.all([pool.run('oom', undefined), pool.run('double', 6)])
    expect(crashed._unsafeUnwrapErr()).toMatchObject({ _tag: 'WorkerCrashedError' })
    expect(next._unsafeUnwrap()).toBe(12)
    expect(pool.metrics()).toMatchObject({ failed: 1, completed: 1 })
  })
})

describe('timeout and abort', () => {
  test('timeout of a running task recycles its thread', async () => {
    const pool = makePool({ maxThreads: 1 })
    const before = await threadOf(pool)
    const { shared, starts } = counter()
    // Fake time: the timeout fires only once the task is known to be running (on a loaded machine
    // 30 real ms can pass before it starts, and a task that never started is not recycled).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      const stuck = pool.run('count', { shared, ms: 60_000 }, { timeoutMs: 30 })
      // A task waiting behind the stuck one still runs once the thread is replaced.
      const behind = pool.run('double', 8)
      await until(() => starts() === 1)
      await vi.advanceTimersByTimeAsync(30)
      expect((await stuck)._unsafeUnwrapErr()).toMatchObject({ _tag: 'TimeoutError', ms: 30, label: 'count' })
      expect((await behind)._unsafeUnwrap()).toBe(16)
    } finally {
      vi.useRealTimers()
    }
    // The spinning thread would block for a minute: a new thread answers instead.
    const after = await threadOf(pool)
    expect(after).not.toBe(before)
    expect(pool.metrics()).toMatchObject({ timedOut: 1, cancelled: 0, failed: 0, completed: 3, running: 0 })
  })

  test('abort of a running task recycles its thread', async () => {
    const pool = makePool({ maxThreads: 1 })
    const before = await threadOf(pool)
    const ac = new AbortController()
    const { shared, starts } = counter()
    const pending = pool.run('count', { shared, ms: 60_000 }, { signal: ac.signal })
    await until(() => starts() === 1) // running, not just sent
    ac.abort('user gave up')
    const e = (await pending)._unsafeUnwrapErr()
    expect(e).toMatchObject({ _tag: 'CancelledError', reason: 'user gave up' })
    expect(await threadOf(pool)).not.toBe(before)
    expect(pool.metrics()).toMatchObject({ cancelled: 1, timedOut: 0 })
  })

  test('timeout of a queued task removes it: it never starts', async () => {
    const pool = makePool({ maxThreads: 1 })
    const { shared, starts } = counter()
    const busy = pool.run('count', { shared, ms: 150 })
    const queued = pool.run('count', { shared, ms: 0 }, { timeoutMs: 20 })
    expect(pool.metrics()).toMatchObject({ running: 1, queued: 1 })
    expect((await queued)._unsafeUnwrapErr()).toMatchObject({ _tag: 'TimeoutError' })
    expect(pool.metrics().queued).toBe(0)
    expect((await busy)._unsafeUnwrap()).toBe('counted')
    expect((await pool.run('double', 1))._unsafeUnwrap()).toBe(2)
    expect(starts()).toBe(1)
  })

  test('abort of a queued task removes it: it never starts', async () => {
    const pool = makePool({ maxThreads: 1 })
    const { shared, starts } = counter()
    const ac = new AbortController()
    const busy = pool.run('count', { shared, ms: 100 })
    const queued = pool.run('count', { shared, ms: 0 }, { signal: ac.signal })
    ac.abort()
    expect((await queued)._unsafeUnwrapErr()).toMatchObject({ _tag: 'CancelledError' })
    expect((await busy)._unsafeUnwrap()).toBe('counted')
    expect((await pool.run('double', 1))._unsafeUnwrap()).toBe(2)
    expect(starts()).toBe(1)
    expect(pool.metrics()).toMatchObject({ cancelled: 1, completed: 2, queued: 0 })
  })

  test('an already aborted signal returns CancelledError without starting', async () => {
    const pool = makePool()
    const { shared, starts } = counter()
    const r = await pool.run('count', { shared, ms: 0 }, { signal: AbortSignal.abort('early') })
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'CancelledError', reason: 'early' })
    expect(starts()).toBe(0)
  })
})

describe('queue and metrics', () => {
  test('maxQueue counts waiting tasks; one more gets QueueFullError at once', async () => {
    const pool = makePool({ maxThreads: 1, maxQueue: 1 })
    const running = pool.run('spin', 100)
    const waiting = pool.run('double', 1)
    const refused = await pool.run('double', 2)
    expect(refused._unsafeUnwrapErr()).toMatchObject({ _tag: 'QueueFullError', maxQueue: 1 })
    // Refused while the first task was still running: nothing had to finish first.
    expect(pool.metrics()).toMatchObject({ running: 1, queued: 1, submitted: 2 })
    expect((await running)._unsafeUnwrap()).toBe(100)
    expect((await waiting)._unsafeUnwrap()).toBe(2)
  })

  test('maxQueue: 0 refuses only when every thread is busy', async () => {
    const pool = makePool({ maxThreads: 1, maxQueue: 0 })
    const first = pool.run('double', 1)
    expect((await pool.run('double', 2))._unsafeUnwrapErr()).toMatchObject({ _tag: 'QueueFullError' })
    expect((await first)._unsafeUnwrap()).toBe(2)
    expect((await pool.run('double', 3))._unsafeUnwrap()).toBe(6)
  })

  test('metrics after a known workload', async () => {
    const pool = makePool({ maxThreads: 2 })
    const ac = new AbortController()
    const work = [
      pool.run('add', { a: 1, b: 1 }),
      pool.run('double', 2),
      pool.run('spin', 20),
      pool.run('find', 9), // err
      pool.run('boom', 'x'), // throw
      pool.run('spin', 60_000, { timeoutMs: 50 }),
      pool.run('spin', 60_000, { signal: ac.signal }),
    ]
    setTimeout(() => ac.abort(), 30)
    const results = await Promise.all(work)
    expect(results.map((r) => r.isOk())).toEqual([true, true, true, false, false, false, false])
    const m = pool.metrics()
    expect(m).toMatchObject({
      submitted: 7,
      completed: 3,
      failed: 2,
      timedOut: 1,
      cancelled: 1,
      queued: 0,
      running: 0,
    })
    expect(m.peakThreads).toBe(2)
    expect(m.threads).toBeLessThanOrEqual(2)
    expect(m.busyMs).toBeGreaterThan(0)
    expect(m.utilization).toBeGreaterThan(0)
    expect(m.utilization).toBeLessThanOrEqual(1)
  })
})

describe('threads', () => {
  test('threads above minThreads stop after idleTimeoutMs', async () => {
    const pool = makePool({ minThreads: 1, maxThreads: 2, idleTimeoutMs: 30 })
    await Promise.all([pool.run('spin', 20), pool.run('spin', 20), pool.run('spin', 20), pool.run('spin', 20)])
    expect(pool.metrics().peakThreads).toBe(2)
    // Polled rather than one fixed sleep: on a loaded machine the idle timer may fire before the
    // tasks above all end, or well after 30 ms. Either way the pool must come back to minThreads
    // (the test's own timeout is the only bound).
    while (pool.metrics().threads > 1) await new Promise((r) => setTimeout(r, 20))
    expect(pool.metrics().threads).toBe(1)
    expect((await pool.run('double', 3))._unsafeUnwrap()).toBe(6)
  })
})

describe('options', () => {
  test.each([
    ['minThreads', { minThreads: -1 }],
    ['minThreads', { minThreads: 3, maxThreads: 2 }],
    ['maxThreads', { maxThreads: 0 }],
    ['maxThreads', { maxThreads: 1.5 }],
    ['idleTimeoutMs', { idleTimeoutMs: Number.NaN }],
    ['maxQueue', { maxQueue: -1 }],
    ['resourceLimits', { resourceLimits: 5 }],
    ['resourceLimits.maxOldGenerationSizeMb', { resourceLimits: { maxOldGenerationSizeMb: 0 } }],
  ])('invalid %s → InvalidOptionsError naming it', (option, opts) => {
    const r = createWorkerPool(TASKS, opts as WorkerPoolOptions)
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option })
  })

  test('a missing worker module → InvalidOptionsError for filename', () => {
    const r = createWorkerPool(new URL('./fixtures/missing.mjs', import.meta.url))
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'filename' })
  })

  test('invalid run options → err naming the option, nothing runs', async () => {
    const pool = makePool()
    expect((await pool.run('double', 1, { timeoutMs: -1 }))._unsafeUnwrapErr()).toMatchObject({
      _tag: 'InvalidOptionsError',
      option: 'timeoutMs',
    })
    const notASignal = { signal: {} } as unknown as { signal: AbortSignal }
    expect((await pool.run('double', 1, notASignal))._unsafeUnwrapErr()).toMatchObject({ option: 'signal' })
    expect(pool.metrics().submitted).toBe(0)
  })
})

describe('close', () => {
  test('drains running and queued tasks, then stops every thread; run afterwards is an err', async () => {
    const pool = makePool({ maxThreads: 1, minThreads: 1 })
    const a = pool.run('spin', 30)
    const b = pool.run('double', 4)
    const closed = pool.close()
    expect(pool.close()).toBe(closed)
    expect((await pool.run('double', 1))._unsafeUnwrapErr()).toMatchObject({ _tag: 'CancelledError' })
    expect((await a)._unsafeUnwrap()).toBe(30)
    expect((await b)._unsafeUnwrap()).toBe(8)
    expect((await closed).isOk()).toBe(true)
    expect(pool.metrics().threads).toBe(0)
  })

  test('force cancels queued and running tasks', async () => {
    const pool = makePool({ maxThreads: 1 })
    const { shared, starts } = counter()
    const first = counter()
    const running = pool.run('count', { shared: first.shared, ms: 60_000 })
    const queued = pool.run('count', { shared, ms: 0 })
    await until(() => first.starts() === 1)
    await pool.close({ force: true })
    expect((await running)._unsafeUnwrapErr()).toMatchObject({ _tag: 'CancelledError' })
    expect((await queued)._unsafeUnwrapErr()).toMatchObject({ _tag: 'CancelledError' })
    expect(starts()).toBe(0)
    expect(pool.metrics()).toMatchObject({ threads: 0, cancelled: 2, running: 0, queued: 0 })
  })

  test('a process that used a pool exits on its own after close, leaving nothing alive', async () => {
    const script = fileURLToPath(new URL('./fixtures/esm-main.mjs', import.meta.url))
    const { stdout } = await run(process.execPath, [script], { timeout: 10_000 })
    expect(JSON.parse(stdout)).toEqual({ ok: [true, false, false, true], threads: 0, left: [] })
  })

  test('the CJS build runs a CommonJS tasks module', async () => {
    const script = fileURLToPath(new URL('./fixtures/cjs-main.cjs', import.meta.url))
    const { stdout } = await run(process.execPath, [script], { timeout: 10_000 })
    expect(JSON.parse(stdout)).toEqual({ ok: 'hello cjs' })
  })

  test('the CJS build runs an ESM tasks module', async () => {
    const script = fileURLToPath(new URL('./fixtures/cjs-main.cjs', import.meta.url))
    const { stdout } = await run(process.execPath, [script, 'tasks.mjs'], { timeout: 10_000 })
    expect(JSON.parse(stdout)).toEqual({ ok: 'hello cjs' })
  })
})

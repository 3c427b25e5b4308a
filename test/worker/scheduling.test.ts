// Which thread runs what: no task waits behind a busy thread while another thread is free.
import { describe, expect, test } from 'vitest'
import { gate, makePool } from './helpers.js'

describe('head-of-line blocking', () => {
  test('an idle thread takes over a task sent ahead to a busy thread that has not started', async () => {
    const pool = makePool({ maxThreads: 2 })
    const g = gate()
    // blocked → thread 1; a → thread 2; behind → thread 1, sent ahead behind the blocked task; c → thread 2.
    const blocked = pool.run('block', { shared: g.shared })
    const a = pool.run('threadId', undefined)
    const behind = pool.run('threadId', undefined)
    const c = pool.run('threadId', undefined)
    // Would never settle if `behind` waited for the blocked task: the gate opens only afterwards.
    const [ta, tb, tc] = (await Promise.all([a, behind, c])).map((r) => r._unsafeUnwrap())
    expect(tb).toBe(ta)
    expect(tc).toBe(ta)
    expect(pool.metrics()).toMatchObject({ running: 1, completed: 3 })
    g.release()
    expect((await blocked)._unsafeUnwrap()).toBe('released')
  })

  test('a task taken over still runs exactly once', async () => {
    const pool = makePool({ maxThreads: 2 })
    const g = gate()
    const counter = new SharedArrayBuffer(4)
    const blocked = pool.run('block', { shared: g.shared })
    const quick = pool.run('double', 1)
    const behind = pool.run('count', { shared: counter, ms: 0 })
    expect((await behind)._unsafeUnwrap()).toBe('counted')
    expect((await quick)._unsafeUnwrap()).toBe(2)
    g.release()
    await blocked
    expect((await pool.run('double', 2))._unsafeUnwrap()).toBe(4)
    expect(Atomics.load(new Int32Array(counter), 0)).toBe(1)
  })

  test('tasks with a transfer list are sent ahead too (the per-thread window), and all arrive whole', async () => {
    const pool = makePool({ maxThreads: 1 })
    const g = gate()
    const blocked = pool.run('block', { shared: g.shared })
    const buf = new Uint8Array([1, 2, 3]).buffer
    const moved = pool.run('sum', buf, { transfer: [buf] })
    expect(buf.byteLength).toBe(0) // posted to the busy thread at once, not kept in the queue
    expect(pool.metrics()).toMatchObject({ running: 1, queued: 1 })
    g.release()
    expect((await blocked)._unsafeUnwrap()).toBe('released')
    expect((await moved)._unsafeUnwrap()).toBe(6)
  })
})

describe('transfer lists and crashes', () => {
  test('a task with a transfer list sent behind one that crashes fails, saying its input was moved', async () => {
    const pool = makePool({ maxThreads: 1 })
    await pool.ready()
    const buf = new Uint8Array([1, 2]).buffer
    const [crashed, moved] = await Promise.all([pool.run('exit', 5), pool.run('sum', buf, { transfer: [buf] })])
    expect(crashed._unsafeUnwrapErr()).toMatchObject({ _tag: 'WorkerCrashedError', exitCode: 5 })
    const e = moved._unsafeUnwrapErr() as Error
    expect(e).toMatchObject({ _tag: 'WorkerCrashedError' })
    expect(e.message).toContain('before the task started')
    expect((await pool.run('double', 1))._unsafeUnwrap()).toBe(2)
  })
})

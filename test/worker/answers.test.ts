// What comes back from a thread: bound to its task, whole, readable, with the caller's frame.
import { describe, expect, test } from 'vitest'
import { fixture, makePool, runScript, threadOf } from './helpers.js'

describe('answers are bound to their task', () => {
  test('a task posting to parentPort itself never shifts answers: every caller gets its own result', async () => {
    const pool = makePool({ maxThreads: 2 })
    const runs = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? pool.run('progress', i) : pool.run('double', i)))
    const values = (await Promise.all(runs)).map((r) => r._unsafeUnwrap())
    expect(values).toEqual(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? i * 10 : i * 2)))
    expect(pool.metrics()).toMatchObject({ completed: 40, failed: 0 })
  })
})

describe('console output', () => {
  test('nothing a task printed before its answer is lost, even when the pool closes right after', async () => {
    const { stdout, stderr } = await runScript('print-main.mjs')
    expect(JSON.parse(stderr)).toEqual({ answered: 20 })
    const lines = new Set(stdout.split('\n').filter(Boolean))
    for (let id = 0; id < 20; id++) for (let i = 0; i < 50; i++) expect(lines).toContain(`task ${id} line ${i}`)
  })
})

describe('errors', () => {
  test('an error thrown from a vm context keeps its name, message and stack', async () => {
    const pool = makePool()
    const e = (await pool.run('vmThrow', 'from another realm'))._unsafeUnwrapErr()
    expect(e).toMatchObject({ _tag: 'TaskFailedError', remoteName: 'TypeError', message: 'from another realm' })
    expect((e as { remoteStack?: string }).remoteStack).toContain('TypeError: from another realm')
  })

  test("a task error's stack shows where pool.run was called", async () => {
    const pool = makePool()
    async function callerFrameMarker() {
      return pool.run('boom', 'x')
    }
    const e = (await callerFrameMarker())._unsafeUnwrapErr() as Error
    expect(e.stack).toContain('callerFrameMarker')
  })

  test('callSites: false skips recording the caller (for floods of tiny tasks)', async () => {
    const pool = makePool({ callSites: false })
    async function callerFrameMarker() {
      return pool.run('boom', 'x')
    }
    const e = (await callerFrameMarker())._unsafeUnwrapErr() as Error
    expect(e).toMatchObject({ _tag: 'TaskFailedError', remoteName: 'RangeError' })
    expect(e.stack).not.toContain('callerFrameMarker')
  })

  test('an input that cannot be cloned is a DataCloneError, and the thread is kept', async () => {
    const pool = makePool({ maxThreads: 1 })
    const before = await threadOf(pool)
    const r = await pool.run('double', (() => 1) as unknown)
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'DataCloneError', name: 'DataCloneError' })
    expect(await threadOf(pool)).toBe(before)
    expect(pool.metrics()).toMatchObject({ failed: 1, threads: 1 })
  })

  test('an output that cannot be cloned is a TaskFailedError, and the thread goes on', async () => {
    const pool = makePool({ maxThreads: 1 })
    const r = await pool.run('returnsFunction', undefined)
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'TaskFailedError', remoteName: 'DataCloneError' })
    expect((await pool.run('double', 4))._unsafeUnwrap()).toBe(8)
  })
})

describe('results', () => {
  test('a Buffer result arrives as a plain Uint8Array (what structured clone delivers)', async () => {
    const pool = makePool()
    const v = (await pool.run('buffer', 'hi'))._unsafeUnwrap()
    expect(v).toBeInstanceOf(Uint8Array)
    expect(Buffer.isBuffer(v)).toBe(false)
    expect([...(v as Uint8Array)]).toEqual([104, 105])
  })

  test('transfer() moves a result back instead of copying it: detached in the worker', async () => {
    const pool = makePool({ maxThreads: 1 })
    const buf = (await pool.run('moveBack', 1024))._unsafeUnwrap() as ArrayBuffer
    expect(buf).toBeInstanceOf(ArrayBuffer)
    expect(buf.byteLength).toBe(1024)
    expect(new Uint8Array(buf)[1023]).toBe(7)
    expect((await pool.run('keptLength', undefined))._unsafeUnwrap()).toBe(0)
  })
})

describe('tasks module', () => {
  test('a .ts tasks module is refused when the pool is created, naming the fix', async () => {
    const { stdout } = await runScript('ts-module-main.mjs')
    const r = JSON.parse(stdout)
    expect(r.option).toBe('filename')
    expect(r.message).toContain('TypeScript')
    expect(r.message).toContain('--import tsx')
  })

  test('a directory as the module → InvalidOptionsError for filename', async () => {
    const { createWorkerPool } = await import('../../dist/worker.js')
    const r = createWorkerPool(fixture(''))
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'filename' })
  })
})

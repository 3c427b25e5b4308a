// Shared by the worker tests: pools over the plain-JS fixture, closed after each test.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach } from 'vitest'
import { createWorkerPool, type WorkerPool, type WorkerPoolOptions, type WorkerTasks } from '../../dist/worker.js'

export const TASKS = new URL('./fixtures/tasks.mjs', import.meta.url)
export const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url)

// The fixture is plain JS, so the pool is loosely typed here; types.test-d.ts covers the types.
export type Loose = WorkerTasks<{ readonly [name: string]: (input: unknown) => unknown }>

const pools: WorkerPool<Loose>[] = []
export function makePool(opts: WorkerPoolOptions = {}, file: URL = TASKS): WorkerPool<Loose> {
  const pool = createWorkerPool<Loose>(file, { maxThreads: 2, ...opts })._unsafeUnwrap()
  pools.push(pool)
  return pool
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close({ force: true })))
})

/** A cell tasks can block on (`block`) until `release()`. */
export function gate() {
  const shared = new SharedArrayBuffer(4)
  return {
    shared,
    release() {
      Atomics.store(new Int32Array(shared), 0, 1)
      Atomics.notify(new Int32Array(shared), 0)
    },
  }
}

export const threadOf = async (pool: WorkerPool<Loose>) => (await pool.run('threadId', undefined))._unsafeUnwrap()

export { until } from '../helpers.js'

const exec = promisify(execFile)
/** Runs a fixture script in a fresh Node process (no loader flags), returning its output. */
export async function runScript(name: string, args: string[] = []) {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  return exec(process.execPath, [fileURLToPath(fixture(name)), ...args], { timeout: 15_000, env })
}

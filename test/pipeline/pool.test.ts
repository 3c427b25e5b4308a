// Pool stages run against the built package (dist/): Node 20 cannot load .ts in a worker thread.
import { createHash } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { ok, pipeline } from '../../dist/index.js'
import { createWorkerPool, type WorkerTasks } from '../../dist/worker.js'
import { countingSource, expectNoLeaks, noUnhandledRejections, range } from '../helpers.js'

noUnhandledRejections() // fails the test during which something rejected unhandled

// The fixture is plain JS, so its types are written out here; types.test-d.ts covers inference.
type Tasks = WorkerTasks<{
  readonly hashAll: (lines: string[]) => string[]
  readonly check: (n: number) => number
  readonly spin: (ms: number) => number
}>
const pool = createWorkerPool<Tasks>(new URL('./fixtures/tasks.mjs', import.meta.url), {
  maxThreads: 2,
})._unsafeUnwrap()
afterAll(async () => {
  await pool.close({ force: true })
})

const short = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8)

describe('pool stages', () => {
  it('read → chunk → hash on the pool → write, in order', async () => {
    const lines = range(50).map((i) => `line ${i}`)
    const written: string[] = []
    const flow = pipeline(lines)
      .stage({ name: 'trim', fn: (l) => ok(l.trim()) })
      .chunk({ name: 'batch', size: 8, maxWaitMs: 20 })
      .pool({ name: 'hash', pool, task: 'hashAll', concurrency: 2 })
      .stage({
        name: 'write',
        fn: (hashes) => {
          written.push(...hashes)
          return ok(hashes.length)
        },
      })
    const r = await flow.run()
    expect(r._unsafeUnwrap()).toEqual([8, 8, 8, 8, 8, 8, 2])
    expect(written).toEqual(lines.map(short))
    const hash = flow.metrics().stages.find((s) => s.name === 'hash')
    expect(hash).toMatchObject({ kind: 'pool', in: 7, out: 7, failed: 0 })
  })

  it("a task's tagged err comes back as a StageFailedError with the stage name and item index", async () => {
    const r = await pipeline(range(20)).pool({ name: 'check', pool, task: 'check', concurrency: 2 }).run()
    const e = r._unsafeUnwrapErr() as unknown as {
      stage: string
      index: number
      error: { _tag: string; record: number }
    }
    expect(e.stage).toBe('check')
    expect(e.index).toBe(13)
    expect(e.error._tag).toBe('BadRecord')
    expect(e.error.record).toBe(13)
  })

  it('a pool-stage timeout is a TimeoutError for that item; breaking out cancels running tasks', async () => {
    const timed = await pipeline([1, 200]).pool({ name: 'spin', pool, task: 'spin', timeoutMs: 50 }).run()
    expect(timed._unsafeUnwrapErr()).toMatchObject({ stage: 'spin', index: 1, error: { _tag: 'TimeoutError' } })
    const src = countingSource(range(100), { async: true })
    await expectNoLeaks(async () => {
      for await (const r of pipeline(src.items).pool({ name: 'spin', pool, task: 'spin', concurrency: 2 })) {
        expect(r.isOk()).toBe(true)
        break
      }
    })
    expect(src.stats.returned).toBe(true)
    expect(src.stats.pulled).toBeLessThan(10)
    // The pool survives: cancelled tasks' threads were replaced.
    expect((await pool.run('check', 3))._unsafeUnwrap()).toBe(9)
  })
})

import { afterAll, describe, expect, it } from 'vitest'
// Worker threads need built JavaScript, so the pool comes from dist (the test command builds first).
import { createWorkerPool, type WorkerTasks } from '../../dist/worker.js'
import { createWorkflow, type WorkflowEvent } from '../../src/index.js'

type Loose = WorkerTasks<{ [name: string]: (input: never) => unknown }>
const pool = createWorkerPool<Loose>(new URL('../worker/fixtures/tasks.mjs', import.meta.url), {
  maxThreads: 1,
})._unsafeUnwrap()
afterAll(async () => {
  await pool.close()
})

describe('step.offload', () => {
  it('runs a worker task as a step and resolves to its output', async () => {
    const events: WorkflowEvent[] = []
    const wf = createWorkflow({ pool }, { name: 'offload', onEvent: (e) => events.push(e) })
    const r = await wf(async (step, { pool: p }) => {
      const sum = await step.offload('add on a thread', p, 'add', { a: 2, b: 3 } as never)
      const fib = await step.offload('fib', p, 'fib', 20 as never, { timeoutMs: 5_000 })
      return [sum, fib]
    })
    expect(r._unsafeUnwrap()).toEqual([5, 6765])
    expect(events.filter((e) => e.type === 'step_start').map((e) => [e.name, e.kind])).toEqual([
      ['add on a thread', 'offload'],
      ['fib', 'offload'],
    ])
  })

  it('a crashing task ends the workflow with a typed WorkerCrashedError, and the pool goes on', async () => {
    const wf = createWorkflow({ pool }, { name: 'crash' })
    const r = await wf(async (step, { pool: p }) => step.offload('exit', p, 'exit', 3 as never))
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'WorkerCrashedError', exitCode: 3 })
    const again = await wf(async (step, { pool: p }) => step.offload('hello', p, 'hello', 'again' as never))
    expect(again._unsafeUnwrap()).toBe('hello again')
  })

  it('a task err keeps its tag across the thread boundary', async () => {
    const wf = createWorkflow({ pool }, { name: 'tagged' })
    const r = await wf(async (step, { pool: p }) => step.offload('find', p, 'find', 2 as never))
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'NotFound' })
  })

  it('a step timeout recycles the busy thread', async () => {
    const wf = createWorkflow({ pool }, { name: 'spin' })
    const r = await wf(async (step, { pool: p }) => step.offload('spin', p, 'spin', 5_000 as never, { timeoutMs: 30 }))
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'TimeoutError' })
  })

  it('an offload step timeout is labelled with the step name, not the task name', async () => {
    const wf = createWorkflow({ pool }, { name: 'label' })
    const r = await wf(async (step, { pool: p }) =>
      step.offload('hash the upload', p, 'spin', 5_000 as never, { timeoutMs: 30 }),
    )
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'TimeoutError', ms: 30, label: 'hash the upload' })
  })
})

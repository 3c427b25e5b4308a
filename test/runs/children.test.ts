import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { errAsync, okAsync } from 'neverthrow'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createClient,
  createWorker,
  createWorkflow,
  defineTask,
  defineWorkflow,
  fileStore,
  memoryStore,
  type RunStore,
} from '../../src/index.js'
import { childrenSuite } from './children-suite.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

childrenSuite('memoryStore', async () => memoryStore())
childrenSuite('fileStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'okflow-children-'))
  dirs.push(dir)
  return fileStore(dir)
})

describe('a store without the child-run methods', () => {
  it('step.map on a worker runs the task in process (no child runs), with the same values', async () => {
    const { createRuns: _c, listChildren: _l, ...rest } = memoryStore()
    const store = rest as RunStore
    const inc = defineTask('inc', (x: number) => okAsync(x + 1))
    const parent = defineWorkflow('plain-store', { inc }, (step, deps, xs: number[]) => step.map('inc', xs, deps.inc))
    const worker = createWorker(store, [parent, inc], { pollMs: 5 })
    await worker.start()
    const client = createClient(store, { pollMs: 5 })
    await client.start(parent, [1, 2, 3], { runId: 'plain' })
    expect((await client.result('plain', { timeoutMs: 10_000 }))._unsafeUnwrap()).toEqual([2, 3, 4])
    expect((await store.listRuns()).map((r) => r.runId)).toEqual(['plain'])
    await worker.close()
  })
})

describe('retrying a parent whose map failed', () => {
  it('a first claim that dies right after reopening the journal does not lose the retry: the failed children were put back already', async () => {
    const store = memoryStore()
    let failing = true
    const runs = new Map<number, number>()
    const flaky = defineTask('flaky', (x: number) => {
      runs.set(x, (runs.get(x) ?? 0) + 1)
      return x === 2 && failing ? errAsync(new Error('not yet')) : okAsync(x * 10)
    })
    const parent = defineWorkflow('retried-crash', { flaky }, (step, deps, xs: number[]) =>
      step.map('flaky', xs, deps.flaky),
    )
    const first = createWorker(store, [parent, flaky], { pollMs: 5 })
    await first.start()
    const client = createClient(store, { pollMs: 5 })
    await client.start(parent, [1, 2, 3], { runId: 'rc' })
    expect((await client.result('rc', { timeoutMs: 10_000 })).isErr()).toBe(true)
    for (let i = 0; i < 200 && (runs.get(1) !== 1 || runs.get(3) !== 1); i++)
      await new Promise((r) => setTimeout(r, 10))
    await first.close()
    failing = false
    expect((await client.retry('rc')).isOk()).toBe(true)
    // A claim that reopens the journal and stops before its body gets anywhere (as if killed).
    const ac = new AbortController()
    const dying = await createWorkflow(parent.deps, { store, runId: 'rc', retry: true, signal: ac.signal })(
      async () => {
        ac.abort('killed')
        return new Promise<never>(() => {})
      },
    )
    expect(dying.isErr()).toBe(true)
    expect((await store.load('rc')).some((r) => r.seq === -1)).toBe(false) // reopened
    expect((await client.get('rc/0.1'))._unsafeUnwrap().state).toBe('pending') // and put back
    const next = createWorker(store, [parent, flaky], { pollMs: 5 })
    await next.start()
    expect((await client.result('rc', { timeoutMs: 10_000 }))._unsafeUnwrap()).toEqual([10, 20, 30])
    expect(Object.fromEntries(runs)).toEqual({ 1: 1, 2: 2, 3: 1 })
    await next.close()
  })
})

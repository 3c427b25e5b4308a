import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { okAsync } from 'neverthrow'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createClient,
  createWorker,
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

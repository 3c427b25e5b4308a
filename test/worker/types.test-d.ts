import type { ResultAsync } from 'neverthrow'
import { describe, expectTypeOf, test } from 'vitest'
import {
  createWorkerPool,
  type RunTaskOptions,
  transfer,
  type WorkerPool,
  type WorkerRunError,
} from '../../src/worker/index.js'
import type tasks from './fixtures/typed-tasks.js'

declare const pool: WorkerPool<typeof tasks>

describe('worker pool types', () => {
  test('task names, inputs and outputs come from the tasks module', () => {
    expectTypeOf(pool.run('sha256', new Uint8Array(4))).toEqualTypeOf<ResultAsync<string, WorkerRunError>>()
    expectTypeOf(pool.run('fib', 10)).toEqualTypeOf<ResultAsync<number, WorkerRunError>>()
    expectTypeOf(pool.run('later', 'abc')).toEqualTypeOf<ResultAsync<number, WorkerRunError>>()
    expectTypeOf(pool.run('resultAsync', 1)).toEqualTypeOf<ResultAsync<number, string | WorkerRunError>>()
  })

  test('a tagged err arrives with its tag and data fields, without methods', async () => {
    const r = await pool.run('find', 2)
    if (r.isOk()) expectTypeOf(r.value).toEqualTypeOf<{ id: number; name: string }>()
    else if (r.error._tag === 'NotFound') {
      expectTypeOf(r.error.id).toEqualTypeOf<number>()
      expectTypeOf(r.error.message).toEqualTypeOf<string>()
      expectTypeOf(r.error).not.toHaveProperty('describe')
    }
  })

  test('outputs are typed as structured clone delivers them: a Buffer arrives as a Uint8Array', () => {
    expectTypeOf(pool.run('buffer', 'x')).toEqualTypeOf<ResultAsync<Uint8Array, WorkerRunError>>()
    expectTypeOf(pool.run('nested', 'x')).toEqualTypeOf<
      ResultAsync<{ data: Uint8Array; list: Uint8Array[]; n: number }, WorkerRunError>
    >()
    expectTypeOf(pool.run('moveBack', 8)).toEqualTypeOf<ResultAsync<ArrayBuffer, WorkerRunError>>()
  })

  test('transfer lists are typed, never any', () => {
    type IsAny<T> = 0 extends 1 & T ? true : false
    expectTypeOf<IsAny<NonNullable<RunTaskOptions['transfer']>[number]>>().toEqualTypeOf<false>()
    expectTypeOf(transfer).parameter(1).not.toBeAny()
    // @ts-expect-error a string is not transferable
    pool.run('fib', 1, { transfer: ['x'] })
  })

  test('a wrong name or input is a compile error', () => {
    // @ts-expect-error no such task
    pool.run('nope', 1)
    // @ts-expect-error fib takes a number
    pool.run('fib', '10')
    // @ts-expect-error sha256 takes bytes
    pool.run('sha256', 'text')
    // @ts-expect-error timeoutMs is a number
    pool.run('fib', 1, { timeoutMs: '10' })
  })

  test('types: () => import(...) types the pool without a generic (for JavaScript users)', () => {
    const created = createWorkerPool(new URL('./fixtures/tasks.mjs', import.meta.url), {
      maxThreads: 2,
      types: () => import('./fixtures/typed-tasks.js'),
    })
    if (created.isOk()) {
      expectTypeOf(created.value).toEqualTypeOf<WorkerPool<typeof tasks>>()
      expectTypeOf(created.value.run('fib', 1)).toEqualTypeOf<ResultAsync<number, WorkerRunError>>()
    }
  })

  test('createWorkerPool returns a Result of a typed pool', () => {
    const created = createWorkerPool<typeof tasks>(new URL('./fixtures/tasks.mjs', import.meta.url))
    expectTypeOf(created.isOk()).toEqualTypeOf<boolean>()
    if (created.isOk()) expectTypeOf(created.value).toEqualTypeOf<WorkerPool<typeof tasks>>()
    if (created.isErr()) expectTypeOf(created.error._tag).toEqualTypeOf<'InvalidOptionsError'>()
  })
})

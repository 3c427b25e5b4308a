import { errAsync, okAsync, type ResultAsync } from 'neverthrow'
import type pg from 'pg'
import { describe, expectTypeOf, it } from 'vitest'
import {
  type CancelledError,
  createClient,
  createWorker,
  defineWorkflow,
  type LeaseLostError,
  memoryStore,
  type RunId,
  type RunNotFoundError,
  type StoreError,
  type TimeoutError,
  type WorkflowInput,
  type WorkflowOutput,
} from '../../src/index.js'
import { type PostgresStore, postgresStore, type Queryable } from '../../src/postgres/index.js'

class NotFound extends Error {
  readonly _tag = 'NotFound' as const
}
const deps = {
  find: (id: string) => (id ? okAsync({ id, total: 3 }) : errAsync(new NotFound('no'))),
}
const checkout = defineWorkflow(
  'checkout',
  deps,
  async (step, d, input: { orderId: string }) => {
    const order = await step(() => d.find(input.orderId))
    return { total: order.total }
  },
  { version: 1 },
)

describe('registered workflow types', () => {
  it('input and output come from the body', () => {
    expectTypeOf<WorkflowInput<typeof checkout>>().toEqualTypeOf<{ orderId: string }>()
    expectTypeOf<WorkflowOutput<typeof checkout>>().toEqualTypeOf<{ total: number }>()
  })

  it('client.start checks the input; its runId types client.result', async () => {
    const client = createClient(memoryStore())
    // @ts-expect-error the input must be the workflow's
    client.start(checkout, { orderId: 42 })
    const run = await client.start(checkout, { orderId: '42' }, { idempotencyKey: 'k' })
    if (run.isErr()) {
      expectTypeOf(run.error).toEqualTypeOf<StoreError | import('../../src/index.js').InvalidOptionsError>()
      return
    }
    expectTypeOf(run.value.runId).toEqualTypeOf<RunId<typeof checkout>>()
    expectTypeOf(run.value.runId).toMatchTypeOf<string>()
    const r = await client.result(run.value.runId, { timeoutMs: 1000 })
    if (r.isOk()) expectTypeOf(r.value).toEqualTypeOf<{ total: number }>()
    else {
      expectTypeOf<NotFound>().toMatchTypeOf<typeof r.error>()
      expectTypeOf<LeaseLostError | RunNotFoundError | TimeoutError | CancelledError | StoreError>().toMatchTypeOf<
        typeof r.error
      >()
    }
    // A plain string id does not know its workflow.
    expectTypeOf(client.result('some-id')).toEqualTypeOf<ResultAsync<unknown, unknown>>()
  })

  it('a worker takes a list of different workflows', () => {
    const other = defineWorkflow('other', {}, async (_s, _d, n: number) => n * 2)
    createWorker(memoryStore(), [checkout, other], { concurrency: 2 })
  })

  it('postgresStore takes a pg Pool, a pg Client, or any { query }', () => {
    expectTypeOf<pg.Pool>().toMatchTypeOf<Queryable>()
    expectTypeOf<pg.Client>().toMatchTypeOf<Queryable>()
    expectTypeOf(postgresStore({ query: async () => ({ rows: [] }) })).toEqualTypeOf<PostgresStore>()
    expectTypeOf(postgresStore('postgres://x')).toEqualTypeOf<PostgresStore>()
  })
})

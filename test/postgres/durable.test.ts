import { errAsync, ok, okAsync, type Result } from 'neverthrow'
import { afterAll, describe, expect, it } from 'vitest'
import { createWorkflow, type WorkflowBody } from '../../src/index.js'
import { postgresStore } from '../../src/postgres/index.js'
import { dropSchema, freshSchema, testPool } from './helpers.js'

// createWorkflow(deps, { store, runId }) works unchanged on Postgres (no worker, no registration).
const pool = testPool(6)
const schema = freshSchema('durable')
const store = postgresStore(pool, { schema })
afterAll(async () => {
  await dropSchema(pool, schema)
  await pool.end()
})

class Declined extends Error {
  readonly _tag = 'Declined' as const
}

describe('createWorkflow on postgresStore', () => {
  it('records steps, answers a finished run from its record, and retry: true re-runs from the failed step', async () => {
    expect((await store.migrate()).isOk()).toBe(true)
    const calls: string[] = []
    let declines = 1
    const deps = {
      reserve: () => {
        calls.push('reserve')
        return okAsync('hold')
      },
      charge: () => {
        calls.push('charge')
        return declines-- > 0 ? errAsync(new Declined('no')) : okAsync('ch')
      },
    }
    const body: WorkflowBody<typeof deps, string> = async (step, d) => {
      const hold = await step(() => d.reserve(), { name: 'reserve' })
      const charge = await step(() => d.charge(), { name: 'charge' })
      return `${hold}/${charge}`
    }
    const wf = createWorkflow(deps, { name: 'pay', store, runId: 'pay-1' })
    expect((await wf(body))._unsafeUnwrapErr()).toMatchObject({ _tag: 'Declined', message: 'no' })
    // A finished (failed) run answers from its record: nothing runs.
    expect((await wf(body))._unsafeUnwrapErr()).toMatchObject({ _tag: 'Declined' })
    expect(calls).toEqual(['reserve', 'charge'])
    const retry = createWorkflow(deps, { name: 'pay', store, runId: 'pay-1', retry: true })
    expect((await retry(body))._unsafeUnwrap()).toBe('hold/ch')
    expect(calls).toEqual(['reserve', 'charge', 'charge'])
    const rows = (await pool.query(`SELECT seq FROM "${schema}".steps WHERE run_id = 'pay-1' ORDER BY pos`)).rows
    expect(rows.map((r) => r.seq)).toEqual([0, 1, -1])
  })

  it('a second live run of the same runId is refused with RunLockedError while the first holds the lease', async () => {
    let release: () => void = () => {}
    const gate = new Promise<Result<number, never>>((r) => {
      release = () => r(ok(1))
    })
    let entered: () => void = () => {}
    const inStep = new Promise<void>((r) => {
      entered = r
    })
    const wf = createWorkflow({}, { name: 'hold', store, runId: 'held-1' })
    const first = wf(async (step) =>
      step(
        () => {
          entered()
          return gate
        },
        { name: 'wait' },
      ),
    )
    await inStep
    const second = await wf(async (step) => step(() => okAsync(2), { name: 'wait' }))
    expect(second._unsafeUnwrapErr()).toMatchObject({ _tag: 'RunLockedError', runId: 'held-1' })
    release()
    expect((await first)._unsafeUnwrap()).toBe(1)
  })
})

// Durable sleep and waitFor/emit on postgresStore: the suites every store runs (in process and on
// workers), and the in-process sleep's record. Its own schema; a real server (inject('pgUrl')).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWorkflow, type RunStore, type StepRecord } from '../../src/index.js'
import { postgresStore } from '../../src/postgres/index.js'
import { inProcessWaitSuite, workerSleepSuite, workerWaitSuite } from '../runs/primitives-suite.js'
import { dropSchema, freshSchema, testPool } from './helpers.js'

const pool = testPool(8)
const schemas: string[] = []
/** Each test gets its own schema: runIds and event keys of one test never meet another's. */
async function makeStore(): Promise<RunStore> {
  const schema = freshSchema('sleepwait')
  schemas.push(schema)
  const store = postgresStore(pool, { schema })
  ;(await store.migrate())._unsafeUnwrap()
  return store
}
beforeAll(async () => {
  await pool.query('SELECT 1')
})
afterAll(async () => {
  for (const s of schemas) await dropSchema(pool, s)
  await pool.end()
})

inProcessWaitSuite('postgresStore', makeStore)
workerWaitSuite('postgresStore', makeStore)
workerSleepSuite('postgresStore', makeStore)

describe('step.sleep in process on postgresStore', () => {
  it('records { until } at the start, and a resumed run keeps it', async () => {
    const store = await makeStore()
    const ac = new AbortController()
    const wf = createWorkflow({}, { store, runId: 'pg-nap' })
    const t = Date.now()
    const p = wf(async (step) => step.sleep('nap', 60_000), { signal: ac.signal })
    let recs = await store.load('pg-nap')
    while (recs.length === 0) {
      await new Promise((r) => setTimeout(r, 5))
      recs = await store.load('pg-nap')
    }
    ac.abort()
    expect((await p)._unsafeUnwrapErr()).toMatchObject({ _tag: 'CancelledError' })
    const until = (recs[0] as StepRecord).value as { until: number }
    expect(until.until).toBeGreaterThanOrEqual(t + 60_000)
    // Resumed: the same record, no second one (it is still sleeping when cut short again).
    const ac2 = new AbortController()
    const q = wf(async (step) => step.sleep('nap', 60_000), { signal: ac2.signal })
    await new Promise((r) => setTimeout(r, 50))
    ac2.abort()
    await q
    expect((await store.load('pg-nap')).map((r) => r.value)).toEqual([until])
  })
})

import { err, errAsync, ok, okAsync, type Result } from 'neverthrow'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createClient,
  createWorker,
  defineWorkflow,
  memoryStore,
  type RunStore,
  renderTimeline,
  type Worker,
} from '../../src/index.js'
import { type PostgresStore, postgresStore } from '../../src/postgres/index.js'
import { dropSchema, freshSchema, testPool } from '../postgres/helpers.js'

const pool = testPool(10)
const schemas: string[] = []
afterAll(async () => {
  for (const s of schemas) await dropSchema(pool, s)
  await pool.end()
})

const stores: [string, () => Promise<RunStore>][] = [
  ['memoryStore', async () => memoryStore()],
  [
    'postgresStore',
    async () => {
      const schema = freshSchema('runs')
      schemas.push(schema)
      const store = postgresStore(pool, { schema })
      const m = await store.migrate()
      if (m.isErr()) throw m.error
      return store
    },
  ],
]

class PaymentDeclined extends Error {
  readonly _tag = 'PaymentDeclined' as const
}

/** Three steps; `charge` fails while `declines` > 0 (a flaky dependency), counting every call. */
function checkoutFixture() {
  const calls = { reserve: 0, charge: 0, ship: 0 }
  let declines = 1
  const deps = {
    reserve: (sku: string) => {
      calls.reserve++
      return okAsync(`hold-${sku}`)
    },
    charge: (orderId: string) => {
      calls.charge++
      return declines-- > 0 ? errAsync(new PaymentDeclined(`card declined for ${orderId}`)) : okAsync(`ch-${orderId}`)
    },
    ship: (hold: string) => {
      calls.ship++
      return okAsync(`trk-${hold}`)
    },
  }
  const checkout = defineWorkflow(
    'checkout',
    deps,
    async (step, d, input: { orderId: string; sku: string }) => {
      const hold = await step(() => d.reserve(input.sku), { name: 'reserve' })
      const charge = await step(() => d.charge(input.orderId), { name: 'charge' })
      const tracking = await step(() => d.ship(hold), { name: 'ship' })
      return { charge, tracking }
    },
    { version: 1 },
  )
  return { checkout, calls }
}

const workers: Worker[] = []
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close({ drainMs: 0 })))
})

describe.each(stores)('registered workflows on %s', (_name, makeStore) => {
  it('the same idempotencyKey started concurrently gives one run, whatever the runIds', async () => {
    const store = await makeStore()
    const { checkout } = checkoutFixture()
    const client = createClient(store)
    const started = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        client.start(checkout, { orderId: '42', sku: 'A' }, { runId: `try-${i}`, idempotencyKey: 'order-42' }),
      ),
    )
    const runs = started.map((r) => r._unsafeUnwrap())
    expect(runs.filter((r) => r.created)).toHaveLength(1)
    expect(new Set(runs.map((r) => r.runId)).size).toBe(1)
    const listed = (await client.list({ workflow: 'checkout' }))._unsafeUnwrap()
    expect(listed).toHaveLength(1)
    expect(listed[0]).toMatchObject({
      idempotencyKey: 'order-42',
      state: 'pending',
      input: { orderId: '42', sku: 'A' },
    })
  })

  it('a worker runs a started run; result answers its value; retry of a failed run re-runs only from the failed step', async () => {
    const store = await makeStore()
    const { checkout, calls } = checkoutFixture()
    const client = createClient(store, { pollMs: 10 })
    const worker = createWorker(store, [checkout], { concurrency: 2, pollMs: 10, leaseMs: 5000 })
    workers.push(worker)
    expect((await worker.start()).isOk()).toBe(true)

    const run = (await client.start(checkout, { orderId: '7', sku: 'B' }, { runId: 'order-7' }))._unsafeUnwrap()
    const failed = await client.result(run.runId, { timeoutMs: 10_000 })
    expect(failed._unsafeUnwrapErr()).toMatchObject({ _tag: 'PaymentDeclined', message: 'card declined for 7' })
    expect((await client.get(run.runId))._unsafeUnwrap()).toMatchObject({
      state: 'failed',
      error: { tag: 'PaymentDeclined', message: 'card declined for 7' },
    })
    expect(calls).toEqual({ reserve: 1, charge: 1, ship: 0 })

    const retried = await client.retry(run.runId)
    expect(retried._unsafeUnwrap()).toMatchObject({ state: 'pending' })
    const done = await client.result(run.runId, { timeoutMs: 10_000 })
    expect(done._unsafeUnwrap()).toEqual({ charge: 'ch-7', tracking: 'trk-hold-B' })
    // `reserve` replayed from its record; `charge` ran again; `ship` ran once.
    expect(calls).toEqual({ reserve: 1, charge: 2, ship: 1 })
    expect((await client.get(run.runId))._unsafeUnwrap()).toMatchObject({ state: 'succeeded', claims: 2 })
    // A succeeded run is not retried.
    expect((await client.retry(run.runId))._unsafeUnwrapErr()).toMatchObject({
      _tag: 'InvalidOptionsError',
      option: 'runId',
    })

    const history = (await client.history(run.runId))._unsafeUnwrap()
    expect(history.map((e) => e.type)).toEqual([
      'workflow_start',
      'step_start',
      'step_success',
      'step_start',
      'step_success',
      'step_start',
      'step_success',
      'workflow_success',
    ])
    expect(history.filter((e) => e.type === 'step_start').map((e) => ('name' in e ? e.name : ''))).toEqual([
      'reserve',
      'charge',
      'ship',
    ])
    for (const e of history) expect(e.ts).toBeGreaterThan(1_600_000_000_000)
    expect(renderTimeline([...history])).toContain('charge')
    expect(worker.metrics()).toMatchObject({ claimed: 2, succeeded: 1, failed: 1, running: 0 })
    if ('runEvents' in store) {
      // Postgres also keeps the run's lifecycle as rows.
      const events = await (store as PostgresStore).runEvents(run.runId)
      expect(events.map((e) => e.type)).toEqual([
        'created',
        'claimed',
        'failed',
        'requeued',
        'claimed',
        'reopened',
        'succeeded',
      ])
      expect(events[1]?.data).toMatchObject({ owner: expect.any(String), fence: 1 })
      expect(events.every((e, i) => i === 0 || e.at >= (events[i - 1]?.at ?? 0))).toBe(true)
    }
    await worker.close({ drainMs: 0 })
  })

  it('cancel: a pending run at once; a running one through its worker, whose running step is aborted', async () => {
    const store = await makeStore()
    let aborted = 0
    let entered: () => void = () => {}
    const inStep = new Promise<void>((r) => {
      entered = r
    })
    const slow = defineWorkflow('slow', {}, async (step) => {
      await step(
        ({ signal }) =>
          new Promise<Result<string, never>>((resolve) => {
            entered()
            signal.addEventListener('abort', () => {
              aborted++
              resolve(ok('stopped'))
            })
          }),
        { name: 'wait forever' },
      )
      return 'never'
    })
    const client = createClient(store, { pollMs: 10 })
    const pending = (await client.start(slow, null))._unsafeUnwrap()
    expect((await client.cancel(pending.runId))._unsafeUnwrap()).toMatchObject({ state: 'cancelled' })
    expect((await client.result(pending.runId))._unsafeUnwrapErr()).toMatchObject({ _tag: 'CancelledError' })

    const worker = createWorker(store, [slow], { pollMs: 10 })
    workers.push(worker)
    await worker.start()
    const running = (await client.start(slow, null))._unsafeUnwrap()
    await inStep
    expect((await client.cancel(running.runId))._unsafeUnwrap()).toMatchObject({ cancelRequested: true })
    expect((await client.result(running.runId, { timeoutMs: 10_000 }))._unsafeUnwrapErr()).toMatchObject({
      _tag: 'CancelledError',
    })
    expect(aborted).toBe(1)
    expect((await client.get(running.runId))._unsafeUnwrap()).toMatchObject({ state: 'cancelled' })
    await worker.close({ drainMs: 0 })
  })

  it('close({ drainMs: 0 }) hands a running run back (pending, no owner): another worker resumes it at once from its last saved step', async () => {
    const store = await makeStore()
    const ran: string[] = []
    let release: () => void = () => {}
    let entered: () => void = () => {}
    const inSecond = new Promise<void>((r) => {
      entered = r
    })
    const second = (signal: AbortSignal) =>
      new Promise<Result<number, Error>>((resolve) => {
        ran.push('second')
        entered()
        release = () => resolve(ok(2))
        signal.addEventListener('abort', () => resolve(err(new Error('aborted'))))
      })
    const two = defineWorkflow('two', { second }, async (step, deps) => {
      await step(
        () => {
          ran.push('first')
          return okAsync(1)
        },
        { name: 'first' },
      )
      await step(({ signal }) => deps.second(signal), { name: 'second' })
      return 'both'
    })
    const client = createClient(store, { pollMs: 10 })
    // A lease far longer than the test: the second worker can only get the run because it was released.
    const a = createWorker(store, [two], { pollMs: 10, leaseMs: 600_000 })
    workers.push(a)
    await a.start()
    const run = (await client.start(two, null))._unsafeUnwrap()
    await inSecond
    await a.close({ drainMs: 0 })
    expect(a.metrics()).toMatchObject({ released: 1, running: 0 })
    const info = (await client.get(run.runId))._unsafeUnwrap()
    expect(info.state).toBe('pending')
    expect(info.owner).toBeUndefined()

    const b = createWorker(store, [two], { pollMs: 10, leaseMs: 600_000 })
    workers.push(b)
    await b.start()
    await new Promise<void>((r) => {
      const t = setInterval(() => {
        if (ran.length === 3) {
          clearInterval(t)
          r()
        }
      }, 5)
    })
    release()
    expect((await client.result(run.runId, { timeoutMs: 10_000 }))._unsafeUnwrap()).toBe('both')
    expect(ran).toEqual(['first', 'second', 'second'])
    await b.close()
  })

  it('result of an unknown run is RunNotFoundError; waiting stops with TimeoutError or CancelledError, the run goes on', async () => {
    const store = await makeStore()
    const client = createClient(store, { pollMs: 5 })
    const wf = defineWorkflow('idle', {}, async () => 1)
    expect((await client.result('nope'))._unsafeUnwrapErr()).toMatchObject({ _tag: 'RunNotFoundError', runId: 'nope' })
    const run = (await client.start(wf, null))._unsafeUnwrap()
    expect((await client.result(run.runId, { timeoutMs: 20 }))._unsafeUnwrapErr()).toMatchObject({
      _tag: 'TimeoutError',
    })
    const ac = new AbortController()
    const waiting = client.result(run.runId, { signal: ac.signal })
    ac.abort('enough')
    expect((await waiting)._unsafeUnwrapErr()).toMatchObject({ _tag: 'CancelledError' })
    expect((await client.get(run.runId))._unsafeUnwrap().state).toBe('pending')
  })
})

describe('bad input is a typed err naming the option', () => {
  const store = memoryStore()
  const wf = defineWorkflow('ok', {}, async () => 1)

  it('client', async () => {
    const client = createClient(store)
    expect((await client.start(wf, { when: new Date() } as never))._unsafeUnwrapErr()).toMatchObject({
      _tag: 'InvalidOptionsError',
      option: 'input.when',
    })
    expect((await client.start(wf, null, { runId: '' }))._unsafeUnwrapErr()).toMatchObject({ option: 'runId' })
    expect((await client.start({} as never, null))._unsafeUnwrapErr()).toMatchObject({ option: 'workflow' })
    expect((await client.result('r', { timeoutMs: -1 }))._unsafeUnwrapErr()).toMatchObject({ option: 'timeoutMs' })
    expect((await createClient({} as never).list())._unsafeUnwrapErr()).toMatchObject({ option: 'store' })
    const badName = defineWorkflow('', {}, async () => 1)
    expect((await client.start(badName, null))._unsafeUnwrapErr()).toMatchObject({ option: 'name' })
  })

  it('worker', async () => {
    const cases: [Parameters<typeof createWorker>[2], string][] = [
      [{ concurrency: 0 }, 'concurrency'],
      [{ leaseMs: 0 }, 'leaseMs'],
      [{ pollMs: Number.NaN }, 'pollMs'],
      [{ signal: 'x' as never }, 'signal'],
    ]
    for (const [opts, option] of cases) {
      expect((await createWorker(store, [wf], opts).start())._unsafeUnwrapErr()).toMatchObject({
        _tag: 'InvalidOptionsError',
        option,
      })
    }
    expect((await createWorker(store, [wf, wf]).start())._unsafeUnwrapErr()).toMatchObject({ option: 'workflows[1]' })
    expect((await createWorker({} as never, [wf]).start())._unsafeUnwrapErr()).toMatchObject({ option: 'store' })
  })
})

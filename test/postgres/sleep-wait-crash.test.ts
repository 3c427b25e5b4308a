// Crash tests of the durable primitives on real Postgres, with real processes and SIGKILL:
// (a) a run SIGKILLed 2 s into a 5 s step.sleep wakes ~5 s after the sleep started, not 7 s:
//     on a worker where the run sleeps off the worker (suspended), on a worker that sleeps in
//     process (the new worker takes the lease over), and in process (createWorkflow with a
//     postgresStore, resumed in a new process);
// (c) an emit sent while no worker runs is delivered when one starts.
// The measured offsets are printed; only generous bounds are asserted.
import { type ChildProcess, fork } from 'node:child_process'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { createClient, defineWorkflow, type RunInfo } from '../../dist/index.js'
import { postgresStore } from '../../dist/postgres.js'
import { dropSchema, freshSchema, testPool } from './helpers.js'

const FIXTURE = new URL('./fixtures/primitives.mjs', import.meta.url)
const pool = testPool(6)
const schemas: string[] = []
const children = new Set<ChildProcess>()

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL')
  for (const s of schemas) await dropSchema(pool, s)
  await pool.end()
})

// Only the names matter to the client (the processes have the bodies).
const nap = defineWorkflow('nap', {}, async () => ({ t0: 0, woke: 0, pid: 0 }))
const waiter = defineWorkflow('waiter', {}, async (_step, _deps, _input: { key: string }) => ({
  payload: null as unknown,
  pid: 0,
}))

async function freshStore() {
  const schema = freshSchema('crash_prim')
  schemas.push(schema)
  const store = postgresStore(pool, { schema })
  ;(await store.migrate())._unsafeUnwrap()
  return { schema, store, client: createClient(store, { pollMs: 20 }) }
}

type Message = { type: string; [k: string]: unknown }
/** Starts a fixture process; resolves once it is ready. */
function spawn(env: Record<string, string>): Promise<{ child: ChildProcess; messages: Message[] }> {
  return new Promise((resolve, reject) => {
    const messages: Message[] = []
    const child = fork(FIXTURE, [], {
      env: { ...process.env, OKFLOW_PG_URL: inject('pgUrl'), LEASE_MS: '1000', POLL_MS: '50', ...env },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    })
    children.add(child)
    child.on('message', (m: Message) => {
      messages.push(m)
      if (m.type === 'ready') resolve({ child, messages })
    })
    child.once('exit', (code, signal) => {
      children.delete(child)
      if (code !== 0 && signal === null) reject(new Error(`fixture exited with ${code}`))
    })
  })
}

const kill = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The value a step recorded, once it is recorded. */
async function recorded(store: ReturnType<typeof postgresStore>, runId: string, key: string): Promise<unknown> {
  for (;;) {
    const rec = (await store.load(runId)).find((r) => r.key === key)
    if (rec) return rec.value
    await pause(10)
  }
}

async function stateOf(store: ReturnType<typeof postgresStore>, runId: string, state: RunInfo['state']) {
  for (;;) {
    const info = await store.getRun(runId)
    if (info?.state === state) return info
    await pause(10)
  }
}

const secs = (ms: number) => (ms / 1000).toFixed(2)

describe.concurrent('crash test (a): SIGKILL 2 s into a 5 s step.sleep', () => {
  it('on a worker, the run sleeping off the worker: a worker started after the kill wakes it at ~5 s', async () => {
    const { schema, store, client } = await freshStore()
    const run = (await client.start(nap, null, { runId: 'nap-off' }))._unsafeUnwrap()
    const first = await spawn({ MODE: 'worker', OKFLOW_SCHEMA: schema })
    const t0 = (await recorded(store, 'nap-off', 'start')) as number
    const sleeping = await stateOf(store, 'nap-off', 'sleeping')
    expect(sleeping.owner).toBeUndefined() // off the worker: no lease held
    await pause(Math.max(0, t0 + 2000 - Date.now()))
    const killedAt = Date.now() - t0
    await kill(first.child)
    await spawn({ MODE: 'worker', OKFLOW_SCHEMA: schema })
    const r = (await client.result(run.runId, { timeoutMs: 20_000 }))._unsafeUnwrap()
    const offset = r.woke - r.t0
    console.log(`sleep wake offset (worker, sleeping off the worker): ${secs(offset)} s (kill at ${secs(killedAt)} s)`)
    expect(r.t0).toBe(t0)
    expect(r.pid).not.toBe(first.child.pid)
    expect(offset).toBeGreaterThanOrEqual(5000)
    expect(offset).toBeLessThan(6900)
  }, 40_000)

  it('on a worker that sleeps in process (sleepInProcessMs: Infinity): the next worker takes the lease over and sleeps only the rest', async () => {
    const { schema, store, client } = await freshStore()
    const run = (await client.start(nap, null, { runId: 'nap-held' }))._unsafeUnwrap()
    const first = await spawn({ MODE: 'worker', OKFLOW_SCHEMA: schema, SLEEP_IN_PROCESS_MS: 'Infinity' })
    const t0 = (await recorded(store, 'nap-held', 'start')) as number
    await recorded(store, 'nap-held', 'nap')
    expect((await store.getRun('nap-held'))?.state).toBe('running') // sleeping inside the worker
    await pause(Math.max(0, t0 + 2000 - Date.now()))
    const killedAt = Date.now() - t0
    await kill(first.child)
    await spawn({ MODE: 'worker', OKFLOW_SCHEMA: schema, SLEEP_IN_PROCESS_MS: 'Infinity' })
    const r = (await client.result(run.runId, { timeoutMs: 20_000 }))._unsafeUnwrap()
    const offset = r.woke - r.t0
    console.log(`sleep wake offset (worker, sleeping in process): ${secs(offset)} s (kill at ${secs(killedAt)} s)`)
    expect(r.t0).toBe(t0)
    expect(offset).toBeGreaterThanOrEqual(5000)
    expect(offset).toBeLessThan(6900)
    expect((await client.get('nap-held'))._unsafeUnwrap().claims).toBe(2)
  }, 40_000)

  it('in process (createWorkflow with postgresStore): a new process resumes the run and sleeps only the rest', async () => {
    const { schema, store } = await freshStore()
    const env = { MODE: 'inprocess', OKFLOW_SCHEMA: schema, RUN_ID: 'nap-in' }
    const first = await spawn(env)
    const t0 = (await recorded(store, 'nap-in', 'start')) as number
    await recorded(store, 'nap-in', 'nap')
    await pause(Math.max(0, t0 + 2000 - Date.now()))
    const killedAt = Date.now() - t0
    await kill(first.child)
    const second = await spawn(env)
    for (;;) {
      if (second.messages.some((m) => m.type === 'result')) break
      await pause(20)
    }
    const msg = second.messages.find((m) => m.type === 'result') as Message & {
      ok: boolean
      value: { t0: number; woke: number }
    }
    expect(msg.ok).toBe(true)
    const offset = msg.value.woke - msg.value.t0
    console.log(
      `sleep wake offset (in process, resumed in a new process): ${secs(offset)} s (kill at ${secs(killedAt)} s)`,
    )
    expect(msg.value.t0).toBe(t0)
    expect(offset).toBeGreaterThanOrEqual(5000)
    expect(offset).toBeLessThan(6900)
  }, 40_000)
})

describe('crash test (c): an emit while no worker runs', () => {
  it('is delivered when a worker starts: the run waiting in waitFor ends with the payload', async () => {
    const { schema, store, client } = await freshStore()
    const run = (await client.start(waiter, { key: 'parcel:42' }, { runId: 'wait-1' }))._unsafeUnwrap()
    const first = await spawn({ MODE: 'worker', OKFLOW_SCHEMA: schema })
    await stateOf(store, 'wait-1', 'sleeping')
    await kill(first.child)
    // No worker runs now: the event is stored, the waiting run woken (due now).
    expect((await client.emit('parcel:42', { tracking: 'TRK-42' }))._unsafeUnwrap()).toEqual({ first: true })
    const due = await store.getRun('wait-1')
    expect(due?.state).toBe('sleeping')
    expect(due?.dueAt ?? 0).toBeLessThanOrEqual(Date.now())
    const second = await spawn({ MODE: 'worker', OKFLOW_SCHEMA: schema })
    const r = (await client.result(run.runId, { timeoutMs: 20_000 }))._unsafeUnwrap()
    expect(r).toEqual({ payload: { tracking: 'TRK-42' }, pid: second.child.pid })
    expect((await client.get('wait-1'))._unsafeUnwrap()).toMatchObject({ state: 'succeeded', claims: 2 })
  }, 40_000)
})

// Lease test with real processes and real signals: a worker frozen (SIGSTOP) inside a step past
// its lease; a second worker takes the run over and finishes it; the frozen one, resumed
// (SIGCONT), gets LeaseLostError and writes nothing to the store.
import { type ChildProcess, fork } from 'node:child_process'
import { describe, expect, inject, it } from 'vitest'
import { createClient, defineWorkflow } from '../../dist/index.js'
import { postgresStore } from '../../dist/postgres.js'
import { dropSchema, freshSchema, testPool } from './helpers.js'

const FIXTURE = new URL('./fixtures/worker.mjs', import.meta.url)
const LEASE_MS = 1500

const lease = defineWorkflow('lease', {}, async (_step, _deps, _input: { runId: string }) => 'done')

type Msg = { type: string; [k: string]: unknown }

function spawnWorker(schema: string, messages: Msg[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(FIXTURE, [], {
      env: {
        ...process.env,
        OKFLOW_PG_URL: inject('pgUrl'),
        OKFLOW_SCHEMA: schema,
        LEASE_MS: String(LEASE_MS),
        LONG_STEP_MS: '1500',
        CONCURRENCY: '1',
        POLL_MS: '50',
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    })
    child.on('message', (m: Msg) => {
      messages.push(m)
      if (m.type === 'ready') resolve(child)
    })
    child.once('exit', (code, signal) => {
      if (code !== 0 && signal === null) reject(new Error(`worker exited with ${code}`))
    })
  })
}

const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const exited = (c: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) resolve()
    else c.once('exit', () => resolve())
  })

describe('leases across processes', () => {
  it('a worker frozen with SIGSTOP past its lease loses the run to another, and after SIGCONT gets LeaseLostError and writes nothing', async () => {
    const pool = testPool(4)
    const schema = freshSchema('lease')
    const store = postgresStore(pool, { schema })
    const children: ChildProcess[] = []
    try {
      expect((await store.migrate()).isOk()).toBe(true)
      await pool.query(
        `CREATE TABLE "${schema}".side_effects (id bigserial PRIMARY KEY, run_id text, seq int, pid int, at bigint)`,
      )
      const client = createClient(store)
      const started = await client.start(lease, { runId: 'frozen' }, { runId: 'frozen' })
      expect(started.isOk()).toBe(true)

      const aMsgs: Msg[] = []
      const a = await spawnWorker(schema, aMsgs)
      children.push(a)
      await until('worker A inside the long step', () => aMsgs.some((m) => m.type === 'in-step'))
      a.kill('SIGSTOP')
      const [before] = (await pool.query(`SELECT fence, owner FROM "${schema}".runs WHERE run_id = 'frozen'`)).rows
      const aFence = Number(before.fence)

      // Past A's lease, B claims the run, replays step 0 and finishes it.
      await new Promise((r) => setTimeout(r, LEASE_MS + 500))
      const bMsgs: Msg[] = []
      const b = await spawnWorker(schema, bMsgs)
      children.push(b)
      const result = await client.result(started._unsafeUnwrap().runId, { timeoutMs: 15_000 })
      expect(result._unsafeUnwrap()).toBe('done')
      const [after] = (await pool.query(`SELECT fence, owner, state FROM "${schema}".runs WHERE run_id = 'frozen'`))
        .rows
      expect(Number(after.fence)).toBeGreaterThan(aFence)
      const recordsBefore = (
        await pool.query(`SELECT seq, fence FROM "${schema}".steps WHERE run_id = 'frozen' ORDER BY pos`)
      ).rows.map((r) => [r.seq, Number(r.fence)])

      // A wakes up: its heartbeat finds the lease gone, its running step is aborted.
      a.kill('SIGCONT')
      await until('worker A to report LeaseLostError', () =>
        aMsgs.some((m) => m.type === 'run-error' && m.tag === 'LeaseLostError'),
      )
      a.send('metrics')
      await until('worker A metrics', () => aMsgs.some((m) => m.type === 'metrics'))
      const metrics = aMsgs.find((m) => m.type === 'metrics')?.metrics as Record<string, number>
      expect(metrics).toMatchObject({ leaseLost: 1, succeeded: 0, failed: 0, running: 0 })

      // Nothing of A's after the takeover: the journal and the run row are as B left them.
      const recordsAfter = (
        await pool.query(`SELECT seq, fence FROM "${schema}".steps WHERE run_id = 'frozen' ORDER BY pos`)
      ).rows.map((r) => [r.seq, Number(r.fence)])
      expect(recordsAfter).toEqual(recordsBefore)
      expect(recordsAfter.filter(([seq]) => seq !== 0).every(([, f]) => f === Number(after.fence))).toBe(true)
      const [end] = (await pool.query(`SELECT fence, state, owner FROM "${schema}".runs WHERE run_id = 'frozen'`)).rows
      expect(end).toMatchObject({ state: 'succeeded', owner: null })
      expect(Number(end.fence)).toBe(Number(after.fence))
      // The long step ran twice (A was frozen inside it), the others once.
      const effects = (
        await pool.query(`SELECT seq, count(*)::int AS n FROM "${schema}".side_effects GROUP BY seq ORDER BY seq`)
      ).rows
      expect(effects).toEqual([
        { seq: 0, n: 1 },
        { seq: 1, n: 2 },
        { seq: 2, n: 1 },
      ])
    } finally {
      for (const c of children) {
        c.kill('SIGCONT')
        c.kill('SIGTERM')
      }
      await Promise.all(children.map(exited))
      await dropSchema(pool, schema)
      await pool.end()
    }
  }, 60_000)
})

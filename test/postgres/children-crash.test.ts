// Crash test (b) on real Postgres: a step.map over 10 000 items, one child run per item, across
// 3 worker processes; one worker is SIGKILLed mid-way. Every child's result is recorded exactly
// once (counted in SQL), and the parent's value equals a local computation. The killed worker's
// runs (children, and the parent if it held it) are taken over when their leases expire.
import { type ChildProcess, fork } from 'node:child_process'
import pg from 'pg'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { createClient, defineWorkflow } from '../../dist/index.js'
import { postgresStore } from '../../dist/postgres.js'
import { freshSchema } from './helpers.js'

const N = 10_000
const LEASE_MS = 2000
const FIXTURE = new URL('./fixtures/children-worker.mjs', import.meta.url)
const SCHEMA = freshSchema('children_crash')

// Only the name matters to the client (the workers have the body).
const parent = defineWorkflow('crash-map', {}, async (_step, _deps, _input: { n: number }) => [] as number[])

const pool = new pg.Pool({ connectionString: inject('pgUrl'), max: 4 })
pool.on('error', () => {})
afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`)
  await pool.end()
})

const count = async (where: string, params: unknown[] = []) =>
  Number(
    (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${SCHEMA}".runs WHERE ${where}`, params)).rows[0]?.n,
  )

describe('crash test: step.map over 10 000 items, 3 worker processes, one SIGKILLed', () => {
  it('every child result is recorded exactly once and the value is the local computation', async () => {
    const store = postgresStore(pool, { schema: SCHEMA })
    expect((await store.migrate()).isOk()).toBe(true)
    const live = new Map<string, ChildProcess>()
    const spawnWorker = (owner: string) =>
      new Promise<void>((resolve, reject) => {
        const child = fork(FIXTURE, [], {
          env: {
            ...process.env,
            OKFLOW_PG_URL: inject('pgUrl'),
            OKFLOW_SCHEMA: SCHEMA,
            LEASE_MS: String(LEASE_MS),
            CONCURRENCY: '8',
            POLL_MS: '20',
            OWNER: owner,
          },
          stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        })
        child.on('message', (m: { type: string }) => m.type === 'ready' && resolve())
        child.once('exit', (code, signal) => {
          live.delete(owner)
          if (code !== 0 && signal === null) reject(new Error(`worker exited with ${code}`))
        })
        live.set(owner, child)
      })
    await Promise.all(['w1', 'w2', 'w3'].map(spawnWorker))

    const t0 = Date.now()
    const client = createClient(store, { pollMs: 50 })
    expect((await client.start(parent, { n: N }, { runId: 'big' })).isOk()).toBe(true)
    // SIGKILL one worker once about a third of the children have ended.
    let killedAt: { done: number; ms: number } | undefined
    while (!killedAt && Date.now() - t0 < 240_000) {
      await new Promise((r) => setTimeout(r, 100))
      const done = await count(`parent_id = 'big' AND state = 'succeeded'`)
      if (done >= N / 3) {
        live.get('w2')?.kill('SIGKILL')
        killedAt = { done, ms: Date.now() - t0 }
      }
    }
    expect(killedAt).toBeDefined()
    const r = await client.result('big', { timeoutMs: 300_000 })
    const ms = Date.now() - t0

    const expected = Array.from({ length: N }, (_, i) => (i * i) % 1_000_003)
    expect(r.isOk()).toBe(true)
    expect(r._unsafeUnwrap()).toEqual(expected)

    // Every child: one run, ended ok, and exactly one outcome record (its task's step is not
    // recorded: the outcome is the child's only row).
    const rows = await pool.query<{ runs: string; ok: string; outcomes: string; records: string; reclaimed: string }>(
      `SELECT
         (SELECT count(*) FROM "${SCHEMA}".runs WHERE parent_id = 'big') AS runs,
         (SELECT count(*) FROM "${SCHEMA}".runs WHERE parent_id = 'big' AND state = 'succeeded') AS ok,
         (SELECT count(*) FROM "${SCHEMA}".steps s JOIN "${SCHEMA}".runs r ON r.run_id = s.run_id
           WHERE r.parent_id = 'big' AND s.seq = -1) AS outcomes,
         (SELECT count(*) FROM "${SCHEMA}".steps s JOIN "${SCHEMA}".runs r ON r.run_id = s.run_id
           WHERE r.parent_id = 'big') AS records,
         (SELECT count(*) FROM "${SCHEMA}".runs WHERE parent_id = 'big' AND claims > 1) AS reclaimed`,
    )
    const twice = await pool.query(
      `SELECT s.run_id FROM "${SCHEMA}".steps s JOIN "${SCHEMA}".runs r ON r.run_id = s.run_id
       WHERE r.parent_id = 'big' AND s.seq = -1 GROUP BY s.run_id HAVING count(*) <> 1`,
    )
    const stats = rows.rows[0]
    const parentRecords = await pool.query<{ seq: number }>(
      `SELECT seq FROM "${SCHEMA}".steps WHERE run_id = 'big' ORDER BY seq`,
    )

    const exits = await Promise.all(
      [...live.values()].map(
        (c) =>
          new Promise<number | null>((resolve) => {
            c.once('exit', (code) => resolve(code))
            c.kill('SIGTERM')
          }),
      ),
    )
    console.log(
      [
        `child-run crash test: ${N} children, 3 workers, one SIGKILLed at ${killedAt?.ms} ms with ${killedAt?.done} children done`,
        `  finished in ${ms} ms; child runs ${stats?.runs}, ok ${stats?.ok}, outcome records ${stats?.outcomes} (records in all ${stats?.records}); children claimed more than once (taken over from the killed worker): ${stats?.reclaimed}`,
      ].join('\n'),
    )
    expect(exits).toEqual([0, 0])
    expect(Number(stats?.runs)).toBe(N)
    expect(Number(stats?.ok)).toBe(N)
    expect(Number(stats?.outcomes)).toBe(N)
    expect(Number(stats?.records)).toBe(N)
    expect(twice.rows).toEqual([])
    // The parent: its map recorded once, and its outcome.
    expect(parentRecords.rows.map((x) => x.seq)).toEqual([-1, 0])
  }, 400_000)
})

// Crash test on real Postgres: 3 worker processes share 100 runs of a 30-step workflow; workers
// are SIGKILLed at random moments and restarted, and the server itself is stopped with
// `pg_ctl stop -m immediate` (a crash) and restarted once mid-run. Every step body writes a row
// to a side-effect table, so executions are counted independently of the journal.
import { type ChildProcess, fork } from 'node:child_process'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, defineWorkflow } from '../../dist/index.js'
import { postgresStore } from '../../dist/postgres.js'
import { type Cluster, startCluster } from '../setup/pg-cluster.mjs'

const RUNS = 100
const STEPS = 30
const LEASE_MS = 3000
const SCHEMA = 'crash'
const FIXTURE = new URL('./fixtures/worker.mjs', import.meta.url)

// Only the name matters to the client (the workers have the body).
const crash = defineWorkflow('crash', {}, async (_step, _deps, _input: { runId: string }) => ({ sum: 0 }))

let cluster: Cluster
let pool: pg.Pool

beforeAll(async () => {
  // Its own cluster: this test stops the server, which must not cut off other test files.
  cluster = await startCluster()
  pool = new pg.Pool({ connectionString: cluster.url, max: 4 })
  pool.on('error', () => {})
}, 60_000)

afterAll(async () => {
  await pool?.end()
  cluster?.destroy()
})

/** Retries a query while the server is down (the test's own view must survive the restart). */
async function query<R extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<R[]> {
  for (let i = 0; ; i++) {
    try {
      return (await pool.query<R>(text, params)).rows
    } catch (e) {
      if (i > 100) throw e
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

describe('crash test: 3 workers, SIGKILLs and a Postgres crash', () => {
  it(`${RUNS} runs of a ${STEPS}-step workflow all finish; no run lost, no step recorded twice`, async () => {
    const store = postgresStore(pool, { schema: SCHEMA })
    expect((await store.migrate()).isOk()).toBe(true)
    await query(
      `CREATE TABLE "${SCHEMA}".side_effects (id bigserial PRIMARY KEY, run_id text, seq int, pid int, at bigint)`,
    )
    const client = createClient(store)
    for (let i = 0; i < RUNS; i++) {
      const runId = `run-${String(i).padStart(3, '0')}`
      const r = await client.start(crash, { runId }, { runId })
      expect(r.isOk()).toBe(true)
    }

    const killed = new Set<number>()
    const live = new Map<number, ChildProcess>()
    const spawnWorker = () =>
      new Promise<void>((resolve, reject) => {
        const child = fork(FIXTURE, [], {
          env: {
            ...process.env,
            OKFLOW_PG_URL: cluster.url,
            OKFLOW_SCHEMA: SCHEMA,
            LEASE_MS: String(LEASE_MS),
            CONCURRENCY: '4',
            POLL_MS: '50',
            STEPS: String(STEPS),
          },
          stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        })
        child.on('message', (m: { type: string }) => {
          if (m.type === 'ready') resolve()
        })
        child.once('exit', (code, signal) => {
          live.delete(child.pid as number)
          if (code !== 0 && signal === null) reject(new Error(`worker exited with ${code}`))
        })
        live.set(child.pid as number, child)
      })
    await Promise.all([spawnWorker(), spawnWorker(), spawnWorker()])

    const finished = async () =>
      Number((await query<{ n: string }>(`SELECT count(*) AS n FROM "${SCHEMA}".runs WHERE state = 'succeeded'`))[0]?.n)
    const deadline = Date.now() + 55_000
    let outage: { from: number; to: number } | undefined
    let kills = 0
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 900))
      const done = await finished()
      if (done >= RUNS) break
      if (!outage && done >= RUNS * 0.35) {
        // The database crashes: no checkpoint, every connection cut off.
        const from = Date.now()
        cluster.stop('immediate')
        await new Promise((r) => setTimeout(r, 700))
        cluster.start()
        outage = { from, to: Date.now() }
        continue
      }
      // SIGKILL a random worker (it may be inside a step, or between a step and its record)
      // and start a replacement.
      const pids = [...live.keys()]
      const victim = pids[Math.floor(Math.random() * pids.length)]
      if (victim !== undefined && kills < 12) {
        live.get(victim)?.kill('SIGKILL')
        killed.add(victim)
        kills++
        await spawnWorker()
      }
    }
    const done = await finished()

    // Graceful stop of the survivors: SIGTERM → shutdownSignal → worker.close → exit 0.
    const exits = await Promise.all(
      [...live.values()].map(
        (c) =>
          new Promise<[number | null, boolean]>((resolve) => {
            let closed = false
            c.on('message', (m: { type: string }) => {
              if (m.type === 'closed') closed = true
            })
            c.once('exit', (code) => resolve([code, closed]))
            c.kill('SIGTERM')
          }),
      ),
    )
    expect(exits).toEqual(exits.map(() => [0, true]))

    const lost = await query<{ run_id: string; state: string }>(
      `SELECT run_id, state FROM "${SCHEMA}".runs WHERE state <> 'succeeded' ORDER BY run_id`,
    )
    const twice = await query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT run_id, seq FROM "${SCHEMA}".steps GROUP BY run_id, seq HAVING count(*) > 1) d`,
    )
    const perRun = await query<{ run_id: string; n: string }>(
      `SELECT run_id, count(*) AS n FROM "${SCHEMA}".steps GROUP BY run_id`,
    )
    const effects = await query<{ run_id: string; seq: number; pid: number; at: string }>(
      `SELECT run_id, seq, pid, at FROM "${SCHEMA}".side_effects ORDER BY id`,
    )
    // Executions per step; a re-execution is explained when the earlier one ran in a process
    // that was SIGKILLed, or around the server crash (its record could not be written).
    const byStep = new Map<string, { pid: number; at: number }[]>()
    for (const e of effects) {
      const k = `${e.run_id}/${e.seq}`
      byStep.set(k, [...(byStep.get(k) ?? []), { pid: e.pid, at: Number(e.at) }])
    }
    let twiceExecuted = 0
    let unexplained = 0
    for (const runs of byStep.values()) {
      for (const earlier of runs.slice(0, -1)) {
        twiceExecuted++
        const nearOutage =
          outage !== undefined && earlier.at >= outage.from - 2000 && earlier.at <= outage.to + LEASE_MS + 2000
        if (!killed.has(earlier.pid) && !nearOutage) unexplained++
      }
    }
    const results = await Promise.all(
      Array.from({ length: RUNS }, (_, i) => client.result(`run-${String(i).padStart(3, '0')}`, { timeoutMs: 5000 })),
    )
    const wrong = results.filter((r) => !(r.isOk() && (r.value as { sum: number }).sum === (STEPS * (STEPS - 1)) / 2))

    console.log(
      [
        `crash test: ${kills} worker SIGKILLs, Postgres crashed (stop -m immediate) ${outage ? 'once' : 'never'}`,
        `  runs finished: ${done} of ${RUNS}`,
        `  runs lost: ${lost.length}${lost.length ? ` (${lost.map((l) => `${l.run_id}:${l.state}`).join(', ')})` : ''}`,
        `  step records written twice: ${Number(twice[0]?.n)}`,
        `  step bodies executed twice: ${twiceExecuted} (at a kill or the server crash: ${twiceExecuted - unexplained}; otherwise: ${unexplained})`,
      ].join('\n'),
    )
    expect(outage).toBeDefined()
    expect(kills).toBeGreaterThan(0)
    expect(lost).toEqual([])
    expect(done).toBe(RUNS)
    expect(Number(twice[0]?.n)).toBe(0)
    expect(perRun).toHaveLength(RUNS)
    for (const r of perRun) expect(Number(r.n)).toBe(STEPS + 1) // 30 steps and the outcome
    expect(byStep.size).toBe(RUNS * STEPS) // every step body ran
    expect(unexplained).toBe(0)
    expect(wrong).toEqual([])
  }, 120_000)
})

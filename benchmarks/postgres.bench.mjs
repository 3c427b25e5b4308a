// Durable runs on Postgres. Starts its own throw-away cluster (test/setup/pg-cluster.mjs, fsync
// off), then measures in 3 fresh processes and reports ranges (min–max of the 3 medians):
// 1. per-step cost of a 20-step workflow: no store, memoryStore, fileStore, postgresStore, and
//    DBOS Transact (@dbos-inc/dbos-sdk) on the same server, each step a trivial function;
// 2. runs per second of a 10-step workflow with 1, 2 and 4 worker processes on one Postgres.
// The machine is small (2 vCPUs) and shared: read ratios, not absolute numbers.
import { closeSync, fdatasync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { okAsync } from 'neverthrow'
import pg from 'pg'
import { startCluster } from '../test/setup/pg-cluster.mjs'
import { inProcesses, medians, range, startWorkers, stopWorkers } from './pg-harness.mjs'

const SELF = fileURLToPath(import.meta.url)
const STEPS = 20
const CHILD = '--okflow-pg-bench-child'

async function child(url) {
  const { createWorkflow, fileStore, memoryStore } = await import('../dist/index.js')
  const { postgresStore } = await import('../dist/postgres.js')
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  const schema = `bench_${process.pid}`
  const store = postgresStore(pool, { schema })
  const m = await store.migrate()
  if (m.isErr()) throw m.error
  const dir = mkdtempSync(join(tmpdir(), 'okflow-pg-bench-'))
  const body = async (step) => {
    let sum = 0
    for (let i = 0; i < STEPS; i++) sum += await step(() => okAsync(i), { name: `step ${i}` })
    return sum
  }
  const expect = (STEPS * (STEPS - 1)) / 2
  const check = (r) => {
    if (r.isErr() || r.value !== expect) throw new Error(`bad result ${JSON.stringify(r)}`)
  }
  let n = 0
  const plain = createWorkflow({}, { name: 'bench' })
  const mem = createWorkflow({}, { name: 'bench', store: memoryStore() })
  const file = createWorkflow({}, { name: 'bench', store: fileStore(dir) })
  const pgw = createWorkflow({}, { name: 'bench', store })
  const cases = [
    { name: 'no store', fn: async () => check(await plain(body)) },
    { name: 'memoryStore', fn: async () => check(await mem(body, { runId: `m${n++}` })) },
    { name: 'fileStore', fn: async () => check(await file(body, { runId: `f${n++}` })) },
    { name: 'postgresStore', fn: async () => check(await pgw(body, { runId: `p${n++}` })) },
  ]
  let dbos
  try {
    ;({ DBOS: dbos } = await import('@dbos-inc/dbos-sdk'))
  } catch {
    dbos = undefined
  }
  if (dbos) {
    const dbUrl = url.replace(/\/postgres$/, `/dbos_${process.pid}`)
    dbos.setConfig({ name: 'okflow-bench', systemDatabaseUrl: dbUrl, logLevel: 'error', runAdminServer: false })
    const wf = dbos.registerWorkflow(
      async () => {
        let sum = 0
        for (let i = 0; i < STEPS; i++) sum += await dbos.runStep(async () => i, { name: `step ${i}` })
        return sum
      },
      { name: 'bench' },
    )
    await dbos.launch()
    cases.push({
      name: 'DBOS Transact',
      fn: async () => {
        if ((await wf()) !== expect) throw new Error('bad DBOS result')
      },
    })
  }
  const res = await medians(cases)
  // The floor of a durable local append: one write + one fdatasync on the same disk.
  const fd = openSync(join(dir, 'fdatasync.log'), 'a')
  const line = Buffer.from(`${JSON.stringify({ seq: 1, key: 'step 1', ok: true, value: 1 })}\n`)
  const sync = await medians([
    {
      name: 'fdatasync',
      fn: () =>
        new Promise((resolve, reject) => {
          writeSync(fd, line)
          fdatasync(fd, (e) => (e ? reject(e) : resolve()))
        }),
    },
  ])
  closeSync(fd)
  if (dbos) await dbos.shutdown()
  await pool.query(`DROP SCHEMA "${schema}" CASCADE`)
  await pool.end()
  rmSync(dir, { recursive: true, force: true })
  process.send?.({
    perStepMs: Object.fromEntries(Object.entries(res).map(([k, v]) => [k, v / STEPS])),
    fdatasyncMs: sync.fdatasync,
  })
}

/** Runs per second: `runs` pending runs of a `steps`-step workflow, `workers` processes of `concurrency` each. */
async function throughput(url, { workers, runs = 120, steps = 10, concurrency = 8 }) {
  const { postgresStore } = await import('../dist/postgres.js')
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  const schema = `tp_${workers}_${Date.now()}`
  const store = postgresStore(pool, { schema })
  const m = await store.migrate()
  if (m.isErr()) throw m.error
  const kids = await startWorkers(
    new URL('./workers/pg-runs-worker.mjs', import.meta.url),
    [url, schema, steps, concurrency],
    workers,
  )
  const t0 = performance.now()
  // One statement makes every run pending at once (what many client.start calls would leave).
  await pool.query(
    `INSERT INTO "${schema}".runs (run_id, workflow, version, state, input, created_at, updated_at)
     SELECT 'r' || g, 'bench-steps', 1, 'pending', 'null', $1, $1 FROM generate_series(1, $2) g`,
    [Date.now(), runs],
  )
  for (;;) {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".runs WHERE state = 'succeeded'`)
    if (rows[0].n >= runs) break
    await new Promise((r) => setTimeout(r, 10))
  }
  const ms = performance.now() - t0
  await stopWorkers(kids)
  await pool.query(`DROP SCHEMA "${schema}" CASCADE`)
  await pool.end()
  return runs / (ms / 1000)
}

async function main() {
  const cluster = await startCluster()
  try {
    const perStep = await inProcesses(SELF, [CHILD, cluster.url])
    const names = Object.keys(perStep[0].perStepMs)
    const us = (ms) => `${(ms * 1000).toFixed(0)}`
    console.log(`\n## Durable ${STEPS}-step workflow: cost per step (3 processes, range of medians)\n`)
    console.log('| store | µs per step | × no store | × DBOS Transact |')
    console.log('|---|---:|---:|---:|')
    for (const n of names) {
      const v = perStep.map((p) => p.perStepMs[n])
      const base = perStep.map((p) => p.perStepMs[n] / p.perStepMs['no store'])
      const dbos = perStep.every((p) => p.perStepMs['DBOS Transact'])
        ? range(
            perStep.map((p) => p.perStepMs[n] / p.perStepMs['DBOS Transact']),
            (x) => `${x < 0.1 ? x.toFixed(3) : x.toFixed(2)}×`,
          )
        : 'n/a (DBOS not installed)'
      console.log(`| ${n} | ${range(v, us)} | ${range(base, (x) => `${x.toFixed(1)}×`)} | ${dbos} |`)
    }
    const ratio = perStep.map((p) => p.perStepMs.fileStore / p.fdatasyncMs)
    console.log(
      `\nfileStore per step ÷ one write + fdatasync on the same disk (${range(
        perStep.map((p) => p.fdatasyncMs),
        us,
      )} µs): ${range(ratio, (x) => `${x.toFixed(2)}×`)}`,
    )
    console.log('\n## Runs per second, 10-step workflow, worker processes on one Postgres (3 repetitions)\n')
    console.log('| workers (× 8 concurrent runs) | runs/s | × 1 worker |')
    console.log('|---|---:|---:|')
    const tp = { 1: [], 2: [], 4: [] }
    for (let rep = 0; rep < 3; rep++) {
      for (const w of [1, 2, 4]) tp[w].push(await throughput(cluster.url, { workers: w }))
    }
    for (const w of [1, 2, 4]) {
      const ratio = tp[w].map((x, i) => x / tp[1][i])
      console.log(`| ${w} | ${range(tp[w], (x) => x.toFixed(0))} | ${range(ratio, (x) => `${x.toFixed(2)}×`)} |`)
    }
  } finally {
    cluster.destroy()
  }
}

if (process.argv[2] === CHILD) {
  await child(process.argv[3])
} else {
  await main()
}

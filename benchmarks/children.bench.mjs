// Child runs on Postgres (`step.map` across worker processes). Starts its own throw-away cluster
// (test/setup/pg-cluster.mjs, fsync off), then, in 3 fresh processes (ranges = min–max of the 3):
// 1. the per-step cost of a plain durable step on the same server (a 20-step workflow in
//    process, postgresStore: the figure of the Postgres issue, measured again in the same run);
// 2. a `step.map` of N trivial children (default 10 000) with 1 and with 3 worker processes
//    (8 concurrent runs each): children per second, and the wall time per child against the
//    per-step cost. The machine is small (2 vCPUs) and shared: read ratios, not absolute numbers.
// OKFLOW_BENCH_CHILDREN=n changes N; OKFLOW_BENCH_CHUNK=k maps with chunkSize k.
import { fileURLToPath } from 'node:url'
import { okAsync } from 'neverthrow'
import pg from 'pg'
import { startCluster } from '../test/setup/pg-cluster.mjs'
import { inProcesses, medians, range, startWorkers, stopWorkers } from './pg-harness.mjs'

const SELF = fileURLToPath(import.meta.url)
const CHILD = '--okflow-children-bench-child'
const N = Number(process.env.OKFLOW_BENCH_CHILDREN ?? 10_000)
const CHUNK = Number(process.env.OKFLOW_BENCH_CHUNK ?? 0)
const STEPS = 20

/** µs per step of a plain durable 20-step workflow on this server. */
async function perStep(url) {
  const { createWorkflow } = await import('../dist/index.js')
  const { postgresStore } = await import('../dist/postgres.js')
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  const schema = `steps_${process.pid}`
  const store = postgresStore(pool, { schema })
  const m = await store.migrate()
  if (m.isErr()) throw m.error
  const wf = createWorkflow({}, { name: 'bench', store })
  let n = 0
  const body = async (step) => {
    let sum = 0
    for (let i = 0; i < STEPS; i++) sum += await step(() => okAsync(i), { name: `step ${i}` })
    return sum
  }
  const { run: ms } = await medians([
    {
      name: 'run',
      fn: async () => {
        const r = await wf(body, { runId: `s${n++}` })
        if (r.isErr()) throw r.error
      },
    },
  ])
  await pool.query(`DROP SCHEMA "${schema}" CASCADE`)
  await pool.end()
  return (ms / STEPS) * 1000
}

/** Wall ms for one `step.map` of N children with `workers` worker processes. */
async function mapOnce(url, workers) {
  const { createClient, defineWorkflow } = await import('../dist/index.js')
  const { postgresStore } = await import('../dist/postgres.js')
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  pool.on('error', () => {})
  const schema = `map_${workers}_${process.pid}_${Date.now()}`
  const store = postgresStore(pool, { schema })
  const m = await store.migrate()
  if (m.isErr()) throw m.error
  const kids = await startWorkers(
    new URL('./workers/pg-children-worker.mjs', import.meta.url),
    [url, schema, '8'],
    workers,
  )
  // Only the name matters to the client: the workers have the body.
  const parent = defineWorkflow('bench-map', {}, async () => [])
  const client = createClient(store, { pollMs: 20 })
  const t0 = performance.now()
  await client.start(parent, { n: N, chunkSize: CHUNK || undefined }, { runId: 'parent' })
  const r = await client.result('parent', { timeoutMs: 30 * 60_000 })
  const ms = performance.now() - t0
  if (r.isErr() || r.value.length !== N || r.value[N - 1] !== N) throw new Error(`bad result ${String(r.error)}`)
  await stopWorkers(kids)
  await pool.query(`DROP SCHEMA "${schema}" CASCADE`)
  await pool.end()
  return ms
}

async function child(url) {
  const stepUs = await perStep(url)
  const one = await mapOnce(url, 1)
  const three = await mapOnce(url, 3)
  process.send?.({ stepUs, one, three })
}

async function main() {
  const cluster = await startCluster()
  try {
    const reps = await inProcesses(SELF, [CHILD, cluster.url])
    const what = CHUNK ? `${N} items in chunks of ${CHUNK}` : `${N} children`
    console.log(`\n## step.map of ${what} on Postgres (3 processes, ranges)\n`)
    console.log(
      '| worker processes (× 8 concurrent runs) | wall s | children/s | µs per child (wall ÷ N) | × one durable step |',
    )
    console.log('|---|---:|---:|---:|---:|')
    for (const [label, key] of [
      ['1', 'one'],
      ['3', 'three'],
    ]) {
      const ms = reps.map((r) => r[key])
      console.log(
        `| ${label} | ${range(ms, (x) => (x / 1000).toFixed(1))} | ${range(
          ms.map((x) => N / (x / 1000)),
          (x) => x.toFixed(0),
        )} | ${range(
          ms.map((x) => (x * 1000) / N),
          (x) => x.toFixed(0),
        )} | ${range(
          reps.map((r) => (r[key] * 1000) / N / r.stepUs),
          (x) => `${x.toFixed(2)}×`,
        )} |`,
      )
    }
    console.log(
      `\none durable step (20-step workflow, in process, same server): ${range(
        reps.map((r) => r.stepUs),
        (x) => x.toFixed(0),
      )} µs`,
    )
  } finally {
    cluster.destroy()
  }
}

if (process.argv[2] === CHILD) {
  await child(process.argv[3])
} else {
  await main()
}

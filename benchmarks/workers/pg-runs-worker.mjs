// A worker process for benchmarks/postgres.bench.mjs: runs 'bench-steps' runs from Postgres.
import { okAsync } from 'neverthrow'
import pg from 'pg'
import { createWorker, defineWorkflow, shutdownSignal } from '../../dist/index.js'
import { postgresStore } from '../../dist/postgres.js'

const [url, schema, steps, concurrency] = process.argv.slice(2)
const pool = new pg.Pool({ connectionString: url, max: Number(concurrency) + 2 })
pool.on('error', () => {})
const store = postgresStore(pool, { schema })
const wf = defineWorkflow('bench-steps', {}, async (step) => {
  let sum = 0
  for (let i = 0; i < Number(steps); i++) sum += await step(() => okAsync(i), { name: `step ${i}` })
  return sum
})
const stop = shutdownSignal()
const worker = createWorker(store, [wf], {
  concurrency: Number(concurrency),
  pollMs: 10,
  leaseMs: 30_000,
  signal: stop,
})
stop.addEventListener('abort', async () => {
  await worker.close({ drainMs: 0 })
  await pool.end()
  process.disconnect?.()
})
await worker.start()
process.send?.('ready')

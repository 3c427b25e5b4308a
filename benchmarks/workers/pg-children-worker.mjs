// A worker process for benchmarks/children.bench.mjs: runs 'bench-map' parents and their
// 'bench-inc' children from Postgres.
import { okAsync } from 'neverthrow'
import pg from 'pg'
import { createWorker, defineTask, defineWorkflow, shutdownSignal } from '../../dist/index.js'
import { postgresStore } from '../../dist/postgres.js'

const [url, schema, concurrency] = process.argv.slice(2)
const pool = new pg.Pool({ connectionString: url, max: Number(concurrency) + 2 })
pool.on('error', () => {})
const store = postgresStore(pool, { schema })
const inc = defineTask('bench-inc', (x) => okAsync(x + 1))
const parent = defineWorkflow('bench-map', { inc }, (step, deps, input) =>
  step.map(
    'children',
    Array.from({ length: input.n }, (_, i) => i),
    deps.inc,
    input.chunkSize ? { chunkSize: input.chunkSize } : {},
  ),
)
const stop = shutdownSignal()
const worker = createWorker(store, [parent, inc], {
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

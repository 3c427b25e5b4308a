// Offload CPU work to worker threads: SHA-256 of 32 × 1 MiB chunks on a typed okflow pool.
// Shows typed task names/inputs/outputs from the tasks module, a tagged error crossing the thread
// boundary, a timeout that replaces a busy thread, pool.metrics() and pool.close().
// Run: npm run example -- sha256-offload

import { createHash, randomFillSync } from 'node:crypto'
import { allAsync } from 'okflow'
import { createWorkerPool } from 'okflow/worker'
import { match } from 'ts-pattern'

type HashTasks = typeof import('./tasks/hash-tasks.mjs').default

const created = createWorkerPool<HashTasks>(new URL('./tasks/hash-tasks.mjs', import.meta.url), {
  minThreads: 2,
  maxThreads: 2,
  maxQueue: 64, // backpressure: a 65th waiting task would get QueueFullError at once
})
if (created.isErr()) {
  console.error(`cannot create the pool: ${created.error.message}`)
  process.exit(1)
}
const pool = created.value

// The chunks live in one SharedArrayBuffer, so each task receives a view instead of a 1 MiB copy.
const MiB = 1 << 20
const CHUNKS = 32
const shared = new Uint8Array(new SharedArrayBuffer(CHUNKS * MiB))
randomFillSync(shared)
const chunks = Array.from({ length: CHUNKS }, (_, i) => shared.subarray(i * MiB, (i + 1) * MiB))

// 1. Hash every chunk on the pool; allAsync keeps input order and stops at the first error.
const started = performance.now()
const digests = await allAsync(chunks.map((bytes, chunk) => () => pool.run('sha256', { chunk, bytes })))
const poolMs = Math.round(performance.now() - started)
if (digests.isErr()) {
  console.error(`hashing failed: ${digests.error.message}`)
  process.exit(1)
}
const expected = chunks.map((c) => createHash('sha256').update(c).digest('hex'))
const same = digests.value.every((d, i) => d === expected[i])
console.log(`1. hashed ${CHUNKS} × 1 MiB on 2 threads in ~${poolMs} ms (thread start-up included)`)
console.log(`   chunk 0: ${digests.value[0]}`)
console.log(`   ${same ? 'all digests match the main thread' : 'DIGESTS DIFFER'}`)

// 2. A typed error from the worker keeps its _tag and fields.
const empty = await pool.run('sha256', { chunk: 7, bytes: new Uint8Array(0) })
console.log(
  `2. empty chunk → ${empty.match(
    (d) => `ok ${d}`,
    (e) =>
      match(e)
        .with({ _tag: 'EmptyInput' }, (x) => `EmptyInput (chunk ${x.chunk}): ${x.message}`)
        .otherwise((x) => `${x._tag}: ${x.message}`),
  )}`,
)

// 3. A task that runs too long: TimeoutError, and its thread is replaced (a loop cannot hold it).
const slow = await pool.run('stretch', 1e9, { timeoutMs: 50 })
console.log(
  `3. stretch(1e9) → ${slow.match(
    (d) => `ok ${d}`,
    (e) => `${e._tag}: ${e.message}`,
  )}`,
)

// 4. The pool's counters.
const m = pool.metrics()
console.log(
  `4. metrics: submitted=${m.submitted} completed=${m.completed} failed=${m.failed} timedOut=${m.timedOut} ` +
    `cancelled=${m.cancelled} queued=${m.queued} running=${m.running} threads=${m.threads} peakThreads=${m.peakThreads} ` +
    `busyMs=${Math.round(m.busyMs)} utilization=${m.utilization.toFixed(2)}`,
)

// 5. Close: waits for running tasks, stops every thread; later runs get CancelledError.
await pool.close()
const late = await pool.run('sha256', { chunk: 0, bytes: chunks[0]! })
console.log(
  `5. closed: threads=${pool.metrics().threads}; a run after close → ${late.isErr() ? late.error._tag : 'ok'}`,
)

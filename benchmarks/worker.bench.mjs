// Worker pool: okflow's cost against raw piscina on trivial tasks, and the speed-up on CPU work
// against raw worker_threads (the ceiling) and raw piscina.
// Run `npm run build` first (imports ../dist/worker.js).
import { createHash, randomBytes } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import { Piscina } from 'piscina'
import { Tinypool } from 'tinypool'
import workerpool from 'workerpool'
import { createWorkerPool } from '../dist/worker.js'
import { compareOnce } from './harness.mjs'

const here = (f) => new URL(f, import.meta.url)
const THREADS = 2
const N = 2000

const piscina = new Piscina({ filename: here('./workers/noop.mjs').href, minThreads: THREADS, maxThreads: THREADS })
const tinypool = new Tinypool({ filename: here('./workers/noop.mjs').href, minThreads: THREADS, maxThreads: THREADS })
const wpool = workerpool.pool(here('./workers/workerpool-noop.cjs').pathname, {
  minWorkers: THREADS,
  maxWorkers: THREADS,
  workerType: 'thread',
})
const okflow = createWorkerPool(here('./workers/okflow-tasks.mjs'), {
  minThreads: THREADS,
  maxThreads: THREADS,
})._unsafeUnwrap()
// The same without recording each run's call site (the largest per-run cost on the main thread).
const okflowNoSites = createWorkerPool(here('./workers/okflow-tasks.mjs'), {
  minThreads: THREADS,
  maxThreads: THREADS,
  callSites: false,
})._unsafeUnwrap()

const many = (run) => () => {
  const all = new Array(N)
  for (let i = 0; i < N; i++) all[i] = run(i)
  return Promise.all(all)
}

await compareOnce(
  `${N} trivial tasks on ${THREADS} threads`,
  [
    { name: 'piscina (raw)', fn: many((i) => piscina.run(i)) },
    { name: 'okflow pool', fn: many((i) => okflow.run('noop', i)) },
    { name: 'okflow pool, callSites: false', fn: many((i) => okflowNoSites.run('noop', i)) },
    { name: 'workerpool', fn: many((i) => wpool.exec('noop', [i])) },
    { name: 'tinypool', fn: many((i) => tinypool.run(i)) },
  ],
  { rounds: 15, warmup: 2 },
)

// The chunks live in one SharedArrayBuffer, so a task receives a view, not a 1 MiB copy: this
// machine hashes at ~1.5 GB/s, so copying each chunk to a thread would cost as much as hashing it.
// History and targets: benchmarks/README.md.
const MiB = 1 << 20
const shared = new Uint8Array(new SharedArrayBuffer(64 * MiB))
shared.set(randomBytes(64 * MiB))
const chunks = Array.from({ length: 64 }, (_, i) => shared.subarray(i * MiB, (i + 1) * MiB))
const digests = (rs) => rs.map((r) => r._unsafeUnwrap())
const expected = chunks.map((c) => createHash('sha256').update(c).digest('hex'))
if (digests(await Promise.all(chunks.map((c) => okflow.run('sha256', c)))).join() !== expected.join()) {
  throw new Error('pool digests differ from the main thread')
}
// Raw worker_threads: one postMessage per chunk, round-robin, all posted at once (the ceiling).
const raw = Array.from({ length: THREADS }, () => new Worker(here('./workers/raw-sha.mjs')))
const waiting = new Map()
let nextId = 0
for (const w of raw) w.on('message', ([id, digest]) => waiting.get(id)(digest))
const rawRun = (bytes, i) =>
  new Promise((resolve) => {
    const id = nextId++
    waiting.set(id, (digest) => {
      waiting.delete(id)
      resolve(digest)
    })
    raw[i % THREADS].postMessage([id, bytes])
  })
if ((await Promise.all(chunks.map(rawRun))).join() !== expected.join()) throw new Error('raw digests differ')
const piscinaSha = new Piscina({
  filename: here('./workers/okflow-tasks.mjs').href,
  minThreads: THREADS,
  maxThreads: THREADS,
})

await compareOnce(
  `SHA-256 of 64 × 1 MiB (pool: ${THREADS} threads, chunks in a SharedArrayBuffer)`,
  [
    { name: 'main thread', fn: () => chunks.map((c) => createHash('sha256').update(c).digest('hex')) },
    { name: 'okflow pool', fn: () => Promise.all(chunks.map((c) => okflow.run('sha256', c))) },
    { name: 'raw worker_threads', fn: () => Promise.all(chunks.map(rawRun)) },
    { name: 'piscina (raw)', fn: () => Promise.all(chunks.map((c) => piscinaSha.run(['sha256', c]))) },
  ],
  { rounds: 9, warmup: 2 },
)

// Issue 18 row: 1 MiB ArrayBuffers moved to a thread and back (transfer lists both ways), not
// copied. Each contestant owns 64 buffers and gets them back from every batch, so nothing is
// allocated while timed; 8 batches per sample keep samples over 10 ms. A buffer that did not come
// back whole fails the run.
const TRANSFERS = 64
const BATCHES = 8
const piscinaEcho = new Piscina({
  filename: here('./workers/piscina-echo.mjs').href,
  minThreads: THREADS,
  maxThreads: THREADS,
})
const roundTrips = (send) => {
  let bufs = Array.from({ length: TRANSFERS }, () => new ArrayBuffer(MiB))
  return async () => {
    for (let i = 0; i < BATCHES; i++) {
      const back = await Promise.all(bufs.map(send))
      if (back.some((b) => !(b instanceof ArrayBuffer) || b.byteLength !== MiB))
        throw new Error('a buffer did not come back')
      bufs = back
    }
  }
}
await compareOnce(
  `${BATCHES} × ${TRANSFERS} × 1 MiB ArrayBuffer transferred to ${THREADS} threads and back`,
  [
    { name: 'piscina (raw)', fn: roundTrips((b) => piscinaEcho.run(b, { transferList: [b] })) },
    {
      name: 'okflow pool',
      fn: roundTrips((b) => okflow.run('echo', b, { transfer: [b] }).then((r) => r._unsafeUnwrap())),
    },
  ],
  { rounds: 15, warmup: 3 },
)

await Promise.all([
  piscina.close(),
  piscinaSha.close(),
  piscinaEcho.close(),
  tinypool.destroy(),
  wpool.terminate(),
  okflow.close(),
  okflowNoSites.close(),
  ...raw.map((w) => w.terminate()),
])

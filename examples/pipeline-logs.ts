// A log pipeline: read a generated log stream (I/O) → group lines into chunks → parse and hash
// each chunk on the worker pool (CPU) → write one summary per chunk (I/O), with bounded buffers
// between the stages and per-stage metrics at the end.
// Run: npx tsup && npx tsx examples/pipeline-logs.ts
import { ok, pipeline, type StageMetrics } from 'okflow'
import { createWorkerPool } from 'okflow/worker'

type Tasks = typeof import('./tasks/log-tasks.mjs').default

const LINES = 20_000
const LEVELS = ['INFO', 'INFO', 'INFO', 'WARN', 'ERROR', 'DEBUG'] as const
const SERVICES = ['api', 'auth', 'billing', 'search'] as const

/** Stands in for tailing a file or a socket: one line at a time, with an I/O pause now and then. */
async function* readLogs(): AsyncGenerator<string> {
  for (let i = 0; i < LINES; i++) {
    if (i % 500 === 0) await new Promise((r) => setImmediate(r))
    if (i % 1000 === 999) {
      yield `garbage line ${i}`
      continue
    }
    const ts = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString()
    yield `${ts} level=${LEVELS[i % LEVELS.length]} svc=${SERVICES[i % SERVICES.length]} msg="request ${i} done"`
  }
}

/** Stands in for a database: one summary row per chunk. */
interface Summary {
  first: number
  lines: number
  bad: number
  levels: Record<string, number>
  digest: string
}
const store = new Map<number, Summary>()
async function writeSummary(s: Summary, signal: AbortSignal) {
  await new Promise((r) => setTimeout(r, 1))
  if (signal.aborted) return ok(0)
  store.set(s.first, s)
  return ok(s.lines)
}

const pool = createWorkerPool<Tasks>(new URL('./tasks/log-tasks.mjs', import.meta.url), { maxThreads: 2 })
if (pool.isErr()) throw pool.error

let next = 0
const flow = pipeline(readLogs(), {
  progressIntervalMs: 250,
  onProgress: (p) => console.log(`progress ${p.done} chunks`),
})
  .chunk({ name: 'batch', size: 250, maxWaitMs: 50 })
  // Remember where each chunk starts, so summaries can be keyed by line number.
  .stage({
    name: 'number',
    fn: (lines) => {
      const first = next
      next += lines.length
      return ok({ first, lines })
    },
  })
  .pool({ name: 'parse+hash', pool: pool.value, task: 'summarize', concurrency: 3, buffer: 2 })
  .stage({ name: 'write', concurrency: 2, fn: (summary, { signal }) => writeSummary(summary, signal) })

const t0 = performance.now()
const levels: Record<string, number> = {}
let lines = 0
let bad = 0
for await (const r of flow) {
  if (r.isErr()) {
    console.error('failed:', r.error)
    process.exitCode = 1
    break
  }
  lines += r.value
}
for (const s of store.values()) {
  bad += s.bad
  for (const [level, n] of Object.entries(s.levels)) levels[level] = (levels[level] ?? 0) + n
}
const ms = Math.round(performance.now() - t0)
await pool.value.close()

const row = (s: StageMetrics) =>
  `${s.name.padEnd(11)} ${s.kind.padEnd(5)} in=${String(s.in).padStart(6)} out=${String(s.out).padStart(6)} ` +
  `failed=${s.failed} busy=${Math.round(s.busyMs)}ms util=${(s.utilization * 100).toFixed(0)}% ` +
  `buffer-high-water=${s.bufferHighWater}`
const m = flow.metrics()
console.log(`read ${m.pulled} lines, wrote ${store.size} summaries covering ${lines} lines (${bad} bad) in ${ms} ms`)
console.log(
  `levels ${Object.entries(levels)
    .sort()
    .map(([k, n]) => `${k}=${n}`)
    .join(' ')}`,
)
console.log('stage       kind  metrics')
for (const s of m.stages) console.log(row(s))

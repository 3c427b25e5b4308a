// Combinators against raw promises and the typed peers (awaitly, neverthrow, Effect).
//
// Rows (issue 18): allAsync over 1000 already-resolved `Promise<Result>`, and over 1000 lazy tasks
// `() => Promise.resolve(ok(i))`, each as a ratio to the raw `Promise.all` + isErr loop.
// Single-thread cases, so CPU time (process.cpuUsage) is measured, not wall time; cases are
// interleaved round by round, each sample runs ≥ 150 ms, and no gc() runs between samples.
// Then the select loop (issue 13): time and peak RSS for n = 1,000 / 4,000 / 16,000 against a loop
// over asCompleted, each n in a child process of its own so that peak RSS is that run's alone.
//
//   node benchmarks/combinators.bench.mjs            all of it
//   node benchmarks/combinators.bench.mjs rows       only the allAsync rows
//   node benchmarks/combinators.bench.mjs select     only the select loop
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import * as awaitly from 'awaitly'
import { Effect } from 'effect'
import { ok, okAsync, ResultAsync } from 'neverthrow'
import { allAsync, anyAsync, asCompleted, selectAsync } from '../dist/index.js'

const N = 1000
const ids = Array.from({ length: N }, (_, i) => i)

/** CPU ms per op of `fn`, over at least `minMs` of CPU time. */
async function cpuPerOp(fn, minMs) {
  let ops = 0
  const t0 = process.cpuUsage()
  let spent = 0
  while (spent < minMs) {
    await fn()
    ops++
    const d = process.cpuUsage(t0)
    spent = (d.user + d.system) / 1000
  }
  return spent / ops
}

/** Interleaved rounds, medians, ratios to the first case. */
async function compareCpu(title, cases, { rounds = 9, minMs = 150, warmup = 300 } = {}) {
  for (const c of cases) for (let i = 0; i < (c.warmup ?? warmup); i++) await c.fn()
  const samples = new Map(cases.map((c) => [c.name, []]))
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + r) % cases.length]
      samples.get(c.name).push(await cpuPerOp(c.fn, minMs))
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
  const base = median(samples.get(cases[0].name))
  console.log(`\n## ${title} (CPU time)\n`)
  console.log(`| case | median CPU µs/op | × ${cases[0].name} |`)
  console.log('|---|---:|---:|')
  for (const c of cases) {
    const ms = median(samples.get(c.name))
    console.log(`| ${c.name} | ${(ms * 1000).toFixed(1)} | ${(ms / base).toFixed(2)}× |`)
  }
}

function check(values) {
  if (values.length !== N) throw new Error('wrong length')
}

/** The hand-written floor: await every Result, stop at the first err. */
function unwrapAll(rs) {
  const out = new Array(rs.length)
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i]
    if (r.isErr()) throw new Error('unexpected err')
    out[i] = r.value
  }
  return out
}

async function rows() {
  // (a) Already-resolved inputs, made once and reused: a resolved promise can be awaited any
  // number of times, so each round measures the combining alone.
  const promisedResults = ids.map((i) => Promise.resolve(ok(i)))
  const resultAsyncs = ids.map((i) => okAsync(i))
  const awaitlyPromises = ids.map((i) => Promise.resolve(awaitly.ok(i)))
  const effects = ids.map((i) => Effect.succeed(i))
  await compareCpu(`(a) allAsync over ${N} already-resolved Promise<Result>`, [
    {
      name: 'raw Promise.all + isErr loop',
      fn: async () => check(unwrapAll(await Promise.all(promisedResults))),
    },
    { name: 'okflow allAsync', fn: async () => check((await allAsync(promisedResults))._unsafeUnwrap()) },
    {
      name: 'neverthrow ResultAsync.combine (okAsync[])',
      fn: async () => check((await ResultAsync.combine(resultAsyncs))._unsafeUnwrap()),
    },
    { name: 'awaitly allAsync', fn: async () => check((await awaitly.allAsync(awaitlyPromises)).value) },
    {
      name: 'Effect.all (unbounded)',
      fn: async () => check(await Effect.runPromise(Effect.all(effects, { concurrency: 'unbounded' }))),
      warmup: 20,
    },
  ])

  // (b) Lazy tasks: each call starts all 1000 again, so the tasks' own promises are in every case.
  const tasks = ids.map((i) => () => Promise.resolve(ok(i)))
  const awaitlyTasks = ids.map((i) => () => Promise.resolve(awaitly.ok(i)))
  const lazyEffects = ids.map((i) => Effect.promise(() => Promise.resolve(i)))
  await compareCpu(`(b) allAsync over ${N} lazy tasks () => Promise.resolve(ok(i))`, [
    {
      name: 'raw Promise.all(tasks.map(call)) + isErr loop',
      fn: async () => check(unwrapAll(await Promise.all(tasks.map((t) => t())))),
    },
    { name: 'okflow allAsync', fn: async () => check((await allAsync(tasks))._unsafeUnwrap()) },
    {
      name: 'neverthrow ResultAsync.combine(tasks → ResultAsync)',
      fn: async () => check((await ResultAsync.combine(tasks.map((t) => new ResultAsync(t()))))._unsafeUnwrap()),
    },
    {
      name: 'awaitly allAsync(tasks.map(call))',
      fn: async () => check((await awaitly.allAsync(awaitlyTasks.map((t) => t()))).value),
    },
    {
      name: 'Effect.all (Effect.promise, unbounded)',
      fn: async () => check(await Effect.runPromise(Effect.all(lazyEffects, { concurrency: 'unbounded' }))),
      warmup: 20,
    },
  ])

  await compareCpu(`anyAsync over ${N} resolved Results (first wins)`, [
    { name: 'Promise.any (raw values)', fn: () => Promise.any(resultAsyncs) },
    { name: 'okflow anyAsync (ResultAsync[])', fn: () => anyAsync(resultAsyncs) },
    { name: 'Effect.firstSuccessOf', fn: () => Effect.runPromise(Effect.firstSuccessOf(effects)), warmup: 20 },
  ])
}

// ---- select loop ------------------------------------------------------------------------------

/** In a child: one loop over n inputs that settle one per macrotask, in reverse order. */
async function selectChild(kind, n) {
  const inputs = Array.from(
    { length: n },
    (_, i) => () => new Promise((resolve) => setTimeout(() => resolve(ok(i)), (n - i) % 50)),
  )
  const t0 = performance.now()
  let seen = 0
  if (kind === 'select') {
    let pending = inputs
    while (pending.length > 0) {
      const { rest } = (await selectAsync(pending))._unsafeUnwrap()
      seen++
      pending = rest
    }
  } else {
    for await (const _ of asCompleted(inputs)) seen++
  }
  if (seen !== n) throw new Error(`saw ${seen} of ${n}`)
  const ms = performance.now() - t0
  console.log(JSON.stringify({ ms, peakRssMb: process.resourceUsage().maxRSS / 1024 }))
}

function selectLoop() {
  const self = fileURLToPath(import.meta.url)
  console.log('\n## select loop vs a loop over asCompleted (wall time, peak RSS; one child process per run)\n')
  console.log('| n | asCompleted ms | selectAsync loop ms | × | asCompleted peak RSS MB | select peak RSS MB |')
  console.log('|---:|---:|---:|---:|---:|---:|')
  // SELECT_NS=1000,4000 runs only those sizes (the quadratic 0.1 loop needs minutes at 4,000).
  const ns = process.env.SELECT_NS ? process.env.SELECT_NS.split(',').map(Number) : [1_000, 4_000, 16_000]
  for (const n of ns) {
    const run = (kind) => {
      try {
        const out = execFileSync(process.execPath, [self, 'child', kind, String(n)], {
          encoding: 'utf8',
          timeout: 120_000,
          stdio: ['ignore', 'pipe', 'ignore'],
        })
        return JSON.parse(out.trim())
      } catch {
        return undefined // over 2 minutes, or out of memory
      }
    }
    const a = run('asCompleted')
    const s = run('select')
    const ms = (x) => (x ? x.ms.toFixed(0) : 'DNF')
    const rss = (x) => (x ? x.peakRssMb.toFixed(0) : 'DNF')
    const ratio = a && s ? `${(s.ms / a.ms).toFixed(2)}×` : '–'
    console.log(`| ${n} | ${ms(a)} | ${ms(s)} | ${ratio} | ${rss(a)} | ${rss(s)} |`)
  }
}

const [mode, kind, n] = process.argv.slice(2)
if (mode === 'child') await selectChild(kind, Number(n))
else {
  if (mode === undefined || mode === 'rows' || !['rows', 'select'].includes(mode)) await rows()
  if (mode === undefined || mode === 'select' || !['rows', 'select'].includes(mode)) selectLoop()
}

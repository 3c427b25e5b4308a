// Per-step machinery of a workflow: 1000 trivially async steps against the same hand-written
// async/await loop, with Effect.gen and awaitly's `run` beside it (issue 18's two workflow rows).
// CPU time (single-threaded work), contestants interleaved round by round with the baseline,
// samples of ≥ 20 ms, no gc() between samples; each ratio is against the hand-written loop of
// the same process. Each contestant group runs in a child process of its own, because loading a
// peer changes the others' numbers: with `effect` merely imported, okflow's steps measured ~7×
// slower and the hand-written loop ~1.5× (GC heuristics over a larger heap, not a global patch:
// no prototype or hook is changed), which no user running one library would see.
// Run it three times and report the ranges: `for i in 1 2 3; do node benchmarks/workflow.bench.mjs; done`.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const STEPS = 1000
const ROUNDS = 9
const MIN_SAMPLE_MS = 20
const GROUPS = ['okflow', 'effect', 'awaitly']

async function contestants(group) {
  const { ok, okAsync } = await import('neverthrow')
  // One trivially async call per step, the same for everyone: an already-resolved promise of a Result.
  const call = (i) => okAsync(i)
  const cases = [
    {
      name: 'hand-written await loop (baseline)',
      fn: async () => {
        let sum = 0
        for (let i = 0; i < STEPS; i++) {
          const r = await call(i)
          if (r.isErr()) return r
          sum += r.value
        }
        return ok(sum)
      },
    },
  ]
  if (group === 'okflow') {
    // OKFLOW_DIST=/path/to/dist/index.js measures another build (e.g. before a change).
    const { createWorkflow } = await import(process.env.OKFLOW_DIST ?? '../dist/index.js')
    const deps = { call }
    const plain = createWorkflow(deps, { name: 'bench' })
    const events = []
    const observed = createWorkflow(deps, { name: 'bench', onEvent: (e) => events.push(e) })
    const body = async (step, d) => {
      let sum = 0
      for (let i = 0; i < STEPS; i++) sum += await step(() => d.call(i))
      return sum
    }
    cases.push({ name: 'okflow workflow, no listener', fn: () => plain(body) })
    cases.push({
      name: 'okflow workflow, events recorded',
      fn: () => {
        events.length = 0
        return observed(body)
      },
    })
  } else if (group === 'effect') {
    const { Effect } = await import('effect')
    // Each step an Effect from the same promise of a Result, unwrapped with yield*.
    const effectStep = (i) =>
      Effect.flatMap(
        Effect.promise(() => call(i)),
        (r) => (r.isOk() ? Effect.succeed(r.value) : Effect.fail(r.error)),
      )
    const program = Effect.gen(function* () {
      let sum = 0
      for (let i = 0; i < STEPS; i++) sum += yield* effectStep(i)
      return sum
    })
    cases.push({ name: 'Effect.gen', fn: () => Effect.runPromise(program) })
  } else {
    const awaitly = await import('awaitly')
    const { run } = await import('awaitly/run')
    // awaitly: its own `run` with string step ids, over its own Result (`awaitly.ok`).
    const awaitlyCall = (i) => Promise.resolve(awaitly.ok(i))
    const body = async ({ step }) => {
      let sum = 0
      for (let i = 0; i < STEPS; i++) sum += await step(`step ${i}`, () => awaitlyCall(i))
      return sum
    }
    cases.push({ name: 'awaitly run', fn: () => run(body) })
  }
  return cases
}

/** CPU ms per call: as many calls as fit in MIN_SAMPLE_MS of CPU time. */
async function sample(fn) {
  let calls = 0
  const t0 = process.cpuUsage()
  let used = 0
  while (used < MIN_SAMPLE_MS) {
    await fn()
    calls++
    const d = process.cpuUsage(t0)
    used = (d.user + d.system) / 1000
  }
  return used / calls
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]

/** In a child: measures one group against the baseline and prints `{ name: [ms, ratio] }` as JSON. */
async function measure(group) {
  const cases = await contestants(group)
  // Same answer from everyone, or the comparison means nothing.
  for (const c of cases) {
    const r = await c.fn()
    const v = r?.isOk?.() ? r.value : r?.ok === true ? r.value : r
    if (v !== (STEPS * (STEPS - 1)) / 2) throw new Error(`${c.name} computed ${JSON.stringify(v)}`)
  }
  for (const c of cases) for (let i = 0; i < 30; i++) await c.fn()
  const samples = new Map(cases.map((c) => [c.name, []]))
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + r) % cases.length]
      samples.get(c.name).push(await sample(c.fn))
    }
  }
  const base = median(samples.get(cases[0].name))
  const out = {}
  for (const c of cases) out[c.name] = [median(samples.get(c.name)), median(samples.get(c.name)) / base]
  process.stdout.write(JSON.stringify(out))
}

const me = fileURLToPath(import.meta.url)
if (process.env.OKFLOW_BENCH_GROUP) {
  await measure(process.env.OKFLOW_BENCH_GROUP)
} else {
  console.log(`\n## workflow, ${STEPS} trivially async steps (CPU time, median of ${ROUNDS} rounds)\n`)
  console.log('Each group in its own process, against the hand-written loop measured in that process.\n')
  console.log('| case | CPU ms per run | hand-written loop, same process | × hand-written loop |')
  console.log('|---|---:|---:|---:|')
  for (const group of GROUPS) {
    const json = execFileSync(process.execPath, [me], { env: { ...process.env, OKFLOW_BENCH_GROUP: group } })
    const rows = Object.entries(JSON.parse(String(json)))
    const [, [baseMs]] = rows[0]
    for (const [name, [ms, ratio]] of rows.slice(1)) {
      console.log(`| ${name} | ${ms.toFixed(3)} | ${baseMs.toFixed(3)} | ${ratio.toFixed(2)}× |`)
    }
  }
}

// Per-step machinery of a workflow: 1000 trivially async steps against the same hand-written
// async/await loop, with Effect.gen and awaitly's `run` beside it (issue 18's two workflow rows).
// CPU time (single-threaded work), contestants interleaved round by round, samples of ≥ 10 ms,
// no gc() between samples; the ratio is against the hand-written loop of the same run. Run it in
// three processes and report the ranges: `for i in 1 2 3; do node benchmarks/workflow.bench.mjs; done`.
// Caveat (not yet understood): with `effect` loaded in the process, okflow's rows measure ~4×
// slower than in a process without it (the hand-written loop and awaitly do not move); compare
// okflow's rows with Effect's row taken from a run without the okflow rows, or vice versa.
import * as awaitly from 'awaitly'
import { run as awaitlyRun } from 'awaitly/run'
import { Effect } from 'effect'
import { ok, okAsync } from 'neverthrow'
import { createWorkflow } from '../dist/index.js'

const STEPS = 1000
const ROUNDS = 9
const MIN_SAMPLE_MS = 20
// One trivially async call per step, the same for everyone: an already-resolved promise of a Result.
const call = (i) => okAsync(i)
const deps = { call }

async function handWritten() {
  let sum = 0
  for (let i = 0; i < STEPS; i++) {
    const r = await call(i)
    if (r.isErr()) return r
    sum += r.value
  }
  return ok(sum)
}

const plain = createWorkflow(deps, { name: 'bench' })
const events = []
const observed = createWorkflow(deps, { name: 'bench', onEvent: (e) => events.push(e) })
const body = async (step, d) => {
  let sum = 0
  for (let i = 0; i < STEPS; i++) sum += await step(() => d.call(i))
  return sum
}

// Effect: each step an Effect from the same promise of a Result, unwrapped with yield*.
const effectStep = (i) =>
  Effect.flatMap(
    Effect.promise(() => call(i)),
    (r) => (r.isOk() ? Effect.succeed(r.value) : Effect.fail(r.error)),
  )
const effectProgram = Effect.gen(function* () {
  let sum = 0
  for (let i = 0; i < STEPS; i++) sum += yield* effectStep(i)
  return sum
})

// awaitly: its own `run` with string step ids, over its own Result (`awaitly.ok`).
const awaitlyCall = (i) => Promise.resolve(awaitly.ok(i))
const awaitlyBody = async ({ step }) => {
  let sum = 0
  for (let i = 0; i < STEPS; i++) sum += await step(`step ${i}`, () => awaitlyCall(i))
  return sum
}

const cases = [
  { name: 'hand-written await loop (baseline)', fn: handWritten },
  { name: 'okflow workflow, no listener', fn: () => plain(body) },
  {
    name: 'okflow workflow, events recorded',
    fn: () => {
      events.length = 0
      return observed(body)
    },
  },
  { name: 'Effect.gen', fn: () => Effect.runPromise(effectProgram) },
  { name: 'awaitly run', fn: () => awaitlyRun(awaitlyBody) },
]

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
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
const base = median(samples.get(cases[0].name))
console.log(`\n## workflow, ${STEPS} trivially async steps (CPU time, median of ${ROUNDS} rounds)\n`)
console.log('| case | CPU ms per run | × hand-written loop |')
console.log('|---|---:|---:|')
for (const c of cases) {
  const ms = median(samples.get(c.name))
  console.log(`| ${c.name} | ${ms.toFixed(3)} | ${(ms / base).toFixed(2)}× |`)
}

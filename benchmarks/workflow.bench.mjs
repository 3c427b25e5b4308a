// Overhead of a 10-step workflow against the same hand-written async/await code.
// Each step is a trivially async neverthrow call, so the numbers are the per-step machinery.
import { okAsync } from 'neverthrow'
import { createWorkflow } from '../dist/index.js'
import { compare } from './harness.mjs'

const STEPS = 10
// Enough warm-up for V8 to optimise the step path; short runs otherwise measure the interpreter.
const WARM = { warmup: 2_000, minMs: 300 }
const call = (i) => okAsync(i)
const deps = { call }

async function handWritten() {
  let sum = 0
  for (let i = 0; i < STEPS; i++) {
    const r = await call(i)
    if (r.isErr()) return r
    sum += r.value
  }
  return sum
}

const plain = createWorkflow(deps, { name: 'bench' })
const events = []
const observed = createWorkflow(deps, { name: 'bench', onEvent: (e) => events.push(e) })
const body = async (step, d) => {
  let sum = 0
  for (let i = 0; i < STEPS; i++) sum += await step(() => d.call(i), { name: `step ${i}` })
  return sum
}
const bodyTimed = async (step, d) => {
  let sum = 0
  for (let i = 0; i < STEPS; i++) sum += await step(() => d.call(i), { name: `step ${i}`, timeoutMs: 1_000 })
  return sum
}

const rows = await compare(
  `${STEPS}-step workflow vs hand-written async/await`,
  [
    { name: 'hand-written async/await (baseline)', fn: handWritten },
    { name: 'okflow workflow, no listener', fn: () => plain(body) },
    {
      name: 'okflow workflow, events recorded',
      fn: () => {
        events.length = 0
        return observed(body)
      },
    },
    { name: 'okflow workflow, per-step timeouts', fn: () => plain(bodyTimed) },
  ],
  WARM,
)
const perStepUs = ((rows[1].ms - rows[0].ms) / STEPS) * 1000
console.log(`\nokflow's own cost per step (no listener): ${perStepUs.toFixed(2)} µs`)

// The same with steps that do a little real async work (a setImmediate hop, like a fast cache or
// local I/O): closer to what workflow steps do, and where the per-step machinery shows as it is.
const io = (i) => new Promise((resolve) => setImmediate(() => resolve(i))).then((v) => okAsync(v))
const ioDeps = { call: io }
async function handWrittenIo() {
  let sum = 0
  for (let i = 0; i < STEPS; i++) {
    const r = await io(i)
    if (r.isErr()) return r
    sum += r.value
  }
  return sum
}
const ioFlow = createWorkflow(ioDeps, { name: 'bench-io' })
await compare(
  `${STEPS}-step workflow, steps with one I/O hop each`,
  [
    { name: 'hand-written async/await (baseline)', fn: handWrittenIo },
    { name: 'okflow workflow, no listener', fn: () => ioFlow(body) },
  ],
  WARM,
)

// Cost of durability per step: a 100-step workflow with no store, memoryStore and fileStore,
// and fileStore's cost per step as a ratio to ONE fdatasync'd write on the same disk (the floor
// for a record that survives power loss). Also the 0.1 way of appending (write, then fdatasync:
// two thread-pool hops) and group commit (10 steps finishing together). Each run uses a fresh
// runId. Runs in 3 processes one after another and reports the range of the 3 medians.
// Usage: node benchmarks/durable.bench.mjs  (or via npm run bench)
import { spawnSync } from 'node:child_process'
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  fdatasyncSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { okAsync } from 'neverthrow'
import { createWorkflow, fileStore, memoryStore } from '../dist/index.js'

const STEPS = 100
const PROCESSES = 3
const ROUNDS = 7

async function parent() {
  const results = []
  for (let i = 0; i < PROCESSES; i++) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child'], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`benchmark child failed: ${r.stderr}`)
    results.push(JSON.parse(r.stdout.trim().split('\n').pop()))
  }
  const range = (xs, digits) => {
    const lo = Math.min(...xs)
    const hi = Math.max(...xs)
    return lo.toFixed(digits) === hi.toFixed(digits)
      ? lo.toFixed(digits)
      : `${lo.toFixed(digits)}–${hi.toFixed(digits)}`
  }
  console.log(
    `\n## durable runs: cost per step (${STEPS}-step runs, ${ROUNDS} rounds × ${PROCESSES} processes, ranges of medians)\n`,
  )
  console.log('| case | µs per step | × one fdatasync of the same round (median) |')
  console.log('|---|---:|---:|')
  for (const name of Object.keys(results[0])) {
    const us = results.map((r) => r[name].ms * 1000)
    const ratio = results.map((r) => r[name].ratio)
    console.log(`| ${name} | ${range(us, 1)} | ${range(ratio, 2)}× |`)
  }
}

async function child() {
  const dir = mkdtempSync(join(tmpdir(), 'okflow-bench-'))
  const line = `${JSON.stringify({ seq: 1, key: 'step 1', ok: true, value: { i: 1, label: 'item 1' }, kind: 'step', startedAt: Date.now(), endedAt: Date.now() })}\n`
  const body = async (step) => {
    let sum = 0
    for (let i = 0; i < STEPS; i++)
      sum += await step(() => okAsync({ i, label: `item ${i}` }), { name: `step ${i}` }).then((v) => v.i)
    return sum
  }
  // Ten steps at a time finish together: their records go to the store in one appendMany.
  const grouped = async (step) => {
    let sum = 0
    for (let i = 0; i < STEPS; i += 10) {
      const vs = await Promise.all(
        Array.from({ length: 10 }, (_, k) => step(() => okAsync({ i: i + k }), { name: `step ${i + k}` })),
      )
      for (const v of vs) sum += v.i
    }
    return sum
  }
  const check = (r) => {
    if (r.isErr() || r.value !== (STEPS * (STEPS - 1)) / 2) throw new Error(`bad result ${JSON.stringify(r)}`)
  }
  let n = 0
  const plain = createWorkflow({}, { name: 'bench' })
  const mem = createWorkflow({}, { name: 'bench', store: memoryStore() })
  const file = createWorkflow({}, { name: 'bench', store: fileStore(join(dir, 'runs')) })
  // On tmpfs a flush costs nothing: what is left is okflow's own cost per durable step.
  const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/okflow-bench-') : undefined
  const ram = shm && createWorkflow({}, { name: 'bench', store: fileStore(join(shm, 'runs')) })

  // A crashed run to resume: every step recorded, the outcome line missing.
  await file(body, { runId: 'template' }).then(check)
  const journal = readFileSync(join(dir, 'runs', 'template.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
  writeFileSync(join(dir, 'template.jsonl'), `${journal.slice(0, -1).join('\n')}\n`)

  /** Per-step ms of one sample: STEPS appends (or steps) in a row. */
  const cases = {
    'one fdatasync (write + fdatasync, sync calls)': async () => {
      const fd = openSync(join(dir, `raw${n++}.log`), 'a')
      for (let i = 0; i < STEPS; i++) {
        writeSync(fd, line)
        fdatasyncSync(fd)
      }
      closeSync(fd)
    },
    // The same flush as fileStore's (a write on an O_DSYNC descriptor), without a thread-pool hop.
    'one O_DSYNC write (sync call)': async () => {
      const fd = openSync(
        join(dir, `dsync${n++}.log`),
        constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC,
      )
      for (let i = 0; i < STEPS; i++) writeSync(fd, line)
      closeSync(fd)
    },
    '0.1 append: write, then fdatasync (2 hops)': async () => {
      const h = await open(join(dir, `old${n++}.log`), 'a')
      for (let i = 0; i < STEPS; i++) {
        await h.appendFile(line)
        await h.datasync()
      }
      await h.close()
    },
    'no store': async () => check(await plain(body)),
    memoryStore: async () => check(await mem(body, { runId: `m${n++}` })),
    fileStore: async () => check(await file(body, { runId: `f${n++}` })),
    'fileStore resume: replay 100 recorded steps': async () => {
      const id = `r${n++}`
      copyFileSync(join(dir, 'template.jsonl'), join(dir, 'runs', `${id}.jsonl`))
      check(await file(body, { runId: id }))
    },
    'fileStore, 10 steps finishing together': async () => check(await file(grouped, { runId: `g${n++}` })),
  }
  if (ram)
    cases['fileStore on tmpfs (no flush: overhead only)'] = async () => check(await ram(body, { runId: `t${n++}` }))

  const BASE = 'one fdatasync (write + fdatasync, sync calls)'
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]))
  const ratios = Object.fromEntries(Object.keys(cases).map((k) => [k, []]))
  const names = Object.keys(cases)
  for (const name of names) await cases[name]() // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    // Interleaved, rotating order: no case always runs first on a warm or cold disk. The disk's
    // speed drifts (it is shared), so each case is also compared with the fdatasync of its round.
    const round = {}
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + r) % names.length]
      const t0 = performance.now()
      await cases[name]()
      round[name] = (performance.now() - t0) / STEPS
    }
    for (const name of names) {
      samples[name].push(round[name])
      ratios[name].push(round[name] / round[BASE])
    }
  }
  rmSync(dir, { recursive: true, force: true })
  if (shm) rmSync(shm, { recursive: true, force: true })
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
  const out = Object.fromEntries(names.map((k) => [k, { ms: median(samples[k]), ratio: median(ratios[k]) }]))
  console.log(JSON.stringify(out))
}

if (process.argv[2] === '--child') await child()
else await parent()

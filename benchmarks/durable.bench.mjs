// Cost of durability: a 100-step workflow with no store, with memoryStore, and with fileStore
// (one fdatasync'd JSON line per step, in a temp dir), plus resuming a crashed run from the file.
// Each run uses a fresh runId (a reused one would just return its recorded result).
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { okAsync } from 'neverthrow'
import { createWorkflow, fileStore, memoryStore } from '../dist/index.js'
import { compareOnce } from './harness.mjs'

const STEPS = 100
const dir = mkdtempSync(join(tmpdir(), 'okflow-bench-'))
const body = async (step) => {
  let sum = 0
  for (let i = 0; i < STEPS; i++)
    sum += await step(() => okAsync({ i, label: `item ${i}` }), { name: `step ${i}` }).then((v) => v.i)
  return sum
}
let n = 0
const plain = createWorkflow({}, { name: 'bench' })
const mem = createWorkflow({}, { name: 'bench', store: memoryStore() })
const file = createWorkflow({}, { name: 'bench', store: fileStore(dir) })
const check = (r) => {
  if (r.isErr() || r.value !== (STEPS * (STEPS - 1)) / 2) throw new Error(`bad result ${JSON.stringify(r)}`)
}

// A crashed run to resume: every step recorded, the outcome line missing.
await file(body, { runId: 'template' }).then(check)
const lines = readFileSync(join(dir, 'template.jsonl'), 'utf8').split('\n').filter(Boolean)
writeFileSync(join(dir, 'template.jsonl'), `${lines.slice(0, -1).join('\n')}\n`)

try {
  await compareOnce(
    `${STEPS}-step workflow: durability cost (fileStore fsyncs each step)`,
    [
      { name: 'no store (baseline)', fn: async () => check(await plain(body)) },
      { name: 'memoryStore', fn: async () => check(await mem(body, { runId: `m${n++}` })) },
      { name: 'fileStore (fdatasync per step)', fn: async () => check(await file(body, { runId: `f${n++}` })) },
      {
        name: `fileStore resume: replay ${STEPS} recorded steps`,
        fn: async () => {
          const id = `r${n++}`
          copyFileSync(join(dir, 'template.jsonl'), join(dir, `${id}.jsonl`))
          check(await file(body, { runId: id }))
        },
      },
    ],
    { rounds: 7 },
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
}

// okflow durable sleep: `step.sleep` saves its wake-up time when the sleep starts.
// 1. On a worker, a long sleep gives up its slot and its lease: the run waits off the worker and
//    is claimed again when due, while other runs use the slot.
// 2. A run killed (SIGKILL) in the middle of a sleep sleeps only what is left when resumed.
// Run: npm run example -- durable-sleep
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  createClient,
  createWorker,
  createWorkflow,
  defineWorkflow,
  fileStore,
  memoryStore,
  ok,
  type Step,
  type WorkflowEvent,
  type WorkflowStore,
} from 'okflow'

const [, , mode, dirArg] = process.argv
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A free trial: sign up, wait out the trial, send a reminder. */
const trialBody = async <E>(step: Step<E>, ms: number) => {
  const startedAt = await step(() => ok(Date.now()), { name: 'sign up' })
  await step.sleep('trial period', ms)
  const remindedAt = await step(() => ok(Date.now()), { name: 'send reminder' })
  return { startedAt, remindedAt }
}

/** The wake-up time the sleep recorded when it started (its record's `{ until }`). */
async function wakeUpTime(store: WorkflowStore, runId: string): Promise<number> {
  const rec = (await store.load(runId)).find((r) => r.kind === 'sleep')
  return (rec?.value as { until: number } | undefined)?.until ?? Number.NaN
}

async function onAWorker() {
  console.log('1. a long sleep on a worker gives up its slot')
  const store = memoryStore()
  const trial = defineWorkflow('trial', {}, async (step) => trialBody(step, 800))
  const receipt = defineWorkflow('receipt', {}, async (step, _deps, n: number) =>
    step(() => ok(`receipt ${n} sent`), { name: 'send receipt' }),
  )
  // One slot only; sleeps longer than 100 ms suspend the run instead of holding the slot.
  const worker = createWorker(store, [trial, receipt], { concurrency: 1, pollMs: 10, sleepInProcessMs: 100 })
  await worker.start()
  const client = createClient(store, { pollMs: 10 })
  const ada = (await client.start(trial, null, { runId: 'trial-ada' }))._unsafeUnwrap()
  let info = (await client.get('trial-ada'))._unsafeUnwrap()
  while (info.state !== 'sleeping') {
    await pause(5)
    info = (await client.get('trial-ada'))._unsafeUnwrap()
  }
  const until = await wakeUpTime(store, 'trial-ada')
  console.log(`  trial-ada: ${info.state}, due at the recorded wake-up time: ${info.dueAt === until}`)
  console.log(`  owner while sleeping: ${info.owner ?? 'none (lease released)'}`)
  // The one slot is free: these go through while the trial sleeps.
  for (const n of [1, 2, 3]) {
    const run = (await client.start(receipt, n, { runId: `receipt-${n}` }))._unsafeUnwrap()
    console.log(`  ${run.runId}: ${(await client.result(run.runId, { timeoutMs: 10_000 }))._unsafeUnwrap()}`)
  }
  const r = (await client.result(ada.runId, { timeoutMs: 10_000 }))._unsafeUnwrap()
  const after = (await client.get('trial-ada'))._unsafeUnwrap()
  console.log(
    `  trial-ada: ${after.state}, claimed ${after.claims} times; reminded after the trial: ${r.remindedAt >= until}`,
  )
  await worker.close()
  console.log(`  worker: ${worker.metrics().suspended} suspension(s), ${worker.metrics().succeeded} runs succeeded`)
}

const SLEEP_MS = 1500
const KILL_AT_MS = 500

async function crashMidSleep() {
  console.log('\n2. a run killed in the middle of its sleep sleeps only what is left')
  const dir = mkdtempSync(join(tmpdir(), 'okflow-sleep-'))
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--crash', dir], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const store = fileStore(join(dir, 'runs'))
  const until = await wakeUpTime(store, 'trial-bob')
  console.log(`  child ended by ${child.signal}; recorded wake-up time: ${new Date(until).toISOString()}`)
  const wf = createWorkflow({}, { name: 'trial', store, runId: 'trial-bob' })
  const resumedAt = Date.now()
  const r = (await wf(async (step) => trialBody(step, SLEEP_MS)))._unsafeUnwrap()
  const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`
  console.log(
    `  resumed ${secs(resumedAt - r.startedAt)} after the sleep started, slept ${secs(r.remindedAt - resumedAt)} more`,
  )
  console.log(
    `  reminder sent ${secs(r.remindedAt - r.startedAt)} after the sleep started (the sleep is ${secs(SLEEP_MS)})`,
  )
  console.log(`  not before the recorded wake-up time: ${r.remindedAt >= until}`)
  rmSync(dir, { recursive: true, force: true })
}

if (mode === '--crash') {
  // The first process: dies (SIGKILL, no clean-up) 0.5 s into the 1.5 s sleep.
  const dieSoon = (e: WorkflowEvent) => {
    if (e.type !== 'step_start' || e.name !== 'trial period') return
    setTimeout(() => {
      console.log(`  killed (SIGKILL) ${KILL_AT_MS / 1000} s into the ${SLEEP_MS / 1000} s sleep`)
      process.kill(process.pid, 'SIGKILL')
    }, KILL_AT_MS)
  }
  const store = fileStore(join(dirArg as string, 'runs'))
  const wf = createWorkflow({}, { name: 'trial', store, runId: 'trial-bob', onEvent: dieSoon })
  await wf(async (step) => trialBody(step, SLEEP_MS))
} else {
  await onAWorker()
  await crashMidSleep()
}

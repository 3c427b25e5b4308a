// okflow durable workflow: a run that is killed mid-way (SIGKILL, no cleanup) and resumed.
// The first run happens in a child process that kills itself inside "ship order"; the resumed
// run replays the steps the store recorded and runs only the rest. The card is charged once.
// Run: npx tsx examples/durable-resume.ts
import { spawnSync } from 'node:child_process'
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createWorkflow, fileStore, ok, renderTimeline, type WorkflowEvent } from 'okflow'

const [, , mode, dirArg] = process.argv
const dir = dirArg ?? mkdtempSync(join(tmpdir(), 'okflow-durable-'))
const sideEffects = join(dir, 'side-effects.log')

/** Does the work of a step for real (and leaves a trace, so we can count what ran). */
const act = <T>(what: string, value: T) => {
  appendFileSync(sideEffects, `${what}\n`)
  console.log(`  running: ${what}`)
  return ok(value)
}

const events: WorkflowEvent[] = []
const checkout = createWorkflow(
  {},
  {
    name: 'checkout',
    store: fileStore(join(dir, 'runs')),
    onEvent: (e) => {
      events.push(e)
      if (e.type === 'step_success' && e.replayed) console.log(`  replayed: ${e.name} (not run again)`)
    },
  },
)

const run = () =>
  checkout(
    async (step) => {
      const stock = await step(() => act('reserve stock', { sku: 'A-1', qty: 2 }), { name: 'reserve stock' })
      const charge = await step(() => act('charge card', { id: 'ch_42', eur: 19.9 }), {
        name: 'charge card',
        key: 'charge:v1', // a stable identity: renaming the step for display keeps its history
      })
      const parcel = await step(
        async () => {
          if (mode === '--crash') {
            console.log('  running: ship order … and the process dies (SIGKILL)')
            process.kill(process.pid, 'SIGKILL')
          }
          return act('ship order', { tracking: 'TRK-7' })
        },
        { name: 'ship order' },
      )
      await step(() => act('email receipt', undefined), { name: 'email receipt' })
      return { sku: stock.sku, charge: charge.id, tracking: parcel.tracking }
    },
    { runId: 'order-42' },
  )

if (mode === '--crash') {
  await run() // never returns: the process is killed inside "ship order"
} else {
  console.log('first run, in a child process:')
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--crash', dir], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  // The dead child's lease is still unexpired; its process is gone, so this one takes it over at once.
  const lease = JSON.parse(readFileSync(join(dir, 'runs', 'order-42.1.grant'), 'utf8'))
  console.log(`child ended by ${child.signal}; the lease it left: fence ${lease.fence}, held by pid ${lease.pid}`)

  console.log('\nresumed run (same runId):')
  const result = await run()
  console.log(result.isOk() ? `ok: ${JSON.stringify(result.value)}` : `err: ${result.error._tag}`)
  console.log(`\n${renderTimeline(events)}`)

  const ran = readFileSync(sideEffects, 'utf8').split('\n').filter(Boolean)
  console.log(`\nside effects: ${ran.join(' → ')}`)
  console.log(`card charged ${ran.filter((x) => x === 'charge card').length} time(s)`)
  rmSync(dir, { recursive: true, force: true })
}

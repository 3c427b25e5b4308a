// okflow step.waitFor + client.emit: a run waits for an event from outside (a payment, an
// approval, a webhook) without holding a worker slot; the first emit of a key wins, an emit sent
// before the run got to its wait is not lost, and no event by the deadline is a TimeoutError.
// Run: npm run example -- wait-for-event
import { createClient, createWorker, defineWorkflow, memoryStore, ok, type RunId } from 'okflow'
import { match } from 'ts-pattern'

interface Payment {
  readonly amount: number
  readonly ref: string
}

const order = defineWorkflow('order', {}, async (step, _deps, input: { id: string }) => {
  await step(() => ok(`reserved ${input.id}`), { name: 'reserve stock' })
  // Waits off the worker (state sleeping) until `paid:<id>` is emitted, for at most 1 s.
  const paid = await step.waitFor<Payment>('payment', `paid:${input.id}`, { timeoutMs: 1000 })
  return step(() => ok(`shipped ${input.id} (paid ${paid.amount} EUR, ${paid.ref})`), { name: 'ship' })
})

const store = memoryStore()
const client = createClient(store, { pollMs: 10 })
const worker = createWorker(store, [order], { concurrency: 1, pollMs: 10 })
await worker.start()

const outcome = async (runId: RunId<typeof order>) =>
  (await client.result(runId, { timeoutMs: 10_000 })).match(
    (v) => `ok: ${v}`,
    (e) =>
      match(e)
        .with({ _tag: 'TimeoutError' }, (t) => `err: TimeoutError (step "${t.label}", after ${t.ms} ms)`)
        .otherwise((x) => `err: ${x._tag}`),
  )

const sleeping = async (runId: string) => {
  while ((await client.get(runId))._unsafeUnwrap().state !== 'sleeping') await new Promise((r) => setTimeout(r, 5))
}

console.log('1. paid before the run reached its wait: the event is kept, no waiting')
console.log(
  `  emit paid:A-1 → first: ${(await client.emit('paid:A-1', { amount: 20, ref: 'tx-1' }))._unsafeUnwrap().first}`,
)
const a1 = (await client.start(order, { id: 'A-1' }))._unsafeUnwrap()
console.log(`  ${await outcome(a1.runId)}`)

console.log('\n2. paid while the run waits: it sleeps off the worker, the emit wakes it; first emit wins')
const a2 = (await client.start(order, { id: 'A-2' }))._unsafeUnwrap()
await sleeping(a2.runId)
const info = (await client.get(a2.runId))._unsafeUnwrap()
console.log(`  A-2 is ${info.state}, owner: ${info.owner ?? 'none'} (its slot is free)`)
console.log(
  `  emit paid:A-2 → first: ${(await client.emit('paid:A-2', { amount: 35, ref: 'tx-2' }))._unsafeUnwrap().first}`,
)
console.log(
  `  emit paid:A-2 again → first: ${(await client.emit('paid:A-2', { amount: 99, ref: 'dup' }))._unsafeUnwrap().first}`,
)
console.log(`  ${await outcome(a2.runId)}`)

console.log('\n3. never paid: the deadline (recorded when the run first reached the wait) passes')
const a3 = (await client.start(order, { id: 'A-3' }))._unsafeUnwrap()
console.log(`  ${await outcome(a3.runId)}`)
console.log(`  A-3 is ${(await client.get(a3.runId))._unsafeUnwrap().state}`)

await worker.close()
const m = worker.metrics()
console.log(`\nworker: ${m.succeeded} succeeded, ${m.failed} failed, ${m.suspended} suspensions`)

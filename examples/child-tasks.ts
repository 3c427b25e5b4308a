// okflow child tasks: a parent run spreads work over child runs that any worker claims.
// 1. step.map: one child run per image, values in input order, the parent waits off its worker;
// 2. fail-fast and retry: a failed child fails the parent; a retry runs only the failed child again;
// 3. groups over task calls: step.any takes the first quote that came back ok;
// 4. step.select and step.waitCompleted: the first answer, then the others as they finish.
// Two workers share one store here (memoryStore, in this process); with postgresStore they can
// be any number of processes on any number of machines.
// Run: npx tsx examples/child-tasks.ts
import {
  createClient,
  createWorker,
  defineTask,
  defineWorkflow,
  errAsync,
  memoryStore,
  okAsync,
  type RunStore,
} from 'okflow'

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

class TooLarge extends Error {
  readonly _tag = 'TooLarge' as const
}
class NoQuote extends Error {
  readonly _tag = 'NoQuote' as const
}

// A task: a name any worker knows it by, and a function of a JSON input.
const ran: string[] = []
let rejectHuge = true
const resize = defineTask('resize', async (img: { name: string; px: number }) => {
  ran.push(img.name)
  await pause(img.px / 100)
  if (img.px > 4000 && rejectHuge) return errAsync(new TooLarge(`${img.name} is too large`))
  return okAsync(`${img.name}@${Math.round(img.px / 4)}px`)
})
const quote = defineTask('quote', async (q: { carrier: string; ms: number; eur?: number }) => {
  await pause(q.ms)
  return q.eur === undefined ? errAsync(new NoQuote(`${q.carrier}: no quote`)) : okAsync(`${q.carrier} €${q.eur}`)
})

// Parents list their tasks in the deps: the tasks' errors are then part of the workflow's type.
const gallery = defineWorkflow('gallery', { resize }, (step, deps, images: { name: string; px: number }[]) =>
  step.map('resize all', images, deps.resize, { concurrency: 3 }),
)
const shipping = defineWorkflow('shipping', { quote }, async (step, deps) => {
  const best = await step.any('first quote', [
    deps.quote.with({ carrier: 'slowpost', ms: 400, eur: 7 }),
    deps.quote.with({ carrier: 'nopost', ms: 5 }),
    deps.quote.with({ carrier: 'fastship', ms: 60, eur: 9 }),
  ])
  return best
})
const auction = defineWorkflow('auction', { quote }, async (step, deps) => {
  const first = await step.select('first answer', [
    deps.quote.with({ carrier: 'a', ms: 300, eur: 5 }),
    deps.quote.with({ carrier: 'b', ms: 5, eur: 8 }),
    deps.quote.with({ carrier: 'c', ms: 150, eur: 6 }),
  ])
  const lines = [`first: #${first.index} ${first.result.unwrapOr('none')}`]
  // The rest are still running: wait for them as they finish (attached to the same child runs).
  let pending = first.rest
  for (let round = 1; pending.length > 0; round++) {
    const split = await step.waitCompleted(`round ${round}`, pending)
    for (const c of split.completed) lines.push(`then: ${c.result.unwrapOr('none')}`)
    pending = split.pending
  }
  return lines
})

const store: RunStore = memoryStore()
const workers = [1, 2].map(() =>
  createWorker(store, [gallery, shipping, auction, resize, quote], { concurrency: 2, pollMs: 5 }),
)
for (const w of workers) await w.start()
const client = createClient(store, { pollMs: 5 })

console.log('1. step.map: one child run per image')
const images = [
  { name: 'cat', px: 1200 },
  { name: 'dog', px: 800 },
  { name: 'owl', px: 2000 },
  { name: 'fox', px: 400 },
]
await client.start(gallery, images, { runId: 'gallery-1' })
const resized = await client.result('gallery-1' as never, { timeoutMs: 10_000 })
console.log(`  value (input order): ${JSON.stringify(resized.unwrapOr(null))}`)
const kids = (await store.listChildren?.('gallery-1')) ?? []
console.log(`  child runs: ${kids.map((k) => `${k.runId} ${k.state}`).join(', ')}`)

console.log('2. fail-fast, then a retry runs only the failed child again')
ran.length = 0
await client.start(gallery, [{ name: 'map', px: 5000 }, ...images.slice(0, 2)], { runId: 'gallery-2' })
const failed = await client.result('gallery-2' as never, { timeoutMs: 10_000 })
console.log(`  first try: ${failed.isErr() ? `err ${(failed.error as Error).message}` : 'ok'}`)
await pause(50) // fail-fast leaves the other children running to their end
rejectHuge = false
await client.retry('gallery-2')
const retried = await client.result('gallery-2' as never, { timeoutMs: 10_000 })
console.log(`  after retry: ${JSON.stringify(retried.unwrapOr(null))}`)
const times = (n: string) => ran.filter((r) => r === n).length
console.log(`  resize ran: ${['map', 'cat', 'dog'].map((n) => `${n} ×${times(n)}`).join(', ')}`)

console.log('3. step.any over task calls: the first quote that came back ok')
await client.start(shipping, null, { runId: 'ship-1' })
console.log(`  best: ${(await client.result('ship-1' as never, { timeoutMs: 10_000 })).unwrapOr('none')}`)
// The losers nobody waits for any more are cancelled (in process they would be aborted).
let quotes = (await store.listChildren?.('ship-1')) ?? []
for (let i = 0; i < 200 && quotes.some((k) => k.state === 'running' || k.state === 'pending'); i++) {
  await pause(10)
  quotes = (await store.listChildren?.('ship-1')) ?? []
}
console.log(`  children: ${quotes.map((k) => `${k.runId.slice(k.runId.indexOf('/') + 1)} ${k.state}`).join(', ')}`)

console.log('4. step.select, then step.waitCompleted until none is left')
await client.start(auction, null, { runId: 'auction-1' })
const lines = await client.result('auction-1' as never, { timeoutMs: 10_000 })
for (const l of lines.unwrapOr([]) as string[]) console.log(`  ${l}`)
console.log(
  `  child runs: ${((await store.listChildren?.('auction-1')) ?? []).length} (select made them, the rest attached)`,
)

for (const w of workers) await w.close()

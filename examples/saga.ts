// A saga: booking a trip takes three steps that each change the world (a hotel room, a flight, a
// card charge). When a later step fails, or the run is cancelled, each completed step's
// `compensate` undoes it: in reverse order, one at a time, each at most once.
// Run: npm run example -- saga
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createWorkflow, err, fileStore, ok, type Result, renderTimeline, type WorkflowEvent } from 'okflow'
import { match } from 'ts-pattern'

type SoldOut = { _tag: 'SoldOut'; what: string }
type VisaRejected = { _tag: 'VisaRejected'; country: string }

const deps = {
  reserveHotel: (city: string): Result<string, SoldOut> => ok(`room-${city}`),
  bookFlight: (city: string): Result<string, SoldOut> => ok(`flight-${city}`),
  charge: (cents: number): Result<string, never> => ok(`charge-${cents}`),
  checkVisa: (country: string): Result<string, VisaRejected> =>
    country === 'Atlantis' ? err({ _tag: 'VisaRejected', country }) : ok(`visa-${country}`),
  /** Waits for a human who never answers: ends only when the run is cancelled. */
  waitForApproval: (signal: AbortSignal) =>
    new Promise<Result<string, 'aborted'>>((resolve) =>
      signal.addEventListener('abort', () => resolve(err('aborted' as const)), { once: true }),
    ),
}
// What the compensations did (a real one would call the hotel's, airline's, bank's API).
const undone: string[] = []
const undo = (what: string) => (id: string) => {
  undone.push(`${what} ${id}`)
  return ok(undefined)
}

async function book(country: string, opts: { signal?: AbortSignal; store?: ReturnType<typeof fileStore> } = {}) {
  const events: WorkflowEvent[] = []
  const trip = createWorkflow(deps, {
    name: `trip to ${country}`,
    onEvent: (e) => events.push(e),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.store ? { store: opts.store, runId: `trip-${country}` } : {}),
  })
  const result = await trip(async (step, d) => {
    const room = await step(() => d.reserveHotel(country), { name: 'hotel', compensate: undo('release') })
    const flight = await step(() => d.bookFlight(country), { name: 'flight', compensate: undo('cancel') })
    const paid = await step(() => d.charge(129_900), { name: 'charge', compensate: undo('refund') })
    // Not compensable (nothing to undo): a check that may fail, or wait for a human.
    const visa = await step(() => d.checkVisa(country), { name: 'visa' })
    if (opts.signal) await step(({ signal }) => d.waitForApproval(signal), { name: 'approval' })
    return { room, flight, paid, visa }
  })
  const outcome = result.match(
    (v) => `booked: ${v.room}, ${v.flight}, ${v.paid}, ${v.visa}`,
    (e) =>
      match(e)
        .with({ _tag: 'CompensatedError' }, (c) => {
          const why = match(c.error)
            .with({ _tag: 'VisaRejected' }, (x) => `visa rejected for ${x.country}`)
            .with({ _tag: 'CancelledError' }, () => 'cancelled')
            .otherwise((x) => String(x))
          const failed = c.failed.length ? `; failed: ${c.failed.map((f) => f.step).join(', ')}` : ''
          return `not booked (${why}); undone: ${c.compensated.join(' → ')}${failed}`
        })
        .otherwise((x) => `not booked: ${String(x)}`),
  )
  return { outcome, events }
}

console.log('1. every step succeeds: nothing is undone')
console.log(`   ${(await book('Norway')).outcome}`)
console.log(`   undone: ${undone.length ? undone.join(', ') : 'nothing'}`)

console.log('2. the visa is rejected after three bookings: they are undone in reverse order')
const rejected = await book('Atlantis')
console.log(`   ${rejected.outcome}`)
console.log(`   calls: ${undone.splice(0).join(', ')}`)
console.log(renderTimeline(rejected.events, { width: 30 }))

console.log('3. cancelled while waiting for approval: the compensations still run (the cancel does not abort them)')
const controller = new AbortController()
setTimeout(() => controller.abort('the traveller changed their mind'), 20)
console.log(`   ${(await book('Peru', { signal: controller.signal })).outcome}`)
console.log(`   calls: ${undone.splice(0).join(', ')}`)

console.log('4. durable: the outcome is recorded; running the same runId again answers it, nothing runs twice')
const dir = mkdtempSync(join(tmpdir(), 'okflow-saga-'))
try {
  const store = fileStore(dir)
  console.log(`   first:  ${(await book('Atlantis', { store })).outcome}`)
  console.log(`   again:  ${(await book('Atlantis', { store })).outcome}`)
  console.log(`   calls: ${undone.splice(0).join(', ')}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}

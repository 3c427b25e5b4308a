// Overhead per call of a circuit breaker + bulkhead around a trivially async task, okflow vs
// cockatiel 3 (the last major that runs on Node 20) and opossum 9 (its bulkhead is the
// `capacity` option). Each case runs the same task; the baseline calls it with no policy.
// Both sequential calls (the policy's own cost) and bursts through a bulkhead that has to queue.
import { BulkheadPolicy, ConsecutiveBreaker, circuitBreaker as cockatielBreaker, handleAll, wrap } from 'cockatiel'
import { ok, ResultAsync } from 'neverthrow'
import Opossum from 'opossum'
import { bulkhead, circuitBreaker, policy } from '../dist/index.js'
import { compare } from './harness.mjs'

const okTask = async () => ok(1) // an okflow task returns a Result
const rawTask = async () => 1 // cockatiel and opossum tasks return the value

const okflow = policy(
  circuitBreaker({ threshold: 5, halfOpenAfterMs: 10_000 }),
  bulkhead({ concurrency: 10, queue: 1000 }),
)
const cockatiel = wrap(
  cockatielBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
  new BulkheadPolicy(10, 1000),
)
// opossum: its per-call timer off (okflow and cockatiel set none here), its stats window kept
// (it cannot be turned off), capacity = the bulkhead (it refuses beyond it; it has no queue).
const opossum = new Opossum(rawTask, {
  timeout: false,
  capacity: 10,
  errorThresholdPercentage: 50,
  resetTimeout: 10_000,
})

function check(v) {
  if (v !== 1) throw new Error(`wrong value ${v}`)
}
const WARM = { warmup: 2000, rounds: 9, minMs: 200 }

await compare(
  'breaker + bulkhead, one call at a time (ms per call)',
  [
    { name: 'no policy (baseline)', fn: async () => check((await okTask())._unsafeUnwrap()) },
    // The floor of any API that returns a ResultAsync: a new promise, wrapped, awaited as a thenable.
    {
      name: 'ResultAsync around the task, no policy',
      fn: async () => check((await new ResultAsync(new Promise((r) => okTask().then(r))))._unsafeUnwrap()),
    },
    { name: 'okflow', fn: async () => check((await okflow.execute(okTask))._unsafeUnwrap()) },
    { name: 'cockatiel 3', fn: async () => check(await cockatiel.execute(rawTask)) },
    { name: 'opossum 9', fn: async () => check(await opossum.fire()) },
  ],
  WARM,
)

// A burst of 10 calls at once: within capacity for all three (opossum refuses beyond capacity).
const BURST = 10
const burst = async (one, value) => {
  const ps = new Array(BURST)
  for (let i = 0; i < BURST; i++) ps[i] = one()
  for (const v of await Promise.all(ps)) check(value(v))
}
const same = (v) => v
const unwrap = (r) => r._unsafeUnwrap()
await compare(
  `breaker + bulkhead, bursts of ${BURST} concurrent calls (ms per burst)`,
  [
    { name: 'no policy (baseline)', fn: () => burst(okTask, unwrap) },
    { name: 'okflow', fn: () => burst(() => okflow.execute(okTask), unwrap) },
    { name: 'cockatiel 3', fn: () => burst(() => cockatiel.execute(rawTask), same) },
    { name: 'opossum 9', fn: () => burst(() => opossum.fire(), same) },
  ],
  WARM,
)

// 100 at once through 10 slots: 90 queue (opossum has no queue, so it is left out).
const QUEUED = 100
await compare(
  `breaker + bulkhead(10, queue), bursts of ${QUEUED} calls: 90 wait in the queue (ms per burst)`,
  [
    {
      name: 'okflow',
      fn: async () => {
        const ps = new Array(QUEUED)
        for (let i = 0; i < QUEUED; i++) ps[i] = okflow.execute(okTask)
        for (const r of await Promise.all(ps)) check(r._unsafeUnwrap())
      },
    },
    {
      name: 'cockatiel 3',
      fn: async () => {
        const ps = new Array(QUEUED)
        for (let i = 0; i < QUEUED; i++) ps[i] = cockatiel.execute(rawTask)
        for (const v of await Promise.all(ps)) check(v)
      },
    },
  ],
  { warmup: 200, rounds: 9, minMs: 200 },
)
opossum.shutdown()

// allAsync over 1000 already-resolved Results vs raw Promise.all and the typed peers.
// Inputs are made once and reused: a resolved promise can be awaited any number of times, so
// each round measures the combining alone.
import * as awaitly from 'awaitly'
import { Effect } from 'effect'
import { ok, okAsync, ResultAsync } from 'neverthrow'
import { allAsync, anyAsync } from '../dist/index.js'
import { compare } from './harness.mjs'

const N = 1000
const ids = Array.from({ length: N }, (_, i) => i)
const rawPromises = ids.map((i) => Promise.resolve(i))
const promisedResults = ids.map((i) => Promise.resolve(ok(i)))
const resultAsyncs = ids.map((i) => okAsync(i))
const syncResults = ids.map((i) => ok(i))
const awaitlyPromises = ids.map((i) => Promise.resolve(awaitly.ok(i)))
const effects = ids.map((i) => Effect.succeed(i))

// Every case gets the same long warm-up, so the JIT has optimised each before it is timed.
const WARM = { warmup: 500, rounds: 9 }

function check(values) {
  if (values.length !== N) throw new Error('wrong length')
}

await compare(
  `allAsync over ${N} resolved Results`,
  [
    { name: 'Promise.all (raw values, baseline)', fn: async () => check(await Promise.all(rawPromises)) },
    {
      name: 'Promise.all + hand-written Result check',
      fn: async () => {
        const rs = await Promise.all(promisedResults)
        const out = new Array(rs.length)
        for (let i = 0; i < rs.length; i++) {
          const r = rs[i]
          if (r.isErr()) throw new Error('unexpected err')
          out[i] = r.value
        }
        check(out)
      },
    },
    {
      name: 'okflow allAsync (Promise<Result>[])',
      fn: async () => check((await allAsync(promisedResults))._unsafeUnwrap()),
    },
    { name: 'okflow allAsync (ResultAsync[])', fn: async () => check((await allAsync(resultAsyncs))._unsafeUnwrap()) },
    { name: 'okflow allAsync (Result[], sync)', fn: async () => check((await allAsync(syncResults))._unsafeUnwrap()) },
    {
      name: 'neverthrow ResultAsync.combine',
      fn: async () => check((await ResultAsync.combine(resultAsyncs))._unsafeUnwrap()),
    },
    {
      name: 'awaitly allAsync',
      fn: async () => {
        const r = await awaitly.allAsync(awaitlyPromises)
        check(r.value)
      },
    },
    {
      name: 'Effect.all (unbounded)',
      fn: async () => check(await Effect.runPromise(Effect.all(effects, { concurrency: 'unbounded' }))),
      warmup: 20, // ~80 ms a call here: fewer warm-up calls reach the same JIT state
    },
  ],
  WARM,
)

await compare(
  `anyAsync over ${N} resolved Results (first wins)`,
  [
    { name: 'Promise.any (raw values, baseline)', fn: () => Promise.any(rawPromises) },
    { name: 'okflow anyAsync (ResultAsync[])', fn: () => anyAsync(resultAsyncs) },
    {
      name: 'Effect.firstSuccessOf',
      fn: () => Effect.runPromise(Effect.firstSuccessOf(effects)),
    },
  ],
  WARM,
)

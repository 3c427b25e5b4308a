// 20,000 trivially async items at concurrency 16: okflow processInBatches against p-map (the
// baseline), p-limit, awaitly's processInBatches and Effect.forEach. Imports the built package.
import { processInBatches as awaitlyBatches } from 'awaitly/batch'
import { Effect } from 'effect'
import { ok } from 'neverthrow'
import pLimit from 'p-limit'
import pMap, { pMapIterable } from 'p-map'
import { compareCpu } from './cpu-harness.mjs'
import { compareOnce } from './harness.mjs'

// OKFLOW_DIST=/path/to/dist compares another build (e.g. before a change) with the same peers.
const { mapStream, processInBatches } = await import(process.env.OKFLOW_DIST ?? '../dist/index.js')

const N = 20_000
const CONCURRENCY = 16
const items = Array.from({ length: N }, (_, i) => i)
const work = async (x) => x * 2
const check = (values) => {
  if (values.length !== N || values[N - 1] !== (N - 1) * 2) throw new Error('wrong output')
}

const rows = await compareOnce(
  `batch: ${N} trivially async items, concurrency ${CONCURRENCY}`,
  [
    { name: 'p-map', fn: async () => check(await pMap(items, work, { concurrency: CONCURRENCY })) },
    {
      name: 'okflow processInBatches',
      fn: async () => {
        const r = await processInBatches(items, async (x) => ok(x * 2), { concurrency: CONCURRENCY })
        check(r._unsafeUnwrap())
      },
    },
    {
      name: 'okflow mapStream',
      fn: async () => {
        const out = []
        for await (const r of mapStream(items, async (x) => ok(x * 2), { concurrency: CONCURRENCY })) {
          out.push(r._unsafeUnwrap())
        }
        check(out)
      },
    },
    {
      name: 'p-limit',
      fn: async () => {
        const limit = pLimit(CONCURRENCY)
        check(await Promise.all(items.map((x) => limit(work, x))))
      },
    },
    {
      name: 'awaitly processInBatches',
      fn: async () => {
        const r = await awaitlyBatches(items, async (x) => ({ ok: true, value: x * 2 }), {
          batchSize: 1000,
          concurrency: CONCURRENCY,
        })
        if (!r.ok) throw new Error('awaitly failed')
        check(r.value)
      },
    },
    {
      name: 'Effect.forEach',
      fn: async () =>
        check(
          await Effect.runPromise(
            Effect.forEach(items, (x) => Effect.promise(() => work(x)), { concurrency: CONCURRENCY }),
          ),
        ),
    },
  ],
  { rounds: 7, warmup: 2 },
)
const okflow = rows.find((r) => r.name === 'okflow processInBatches')
console.log(`\nokflow processInBatches / p-map: ${okflow.ratio.toFixed(2)}× (target ≤ 0.80×)`)

// Issue 18 row: ordered mapStream over a 1M-item async generator against p-map's iterable mode,
// both at the same concurrency with the same trivially async mapper; CPU time.
const STREAM_N = Number(process.env.STREAM_N ?? 1_000_000)
const STREAM_CONCURRENCY = 8
async function* numbers() {
  for (let i = 0; i < STREAM_N; i++) yield i
}
const checkSum = (sum) => {
  if (sum !== STREAM_N * (STREAM_N - 1)) throw new Error('wrong stream output')
}
const streamRows = await compareCpu(
  `mapStream ordered, ${STREAM_N} items of an async generator, concurrency ${STREAM_CONCURRENCY}`,
  [
    {
      name: 'p-map iterable mode (pMapIterable)',
      fn: async () => {
        let sum = 0
        for await (const v of pMapIterable(numbers(), async (x) => x * 2, { concurrency: STREAM_CONCURRENCY })) sum += v
        checkSum(sum)
      },
    },
    {
      name: 'okflow mapStream (ordered)',
      fn: async () => {
        let sum = 0
        for await (const r of mapStream(numbers(), async (x) => ok(x * 2), { concurrency: STREAM_CONCURRENCY })) {
          sum += r._unsafeUnwrap()
        }
        checkSum(sum)
      },
    },
    {
      name: 'okflow mapStream (unordered)',
      fn: async () => {
        let sum = 0
        for await (const r of mapStream(numbers(), async (x) => ok(x * 2), {
          concurrency: STREAM_CONCURRENCY,
          ordered: false,
        })) {
          sum += r._unsafeUnwrap()
        }
        checkSum(sum)
      },
    },
  ],
  { rounds: Number(process.env.ROUNDS ?? 5), warmup: 1 },
)
console.log(`
mapStream ordered / pMapIterable: ${streamRows[1].ratio.toFixed(2)}× (target ≤ 0.80×)`)

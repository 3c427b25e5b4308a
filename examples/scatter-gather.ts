// Scatter-gather with a deadline: query every shard of a search index at once, gather the answers
// that arrive in time, and report the shards that were too slow or failed. Slow shards are aborted
// when the deadline passes, so they stop working for a result nobody will read.
// Run: npm run example -- scatter-gather

import { asCompleted, err, ok, type Result, type TaskContext, withTimeout } from 'okflow'
import { match } from 'ts-pattern'

class ShardError extends Error {
  readonly _tag = 'ShardError' as const
  constructor(readonly shard: number) {
    super(`shard ${shard} returned an error`)
  }
}

interface Hits {
  shard: number
  hits: string[]
}

const SHARDS = 8
const DEADLINE_MS = 100
// Latency of each shard in ms; shards 2 and 6 are slower than the deadline, shard 4 fails.
const latency = [12, 30, 400, 8, 15, 45, 900, 20]
const failing = new Set([4])
const aborted: number[] = []

/** A fake shard query that honours its AbortSignal. */
function queryShard(shard: number, term: string) {
  return ({ signal }: TaskContext): Promise<Result<Hits, ShardError>> =>
    new Promise((resolve) => {
      const timer = setTimeout(
        () =>
          resolve(
            failing.has(shard)
              ? err(new ShardError(shard))
              : ok({ shard, hits: [`${term}-doc-${shard * 10 + 1}`, `${term}-doc-${shard * 10 + 2}`] }),
          ),
        latency[shard],
      )
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer)
          aborted.push(shard)
        },
        { once: true },
      )
    })
}

const started = performance.now()
// Scatter: one lazy task per shard, each limited to the deadline (all start together, so this is
// one deadline for the whole query). Gather: take results in completion order as they arrive.
const tasks = Array.from(
  { length: SHARDS },
  (_, shard) => (ctx: TaskContext) =>
    withTimeout(queryShard(shard, 'okflow'), DEADLINE_MS, { signal: ctx.signal, label: `shard ${shard}` }),
)
const gathered: Hits[] = []
const missing: { shard: number; why: string }[] = []
for await (const { index, result } of asCompleted(tasks)) {
  const ms = Math.round(performance.now() - started)
  result.match(
    (h) => {
      gathered.push(h)
      console.log(`  shard ${index}: ${h.hits.length} hits at ~${ms} ms`)
    },
    (e) => {
      const why = match(e)
        .with({ _tag: 'TimeoutError' }, (t) => `no answer within ${t.ms} ms`)
        .with({ _tag: 'ShardError' }, () => 'error')
        .otherwise((x) => x.message)
      missing.push({ shard: index, why })
      console.log(`  shard ${index}: ${why} at ~${ms} ms`)
    },
  )
}

const hits = gathered.sort((a, b) => a.shard - b.shard).flatMap((g) => g.hits)
console.log(
  `gathered ${gathered.length}/${SHARDS} shards, ${hits.length} hits in ~${Math.round(performance.now() - started)} ms`,
)
console.log(
  `missing: ${missing
    .sort((a, b) => a.shard - b.shard)
    .map((m) => `shard ${m.shard} (${m.why})`)
    .join(', ')}`,
)
console.log(
  `aborted at the deadline: ${aborted
    .sort((a, b) => a - b)
    .map((s) => `shard ${s}`)
    .join(', ')}`,
)
console.log(`partial result: ${hits.slice(0, 4).join(', ')}, …`)

import { describe, expect, it } from 'vitest'
import { runExample } from './run-example.js'

describe('examples/scatter-gather.ts', () => {
  it('gathers the shards that answered in time, reports and aborts the rest', () => {
    const { code, stdout, stderr } = runExample('examples/scatter-gather.ts')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    // One line per shard as its result arrives. Which of shards 8–45 ms apart answers first is up to
    // the scheduler (a loaded machine reorders them), so only the set is checked here; asCompleted's
    // completion order is tested with controlled inputs in test/combinators/as-completed.test.ts.
    const lines = [...stdout.matchAll(/^ {2}shard (\d): (2 hits|.+) at ~\d+ ms$/gm)]
    expect(lines.map((m) => Number(m[1])).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    const gathered = lines.filter((m) => m[2] === '2 hits').map((m) => Number(m[1]))
    expect(gathered.sort()).toEqual([0, 1, 3, 5, 7])
    expect(stdout).toMatch(/gathered 5\/8 shards, 10 hits/)
    expect(stdout).toContain(
      'missing: shard 2 (no answer within 100 ms), shard 4 (error), shard 6 (no answer within 100 ms)',
    )
    expect(stdout).toContain('aborted at the deadline: shard 2, shard 6\n')
    expect(stdout).toContain('partial result: okflow-doc-1, okflow-doc-2, okflow-doc-11, okflow-doc-12')
  })
})

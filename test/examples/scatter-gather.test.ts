import { describe, expect, it } from 'vitest'
import { runExample } from './run-example.js'

describe('examples/scatter-gather.ts', () => {
  it('gathers the shards that answered in time, reports and aborts the rest', () => {
    const { code, stdout, stderr } = runExample('examples/scatter-gather.ts')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    // Results arrive in completion order: the fastest shard (3, 8 ms) before shard 0 (12 ms).
    const order = [...stdout.matchAll(/^ {2}shard (\d): 2 hits/gm)].map((m) => Number(m[1]))
    expect(order).toEqual([3, 0, 7, 1, 5])
    expect(stdout).toMatch(/gathered 5\/8 shards, 10 hits/)
    expect(stdout).toContain(
      'missing: shard 2 (no answer within 100 ms), shard 4 (error), shard 6 (no answer within 100 ms)',
    )
    expect(stdout).toContain('aborted at the deadline: shard 2, shard 6\n')
    expect(stdout).toContain('partial result: okflow-doc-1, okflow-doc-2, okflow-doc-11, okflow-doc-12')
  })
})

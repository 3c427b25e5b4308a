import { describe, expect, it } from 'vitest'
import { runExample } from './run-example.js'

describe('examples/pipeline-logs.ts', () => {
  it('reads, hashes on the pool in chunks, writes summaries and prints per-stage metrics', () => {
    const { code, stdout, stderr } = runExample('examples/pipeline-logs.ts')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toMatch(/read 20000 lines, wrote \d+ summaries covering 20000 lines \(20 bad\) in \d+ ms/)
    // 19,980 good lines over the levels INFO×3, WARN, ERROR, DEBUG (every 1000th line is garbage).
    expect(stdout).toContain('levels DEBUG=3327 ERROR=3333 INFO=9994 WARN=3326')
    for (const stage of ['batch', 'number', 'parse+hash', 'write'])
      expect(stdout).toMatch(new RegExp(`^${stage.replace('+', '\\+')} +`, 'm'))
    expect(stdout).toMatch(/^batch +chunk +in= 20000/m)
    expect(stdout).toMatch(/^parse\+hash +pool .*failed=0 .*buffer-high-water=\d+/m)
    expect(stdout).toMatch(/^progress \d+ chunks$/m)
  })
})

import { describe, expect, it } from 'vitest'
import { runExample } from './run-example.js'

describe('examples/sha256-offload.ts', () => {
  it('hashes on the pool, keeps typed errors, times out a busy task, reports metrics and closes', () => {
    const { code, stdout, stderr } = runExample('examples/sha256-offload.ts')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toMatch(/hashed 32 × 1 MiB on 2 threads/)
    expect(stdout).toMatch(/chunk 0: [0-9a-f]{64}\n/)
    expect(stdout).toContain('all digests match the main thread')
    expect(stdout).toContain('empty chunk → EmptyInput (chunk 7): chunk 7 is empty')
    expect(stdout).toContain('stretch(1e9) → TimeoutError: stretch timed out after 50 ms')
    expect(stdout).toMatch(
      /metrics: submitted=34 completed=32 failed=1 timedOut=1 cancelled=0 queued=0 running=0 threads=2 peakThreads=2 busyMs=\d+ utilization=[01]\.\d\d/,
    )
    expect(stdout).toContain('closed: threads=0; a run after close → CancelledError')
  })
})

import { describe, expect, it } from 'vitest'
import { runExample, scenarioOf } from './run-example.js'

describe('examples/durable-sleep.ts', () => {
  it('a long sleep on a worker frees the slot; a run killed mid-sleep sleeps only what is left', () => {
    const { code, stdout, stderr } = runExample('examples/durable-sleep.ts')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const worker = scenarioOf(stdout, 1)
    expect(worker).toContain('trial-ada: sleeping, due at the recorded wake-up time: true')
    expect(worker).toContain('owner while sleeping: none (lease released)')
    for (const n of [1, 2, 3]) expect(worker).toContain(`receipt-${n}: receipt ${n} sent`)
    expect(worker).toContain('trial-ada: succeeded, claimed 2 times; reminded after the trial: true')
    expect(worker).toContain('worker: 1 suspension(s), 4 runs succeeded')
    const crash = scenarioOf(stdout, 2)
    expect(crash).toContain('killed (SIGKILL) 0.5 s into the 1.5 s sleep')
    expect(crash).toMatch(/child ended by SIGKILL; recorded wake-up time: \d{4}-\d\d-\d\dT/)
    // The durations are printed for the reader; the test checks only what does not depend on timing.
    expect(crash).toMatch(/resumed \d+\.\d\d s after the sleep started, slept \d+\.\d\d s more/)
    expect(crash).toContain('not before the recorded wake-up time: true')
  })
})

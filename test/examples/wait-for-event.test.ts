import { describe, expect, it } from 'vitest'
import { runExample, scenarioOf } from './run-example.js'

describe('examples/wait-for-event.ts', () => {
  it('an early emit is kept, a waiting run frees its slot and the first emit wins, no emit is a TimeoutError', () => {
    const { code, stdout, stderr } = runExample('examples/wait-for-event.ts')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(scenarioOf(stdout, 1)).toContain('ok: shipped A-1 (paid 20 EUR, tx-1)')
    const waiting = scenarioOf(stdout, 2)
    expect(waiting).toContain('A-2 is sleeping, owner: none (its slot is free)')
    expect(waiting).toContain('emit paid:A-2 → first: true')
    expect(waiting).toContain('emit paid:A-2 again → first: false')
    expect(waiting).toContain('ok: shipped A-2 (paid 35 EUR, tx-2)')
    const late = scenarioOf(stdout, 3)
    expect(late).toContain('err: TimeoutError (step "payment", after 1000 ms)')
    expect(late).toContain('A-3 is failed')
    expect(stdout).toContain('worker: 2 succeeded, 1 failed, 2 suspensions')
  })
})

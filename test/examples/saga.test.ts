import { describe, expect, it } from 'vitest'
import { runExample, scenarioOf } from './run-example.js'

describe('examples/saga.ts', () => {
  it('undoes the completed bookings in reverse order when the visa is rejected or the run is cancelled, once', () => {
    const { code, stdout, stderr } = runExample('examples/saga.ts')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(scenarioOf(stdout, 1)).toContain('undone: nothing')
    const rejected = scenarioOf(stdout, 2)
    expect(rejected).toContain('not booked (visa rejected for Atlantis); undone: charge → flight → hotel')
    expect(rejected).toContain('calls: refund charge-129900, cancel flight-Atlantis, release room-Atlantis')
    // The timeline shows the compensations as steps of their own, after the failed one.
    const rows = rejected.split('\n').filter((l) => l.includes('│'))
    expect(rows.map((l) => l.split('│')[0]?.trim())).toEqual([
      'hotel',
      'flight',
      'charge',
      'visa',
      'undo charge',
      'undo flight',
      'undo hotel',
    ])
    const cancelled = scenarioOf(stdout, 3)
    expect(cancelled).toContain('not booked (cancelled); undone: charge → flight → hotel')
    expect(cancelled).toContain('calls: refund charge-129900, cancel flight-Peru, release room-Peru')
    const durable = scenarioOf(stdout, 4)
    expect(durable).toContain('again:  not booked (visa rejected for Atlantis); undone: charge → flight → hotel')
    // Run twice, compensated once: the second run answered from its record.
    expect(durable).toContain('calls: refund charge-129900, cancel flight-Atlantis, release room-Atlantis\n')
  })
})

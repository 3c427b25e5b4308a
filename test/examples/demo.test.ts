import { describe, expect, it } from 'vitest'
import { runExample } from './run-example.js'

describe('examples/demo.ts (npm run demo)', () => {
  it('runs the invoicing workflow end to end and prints its timeline and a Mermaid chart', () => {
    const { code, stdout, stderr } = runExample('examples/demo.ts')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toMatch(/^ok: \{"customer":"Ada","invoices":500,"eur":0\.92,"digest":"[0-9a-f]{16}"\}/)
    const timeline = stdout.split('\n').filter((l) => l.includes('│'))
    expect(timeline.map((l) => l.split('│')[0]?.trim())).toEqual([
      'fetch customer',
      'load data',
      'load data.orders',
      'load data.rates',
      'refresh rates',
      'save 500 invoices (batch)',
      'sha256 of the ledger',
    ])
    expect(timeline.every((l) => l.includes('✓'))).toBe(true)
    expect(timeline.find((l) => l.startsWith('refresh rates'))).toContain('↻1') // the retry is visible
    expect(stdout).toContain('monthly invoicing  run ')
    expect(stdout).toContain('gantt\n  title monthly invoicing (ok)')
  })
})

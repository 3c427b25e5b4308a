import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { runExample } from './run-example.js'

describe('examples/demo.ts (npm run demo)', () => {
  it('runs the invoicing workflow end to end and prints its timeline and a Mermaid chart', () => {
    const { code, stdout, stderr } = runExample('examples/demo.ts')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toMatch(/^ok: \{"customer":"Ada","invoices":500,"eur":0\.92,"digest":"[0-9a-f]{16}"\}/m)
    // The batch step's progress bar (plain lines when piped), ending at the total.
    const progress = stdout.split('\n').filter((l) => l.startsWith('invoices '))
    expect(progress.at(-1)).toMatch(/^invoices 100% 500\/500 · [\d,.]+\/s$/)
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
    const report = /^HTML report: (.+)$/m.exec(stdout)?.[1]
    expect(report).toBeDefined()
    const html = readFileSync(report!, 'utf8')
    expect(html).toContain('<h1>monthly invoicing</h1>')
    expect(html).toContain('save 500 invoices (batch)')
  })
})

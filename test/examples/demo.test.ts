import { describe, expect, it } from 'vitest'
import { runExample } from './run-example.js'

describe('examples/demo.ts', () => {
  it('runs to the end and shows typed results, aborted losers and a retry', () => {
    const { code, stdout, stderr } = runExample('examples/demo.ts')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toContain("{ user: { id: 7, name: 'Ada' }, plan: 'pro' }")
    expect(stdout).toContain('inventory: aborted')
    expect(stdout).toContain('winner: us')
    expect(stdout).toMatch(/mirror-ap: aborted/)
    expect(stdout).toContain('quote 42 after 2 attempts')
    expect(stdout.trim().endsWith('demo finished')).toBe(true)
  })
})

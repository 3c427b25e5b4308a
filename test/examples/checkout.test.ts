import { describe, expect, it } from 'vitest'
import { runExample } from './run-example.js'

describe('examples/checkout.ts', () => {
  it('handles every outcome of the checkout workflow through an exhaustive match', () => {
    const { code, stdout, stderr } = runExample('examples/checkout.ts')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toContain('checkout for user 1 with [pen, notebook]: ✓ paid (rcpt-1-3998), 2 item(s) reserved')
    expect(stdout).toContain('checkout for user 404 with [pen]: ✗ no user 404')
    expect(stdout).toContain('checkout for user 2 with [pen, rare-book]: ✗ rare-book is out of stock')
    expect(stdout).toContain('checkout for user 402 with [pen]: ✗ payment declined: card expired')
    // the successful run's timeline: the group and its two children
    expect(stdout).toMatch(/ {2}reserve stock\[1\] +│/)
  })
})

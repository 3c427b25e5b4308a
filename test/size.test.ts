import { describe, expect, it } from 'vitest'
import { budgets, sizeOf } from '../scripts/size.mjs'

// Users pay for what they import: each public entry stays under its min+gz budget, measured
// on the built package (the test command builds first) with neverthrow external.
describe('bundle size', () => {
  for (const [name, budget] of Object.entries(budgets as Record<string, number>)) {
    it(`${name} is at most ${budget} B min+gz`, async () => {
      const { gzip } = await sizeOf(name)
      expect(gzip).toBeGreaterThan(200) // really bundled something
      expect(gzip).toBeLessThanOrEqual(budget)
    })
  }
})

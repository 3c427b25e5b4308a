import { describe, expect, it } from 'vitest'
import { runExample, scenarioOf } from './run-example.js'

describe('examples/child-tasks.ts', () => {
  const { code, stdout, stderr } = runExample('examples/child-tasks.ts')

  it('runs cleanly', () => {
    expect(stderr).toBe('')
    expect(code).toBe(0)
  })

  it('1. step.map: one child run per item, values in input order', () => {
    const s = scenarioOf(stdout, 1)
    expect(s).toContain('value (input order): ["cat@300px","dog@200px","owl@500px","fox@100px"]')
    expect(s).toContain(
      'child runs: gallery-1/0.0 succeeded, gallery-1/0.1 succeeded, gallery-1/0.2 succeeded, gallery-1/0.3 succeeded',
    )
  })

  it('2. a failed child fails the parent; the retry runs only that child again', () => {
    const s = scenarioOf(stdout, 2)
    expect(s).toContain('first try: err map is too large')
    expect(s).toContain('after retry: ["map@1250px","cat@300px","dog@200px"]')
    expect(s).toContain('resize ran: map ×2, cat ×1, dog ×1')
  })

  it('3. step.any over task calls: the first ok wins, the loser is cancelled', () => {
    const s = scenarioOf(stdout, 3)
    expect(s).toContain('best: fastship €9')
    expect(s).toContain('children: 0.0 cancelled, 0.1 failed, 0.2 succeeded')
  })

  it('4. select, then waitCompleted over the rest, on the same child runs', () => {
    const s = scenarioOf(stdout, 4)
    expect(s.split('\n').filter((l) => /^ {2}(first|then)/.test(l))).toEqual([
      '  first: #1 b €8',
      '  then: c €6',
      '  then: a €5',
    ])
    expect(s).toContain('child runs: 3 (select made them, the rest attached)')
  })
})

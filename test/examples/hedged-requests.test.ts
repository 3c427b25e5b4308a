import { beforeAll, describe, expect, it } from 'vitest'
import { runExample, scenarioOf } from './run-example.js'

describe('examples/hedged-requests.ts', () => {
  let code: number | null = null
  let stdout = ''
  let stderr = ''
  beforeAll(() => {
    ;({ code, stdout, stderr } = runExample('examples/hedged-requests.ts'))
  }, 60_000)
  const scenario = (n: number) => scenarioOf(stdout, n)

  it('runs to the end without errors', () => {
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout.trim().endsWith('hedged requests finished')).toBe(true)
  })

  it('a slow primary: the hedge to the replica wins and the primary is aborted', () => {
    const s = scenario(1)
    expect(s).toContain('→ replica: request sent')
    expect(s).toContain('↳ primary: aborted')
    expect(s).toMatch(/won: attempt 2 \(replica: price=42 from replica\)/)
  })

  it('a fast primary: no hedge is sent, nothing is aborted', () => {
    const s = scenario(2)
    expect(s).toMatch(/won: attempt 1 \(primary/)
    expect(s).not.toContain('replica: request sent')
    expect(s).not.toContain('aborted')
  })

  it('a failing primary brings the hedge forward; all failing gives AllFailedError with each error', () => {
    expect(scenario(3)).toMatch(/won: attempt 2 \(replica/)
    expect(scenario(4)).toContain('failed: All 2 inputs failed: primary returned 503; replica returned 503')
  })
})

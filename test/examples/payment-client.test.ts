import { beforeAll, describe, expect, it } from 'vitest'
import { runExample, scenarioOf } from './run-example.js'

describe('examples/payment-client.ts', () => {
  let code: number | null = null
  let stdout = ''
  let stderr = ''
  beforeAll(() => {
    ;({ code, stdout, stderr } = runExample('examples/payment-client.ts'))
  }, 60_000)
  const scenario = (n: number) => scenarioOf(stdout, n)

  it('runs to the end without errors', () => {
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout.trim().endsWith('payment client finished')).toBe(true)
  })

  it('a decline is an error of its own and is not retried', () => {
    expect(scenario(1)).toContain('A1: ok rcpt-A1')
    expect(scenario(1)).toContain('A2: declined (over limit): not retried')
  })

  it('a slow attempt times out (its request aborted) and the retry succeeds', () => {
    expect(scenario(2)).toContain('gateway: request for B1 aborted')
    expect(scenario(2)).toContain('B1: ok rcpt-B1')
  })

  it('three failed attempts open the breaker; the next call never reaches the gateway', () => {
    const s = scenario(3)
    expect(s).toContain('[breaker] closed → open')
    expect(s).toContain('C1: gateway error 503')
    expect(s).toMatch(/C2: refused: circuit open, retry in ~\d+ ms/)
    expect(s).toContain('gateway requests while down: 3')
  })

  it('after halfOpenAfterMs a successful trial closes the breaker', () => {
    const s = scenario(4)
    expect(s).toContain('[breaker] open → half-open')
    expect(s).toContain('[breaker] half-open → closed')
    expect(s).toContain('D1: ok rcpt-D1')
  })

  it('a burst beyond slots + queue is refused at once; a waiting payment can be cancelled', () => {
    const s = scenario(5)
    expect(s.match(/: ok rcpt-E\d/g)?.length).toBe(5)
    expect(s.match(/refused: too many payments in flight/g)?.length).toBe(2)
    expect(scenario(6)).toContain('F3: cancelled by the caller')
    expect(stdout).toContain('breaker: closed; 19 attempts = 10 ok + 4 failed + 3 not counted')
  })
})

import { beforeAll, describe, expect, it } from 'vitest'
import { runExample } from './run-example.js'

describe('examples/health-dashboard.ts', () => {
  let code: number | null = null
  let stdout = ''
  let stderr = ''
  beforeAll(() => {
    ;({ code, stdout, stderr } = runExample('examples/health-dashboard.ts'))
  }, 60_000)
  const section = (n: number) => stdout.slice(stdout.indexOf(`${n}. `), stdout.indexOf(`${n + 1}. `) >>> 0)

  it('runs to the end without errors', () => {
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toMatch(/health dashboard finished in \d+ ms\n$/)
  })

  it('allAsync answers with the first service down and aborts the slower checks', () => {
    const s = section(1)
    expect(s).toContain('not healthy: cache is down')
    expect(s).toContain('database: aborted')
    expect(s).toContain('search: aborted')
  })

  it('allSettledAsync reports every service, the hung one as a timeout', () => {
    const rows = Object.fromEntries(
      [...section(2).matchAll(/^ {3}(\w+) +(up|DOWN|NO ANSWER within \d+ ms)$/gm)].map((m) => [m[1], m[2]]),
    )
    expect(rows).toEqual({
      database: 'up',
      cache: 'DOWN',
      search: 'up',
      payments: 'NO ANSWER within 100 ms',
      email: 'up',
    })
    expect(section(2)).toContain('payments: aborted')
    expect(section(2)).toContain('2 of 5 services need attention')
  })

  it('anyAsync skips the broken fastest mirror and aborts the slower ones', () => {
    const s = section(3)
    expect(s).toContain('winner: mirror-ap in 25 ms')
    expect(s).toContain('mirror-eu: aborted')
    expect(s).toContain('mirror-sa: aborted')
    expect(s).not.toContain('mirror-ap: aborted')
  })

  it('raceAsync: a fast check aborts the deadline, the deadline aborts a slow check', () => {
    const s = section(4)
    expect(s).toMatch(/deadline 80 ms: aborted\n {3}search answered in 20 ms/)
    expect(s).toMatch(/reports: aborted\n {3}reports: health check timed out after 80 ms/)
    expect(stdout).toContain('aborted: database, search, payments, mirror-eu, mirror-sa, deadline 80 ms, reports\n')
  })
})

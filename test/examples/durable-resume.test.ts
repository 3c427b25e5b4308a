import { describe, expect, it } from 'vitest'
import { runExample } from './run-example.js'

describe('examples/durable-resume.ts', () => {
  it('a run killed by SIGKILL resumes: recorded steps are replayed, the card is charged once', () => {
    const { code, stdout, stderr } = runExample('examples/durable-resume.ts')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toMatch(/child ended by SIGKILL; the lease it left: fence 1, held by pid \d+\n/)
    const resumed = stdout.slice(stdout.indexOf('resumed run'))
    expect(resumed.split('\n').filter((l) => l.startsWith('  '))).toEqual([
      '  replayed: reserve stock (not run again)',
      '  replayed: charge card (not run again)',
      '  running: ship order',
      '  running: email receipt',
    ])
    expect(stdout).toContain('ok: {"sku":"A-1","charge":"ch_42","tracking":"TRK-7"}')
    const timeline = stdout.split('\n').filter((l) => l.includes('│'))
    expect(timeline.map((l) => [l.split('│')[0]?.trim(), l.endsWith('⟲')])).toEqual([
      ['reserve stock', true],
      ['charge card', true],
      ['ship order', false],
      ['email receipt', false],
    ])
    expect(stdout).toContain('side effects: reserve stock → charge card → ship order → email receipt')
    expect(stdout).toContain('card charged 1 time(s)')
  })
})

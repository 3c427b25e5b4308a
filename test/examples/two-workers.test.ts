import { describe, expect, inject, it } from 'vitest'
import { runExample } from './run-example.js'

describe('examples/two-workers.ts', () => {
  it('a worker killed by SIGKILL: the other takes its runs over after the lease and resumes each from its last saved step', () => {
    process.env.DATABASE_URL = inject('pgUrl')
    const { code, stdout, stderr } = runExample('examples/two-workers.ts')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toContain('worker 1 killed (SIGKILL) inside step "label"')
    const results = stdout.split('\n').filter((l) => l.startsWith('order-'))
    expect(results).toHaveLength(4)
    for (const l of results) expect(l).toMatch(/^order-A-\d: ok, 4 steps \(run by /)
    const taken = stdout.split('\n').filter((l) => l.includes('taken over by worker 2'))
    expect(taken.length).toBeGreaterThan(0)
    for (const l of taken) {
      const [, replayed, ran] = l.match(/replayed \[(.*)\], ran \[(.*)\]/) ?? []
      // Each step once, in order: the saved ones replayed, the rest run.
      const steps = [...(replayed ? replayed.split(', ') : []), ...(ran ? ran.split(', ') : [])]
      expect(steps).toEqual(['pick', 'pack', 'label', 'ship'])
    }
    // The run worker 1 was killed in had 'pick' and 'pack' saved.
    expect(taken.some((l) => l.includes('replayed [pick, pack]'))).toBe(true)
    expect(stdout).toContain('states: succeeded, succeeded, succeeded, succeeded')
  })
})

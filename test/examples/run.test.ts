import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'examples/run.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  })

describe('examples/run.ts (npm run example -- <name>)', () => {
  it('runs the example it is given', () => {
    const r = run('scatter-gather')
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/gathered 5\/8 shards/)
  })

  it('lists the examples for an unknown name and fails', () => {
    const r = run('no-such-example')
    expect(r.status).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('unknown example "no-such-example"')
    const listed = r.stderr.match(/examples: (.*)/)?.[1]?.split(', ') ?? []
    expect(listed).toEqual(
      expect.arrayContaining([
        'demo',
        'checkout',
        'health-dashboard',
        'hedged-requests',
        'scatter-gather',
        'sha256-offload',
      ]),
    )
  })
})

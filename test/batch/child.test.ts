import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'

// These run the built package in a fresh node process: no vitest timers or heap in the numbers.
const root = fileURLToPath(new URL('../../', import.meta.url))
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

function runNode(args: string[]): Record<string, unknown> {
  const out = execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 30_000 })
  return JSON.parse(out.trim().split('\n').at(-1) as string) as Record<string, unknown>
}

describe('batch jobs in a child process (built dist/)', () => {
  beforeAll(() => {
    // `npm test` builds first; a bare `vitest run` builds here if there is no dist yet.
    if (!existsSync(new URL('../../dist/index.js', import.meta.url))) {
      execFileSync('npx', ['tsup'], { cwd: root, stdio: 'ignore' })
    }
  }, 60_000)

  it('1,000,000 async-generator items with collect: false grow the heap by < 50 MB', () => {
    const r = runNode(['--expose-gc', fixture('memory.mjs'), '1000000'])
    expect(r.ok).toBe(true)
    expect(r.items).toBe(1_000_000)
    expect(r.peakGrowthMB).toBeLessThan(50)
    expect(r.endGrowthMB).toBeLessThan(50)
  })

  it('leaves no timer and no unhandled rejection after jobs that stop in every way', () => {
    const r = runNode([fixture('leaks.mjs')])
    expect(r).toEqual({ timers: 0, unhandled: 0, aborted: 'CancelledError', failed: 7, broken: 'UnexpectedError' })
  })
})

import { spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { builtHash, sourceHash } from '../../scripts/build.mjs'

const root = fileURLToPath(new URL('../../', import.meta.url))

describe('test set-up', () => {
  it('runs every test against a dist/ built from the current src/', () => {
    // The global set-up rebuilt dist/ if src/ changed since the last build: the stamp it wrote
    // is the hash of the sources on disk right now.
    expect(builtHash()).toBe(sourceHash())
  })

  it('a rebuild keeps every dist/ entry point whole while it runs (tests and worker threads load them meanwhile)', async () => {
    const entries = ['index.js', 'index.cjs', 'worker.js', 'worker.cjs', 'thread.js', 'thread.cjs']
    const whole = (f: string) => existsSync(`${root}dist/${f}`) && statSync(`${root}dist/${f}`).size > 0
    const build = spawn(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'ignore' })
    const exited = new Promise<number | null>((resolve) => build.on('exit', resolve))
    let done = false
    void exited.then(() => {
      done = true
    })
    const missing = new Set<string>()
    while (!done) {
      for (const f of entries) if (!whole(f)) missing.add(f)
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    expect(await exited).toBe(0)
    expect([...missing]).toEqual([])
    expect(builtHash()).toBe(sourceHash())
  }, 120_000)
})

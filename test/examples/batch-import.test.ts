import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { beforeAll, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))

beforeAll(() => {
  // The example imports 'okflow', i.e. the built dist/ (`npm test` builds first).
  if (!existsSync(new URL('../../dist/index.js', import.meta.url))) {
    execFileSync('npx', ['tsup'], { cwd: root, stdio: 'ignore' })
  }
}, 60_000)

it('examples/batch-import.ts imports the stream with progress, ordered checkpoints and a summary', () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'examples/batch-import.ts'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  })
  const checkpoints = [...out.matchAll(/checkpoint batch=(\d+) done=(\d+)/g)].map((m) => Number(m[1]))
  expect(checkpoints).toEqual([0, 1, 2, 3, 4])
  expect(out).toMatch(/progress 50000\/50000/)
  expect(out).toContain('row 10000: bad row: 10000,broken')
  expect(out).toMatch(/imported 49995 rows, 5 failed, saved 49995, in \d+ ms/)
})

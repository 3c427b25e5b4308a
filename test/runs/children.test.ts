import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { fileStore, memoryStore } from '../../src/index.js'
import { childrenSuite } from './children-suite.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

childrenSuite('memoryStore', async () => memoryStore())
childrenSuite('fileStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'okflow-children-'))
  dirs.push(dir)
  return fileStore(dir)
})

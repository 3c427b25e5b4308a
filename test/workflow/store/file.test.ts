import { appendFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileStore } from '../../../src/index.js'
import { describeStoreConformance } from './conformance.js'

describeStoreConformance('fileStore', async (clock) => {
  const dir = mkdtempSync(join(tmpdir(), 'okflow-conf-'))
  return {
    store: fileStore(join(dir, 'runs'), { now: clock.now }),
    reopen: async () => fileStore(join(dir, 'runs'), { now: clock.now }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    tear: async (runId) =>
      appendFileSync(join(dir, 'runs', `${encodeURIComponent(runId)}.jsonl`), '{"seq":1,"key":"k1","ok":tr'),
  }
})

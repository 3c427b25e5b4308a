// Worker-side tasks for the demo. Plain JavaScript: Node 20 cannot load TypeScript in a worker.
import { createHash } from 'node:crypto'
import { defineWorkerTasks } from 'okflow/worker'

export default defineWorkerTasks({
  /** @param {Uint8Array} bytes */
  sha256: (bytes) => createHash('sha256').update(bytes).digest('hex'),
})

// okflow tasks for worker.bench.mjs.
import { createHash } from 'node:crypto'
import { defineWorkerTasks } from '../../dist/worker.js'

export default defineWorkerTasks({
  noop: (n) => n,
  sha256: (bytes) => createHash('sha256').update(bytes).digest('hex'),
})

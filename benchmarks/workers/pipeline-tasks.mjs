// Worker tasks for pipeline.bench.mjs: SHA-256 of every record of a chunk.
import { createHash } from 'node:crypto'
import { defineWorkerTasks } from '../../dist/worker.js'

export default defineWorkerTasks({
  hashMany: (records) => records.map((r) => createHash('sha256').update(r).digest('hex')),
})

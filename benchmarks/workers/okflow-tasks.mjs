// okflow tasks for worker.bench.mjs.
import { createHash } from 'node:crypto'
import { defineWorkerTasks, transfer } from '../../dist/worker.js'

export default defineWorkerTasks({
  noop: (n) => n,
  // Moves a transferred ArrayBuffer back (transferable result), touching its last byte.
  echo: (buf) => {
    new Uint8Array(buf)[buf.byteLength - 1]++
    return transfer(buf, [buf])
  },
  sha256: (bytes) => createHash('sha256').update(bytes).digest('hex'),
})

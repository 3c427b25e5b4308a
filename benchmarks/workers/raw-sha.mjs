// Raw worker_threads baseline for worker.bench.mjs: one message per chunk, answered with its digest.
import { createHash } from 'node:crypto'
import { parentPort } from 'node:worker_threads'

parentPort.on('message', ([id, bytes]) => {
  parentPort.postMessage([id, createHash('sha256').update(bytes).digest('hex')])
})

// Worker-side tasks for examples/sha256-offload.ts. Plain JavaScript (.mjs) because Node 20 cannot
// load TypeScript in a worker thread; the JSDoc types still give the main thread typed task names,
// inputs and outputs through `typeof import('./tasks/hash-tasks.mjs').default`.
import { createHash } from 'node:crypto'
import { err, ok } from 'neverthrow'
import { defineWorkerTasks } from 'okflow/worker'

/** A tagged error: its `_tag`, message and plain fields survive the trip back to the main thread. */
class EmptyInput extends Error {
  _tag = /** @type {const} */ ('EmptyInput')
  name = 'EmptyInput'
  /** @param {number} chunk */
  constructor(chunk) {
    super(`chunk ${chunk} is empty`)
    this.chunk = chunk
  }
}

export default defineWorkerTasks({
  /**
   * SHA-256 of one chunk, as hex; an empty chunk is a typed error, not a throw.
   * @param {{ chunk: number, bytes: Uint8Array }} input
   */
  sha256: ({ chunk, bytes }) =>
    bytes.byteLength === 0 ? err(new EmptyInput(chunk)) : ok(createHash('sha256').update(bytes).digest('hex')),
  /**
   * Hashes `rounds` times in a row: CPU work long enough to time out.
   * @param {number} rounds
   */
  stretch: (rounds) => {
    let digest = Buffer.alloc(32)
    for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).digest()
    return digest.toString('hex')
  },
})

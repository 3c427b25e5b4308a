// Worker tasks for examples/pipeline-logs.ts. Plain JS (.mjs): Node 20 cannot load .ts in a
// worker thread. The JSDoc types are what the main thread's `typeof import(...)` sees.
import { createHash } from 'node:crypto'
import { defineWorkerTasks } from 'okflow/worker'

const LINE = /^(\S+) level=(\w+) svc=(\S+) msg="([^"]*)"$/

/**
 * @typedef {{ first: number, lines: number, bad: number, levels: Record<string, number>,
 *   services: Record<string, number>, digest: string }} ChunkSummary
 */

export default defineWorkerTasks({
  /**
   * Parses a chunk of log lines and hashes each one (CPU work, off the main thread): counts by
   * level and service, and one SHA-256 over the lines' own SHA-256s, in order.
   * @param {{ first: number, lines: string[] }} chunk
   * @returns {ChunkSummary}
   */
  summarize: ({ first, lines }) => {
    /** @type {Record<string, number>} */ const levels = {}
    /** @type {Record<string, number>} */ const services = {}
    const all = createHash('sha256')
    let bad = 0
    for (const line of lines) {
      const m = LINE.exec(line)
      if (m === null) {
        bad++
        continue
      }
      const level = /** @type {string} */ (m[2])
      const svc = /** @type {string} */ (m[3])
      levels[level] = (levels[level] ?? 0) + 1
      services[svc] = (services[svc] ?? 0) + 1
      // Several rounds stand in for real per-line work (parsing JSON payloads, redaction...).
      let h = createHash('sha256').update(line).digest()
      for (let i = 0; i < 20; i++) h = createHash('sha256').update(h).digest()
      all.update(h)
    }
    return { first, lines: lines.length, bad, levels, services, digest: all.digest('hex') }
  },
})

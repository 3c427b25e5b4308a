import { RunLockedError } from '../../errors.js'
import type { StepRecord, WorkflowStore } from './types.js'

/** A store that keeps runs in this process's memory: for tests, and for resuming within one process. */
export interface MemoryStore extends WorkflowStore {
  /** Ids of the runs it holds. */
  runs(): string[]
  /** Forgets a run's history (so its `runId` starts afresh). */
  delete(runId: string): void
}

/**
 * A durable store in memory. Records are copied in and out as JSON, so a replay sees exactly
 * what a file or SQL store would give back; runs are locked like in `fileStore` (a second
 * concurrent run of one `runId` gets `RunLockedError`). Lost when the process exits.
 */
export function memoryStore(): MemoryStore {
  const logs = new Map<string, string[]>()
  const locked = new Set<string>()
  return {
    load: async (runId) => (logs.get(runId) ?? []).map((line) => JSON.parse(line) as StepRecord),
    append: async (runId, record) => {
      const log = logs.get(runId) ?? []
      log.push(JSON.stringify(record))
      logs.set(runId, log)
    },
    lock: async (runId) => {
      if (locked.has(runId)) throw new RunLockedError(runId, process.pid)
      locked.add(runId)
      return async () => {
        locked.delete(runId)
      }
    },
    runs: () => [...logs.keys()],
    delete: (runId) => {
      logs.delete(runId)
    },
  }
}

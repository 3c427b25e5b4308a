import { LeaseLostError, RunLockedError, StoreError } from '../../errors.js'
import { createQueue, type QueueBackend, reopened } from './queue.js'
import type { EmittedEvent, Lease, RunInfo, RunStore, StepRecord, StoreOptions } from './types.js'

/** A store that keeps runs in this process's memory: for tests, and for resuming within one process. */
export interface MemoryStore extends RunStore {
  /** Ids of the runs it holds a history for. */
  runs(): string[]
  /** Forgets a run's history (so its `runId` starts afresh). */
  delete(runId: string): void
}

interface Held {
  owner: string
  fence: number
  expiresAt: number
  released: boolean
}

/**
 * A durable store in memory. Records are copied in and out as JSON, so a replay sees exactly
 * what a file or SQL store would give back; runs are leased like in every v2 store (a second
 * concurrent run of one `runId` gets `RunLockedError`). Also a run queue (createClient,
 * createWorker). Each method does its work without awaiting, so calls are atomic. Lost when
 * the process exits.
 */
export function memoryStore(options: StoreOptions = {}): MemoryStore {
  const now = options.now ?? Date.now
  const logs = new Map<string, string[]>()
  const seqs = new Map<string, Set<number>>()
  const leases = new Map<string, Held>()

  const current = (lease: Lease): Held => {
    const h = leases.get(lease.runId)
    if (!h || h.fence !== lease.fence || h.owner !== lease.owner || h.released) {
      throw new LeaseLostError(lease.runId, lease.fence)
    }
    return h
  }
  const acquireNow = (runId: string, owner: string, leaseMs: number): Lease => {
    const h = leases.get(runId)
    const t = now()
    if (h && !h.released && h.expiresAt > t && h.owner !== owner) throw new RunLockedError(runId)
    const next: Held = { owner, fence: (h?.fence ?? 0) + 1, expiresAt: t + leaseMs, released: false }
    leases.set(runId, next)
    if (!logs.has(runId)) logs.set(runId, [])
    return { runId, owner, fence: next.fence, expiresAt: next.expiresAt }
  }
  const appendNow = (lease: Lease, records: readonly StepRecord[]) => {
    current(lease)
    const have = seqs.get(lease.runId) ?? new Set<number>()
    const batch = new Set<number>()
    for (const r of records) {
      if (have.has(r.seq) || batch.has(r.seq)) {
        throw new StoreError('append', lease.runId, new Error(`seq ${r.seq} is already recorded`))
      }
      batch.add(r.seq)
    }
    const lines = records.map((r) => JSON.stringify(r))
    const log = logs.get(lease.runId) ?? []
    log.push(...lines)
    logs.set(lease.runId, log)
    for (const s of batch) have.add(s)
    seqs.set(lease.runId, have)
  }

  const infos = new Map<string, string>()
  const keys = new Map<string, string>()
  const children = new Map<string, Set<string>>()
  const events = new Map<string, string>()
  const waiting = new Map<string, Set<string>>()
  const waiters = new Set<() => void>()
  const changed = () => {
    for (const w of [...waiters]) w()
  }
  const backend: QueueBackend = {
    now,
    getInfo: async (runId) => {
      const text = infos.get(runId)
      return text === undefined ? undefined : (JSON.parse(text) as RunInfo)
    },
    update: async (runId, change) => {
      // Read, change and write with no await in between: atomic.
      const text = infos.get(runId)
      const next = text === undefined ? undefined : change(JSON.parse(text) as RunInfo)
      if (next === undefined) return undefined
      infos.set(runId, JSON.stringify(next))
      changed()
      return JSON.parse(infos.get(runId) as string) as RunInfo
    },
    createInfo: async (info) => {
      if (infos.has(info.runId)) return false
      infos.set(info.runId, JSON.stringify(info))
      changed()
      return true
    },
    bindKey: async (key, runId) => {
      const bound = keys.get(key)
      if (bound !== undefined) return { runId: bound, bound: false }
      keys.set(key, runId)
      return { runId, bound: true }
    },
    listInfos: async () => [...infos.values()].map((t) => JSON.parse(t) as RunInfo),
    tryAcquire: async (runId, owner, leaseMs) => {
      try {
        return acquireNow(runId, owner, leaseMs)
      } catch (e) {
        if (e instanceof RunLockedError) return undefined
        throw e
      }
    },
    check: async (lease) => {
      current(lease)
    },
    release: async (lease) => release(lease),
    holder: async (runId) => {
      const h = leases.get(runId)
      return h && !h.released && h.expiresAt > now() ? h.owner : undefined
    },
    load: async (runId) => loadNow(runId),
    addChildren: async (parentId, runIds) => {
      const set = children.get(parentId) ?? new Set<string>()
      for (const id of runIds) set.add(id)
      children.set(parentId, set)
    },
    childIds: async (parentId) => [...(children.get(parentId) ?? [])],
    createEvent: async (key, event) => {
      if (events.has(key)) return false
      events.set(key, JSON.stringify(event))
      return true
    },
    readEvent: async (key) => {
      const text = events.get(key)
      return text === undefined ? undefined : (JSON.parse(text) as EmittedEvent)
    },
    addWaiter: async (key, runId) => {
      const set = waiting.get(key) ?? new Set<string>()
      set.add(runId)
      waiting.set(key, set)
    },
    waitersOf: async (key) => [...(waiting.get(key) ?? [])],
    changed,
  }
  const loadNow = (runId: string) => (logs.get(runId) ?? []).map((line) => JSON.parse(line) as StepRecord)
  const release = (lease: Lease) => {
    const h = leases.get(lease.runId)
    if (h && h.fence === lease.fence && h.owner === lease.owner) h.released = true
  }

  return {
    ...createQueue(backend),
    acquire: async (runId, owner, leaseMs) => acquireNow(runId, owner, leaseMs),
    renew: async (lease, leaseMs) => {
      const h = current(lease)
      h.expiresAt = now() + leaseMs
      return { ...lease, expiresAt: h.expiresAt }
    },
    release: async (lease) => release(lease),
    load: async (runId) => loadNow(runId),
    append: async (lease, record) => appendNow(lease, [record]),
    appendMany: async (lease, records) => appendNow(lease, records),
    reopen: async (lease) => {
      current(lease)
      const keep = reopened(loadNow(lease.runId))
      logs.set(
        lease.runId,
        keep.map((r) => JSON.stringify(r)),
      )
      seqs.set(lease.runId, new Set(keep.map((r) => r.seq)))
    },
    wait: (ms, signal) =>
      new Promise<void>((resolve) => {
        // Resolves when a run is created, changes or is woken, an event is emitted, after `ms`,
        // or on abort; leaves nothing behind.
        const done = () => {
          clearTimeout(timer)
          waiters.delete(done)
          signal?.removeEventListener('abort', done)
          resolve()
        }
        const timer = setTimeout(done, ms)
        waiters.add(done)
        if (signal?.aborted) done()
        else signal?.addEventListener('abort', done)
      }),
    runs: () => [...logs.keys()],
    delete: (runId) => {
      logs.delete(runId)
      seqs.delete(runId)
    },
  }
}

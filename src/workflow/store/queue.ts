import type { Lease, NewRun, RunInfo, RunQueue, RunState, StepRecord } from './types.js'

/**
 * What a store gives the shared run-queue logic: run records, an atomic create for runs and
 * idempotency keys, and its leases. memoryStore and fileStore implement it; the queue rules
 * (what is claimable, what each state change does) live here once.
 */
export interface QueueBackend {
  now(): number
  getInfo(runId: string): Promise<RunInfo | undefined>
  /** Overwrites a run's record (atomically: a reader sees the old or the new one). */
  putInfo(info: RunInfo): Promise<void>
  /** Creates a run's record unless one exists; false if it existed. Atomic. */
  createInfo(info: RunInfo): Promise<boolean>
  /** Binds `key` to `runId` unless it is bound already; resolves to the run it is bound to, and whether this call bound it. Atomic. */
  bindKey(key: string, runId: string): Promise<{ readonly runId: string; readonly bound: boolean }>
  listInfos(): Promise<RunInfo[]>
  /** The lease, or undefined when another holder has a live one. */
  tryAcquire(runId: string, owner: string, leaseMs: number): Promise<Lease | undefined>
  /** Rejects LeaseLostError unless `lease` is still the run's lease. */
  check(lease: Lease): Promise<void>
  release(lease: Lease): Promise<void>
  /** The owner of a live lease of the run, if any. */
  holder(runId: string): Promise<string | undefined>
}

const ENDED: readonly RunState[] = ['succeeded', 'failed', 'cancelled']
// Written out, not spread from ENDED: a top-level spread is code a bundler must keep.
const RELEASING: readonly RunState[] = ['succeeded', 'failed', 'cancelled', 'sleeping', 'pending']

function without<T extends object, K extends keyof T>(o: T, ...keys: K[]): Omit<T, K> {
  const out = { ...o }
  for (const k of keys) delete out[k]
  return out
}

/** The RunQueue half of a store, over its backend. */
export function createQueue(b: QueueBackend): RunQueue {
  const due = (r: RunInfo) => r.dueAt === undefined || r.dueAt <= b.now()
  const claimable = async (r: RunInfo) =>
    ((r.state === 'pending' || r.state === 'sleeping') && due(r)) ||
    (r.state === 'running' && (await b.holder(r.runId)) === undefined)

  return {
    async createRun(run: NewRun) {
      // With a key, the call that binds it is the one that creates the run (exactly one does);
      // another call finding the key bound writes the run's record too if it is not there yet
      // (the binder may have died in between), but reports created: false.
      const key = run.idempotencyKey === undefined ? undefined : await b.bindKey(run.idempotencyKey, run.runId)
      const runId = key?.runId ?? run.runId
      const t = b.now()
      const info: RunInfo = {
        runId,
        workflow: run.workflow,
        version: run.version,
        state: 'pending',
        input: run.input,
        ...(run.idempotencyKey === undefined ? {} : { idempotencyKey: run.idempotencyKey }),
        createdAt: t,
        updatedAt: t,
        claims: 0,
      }
      if (await b.createInfo(info)) return { run: info, created: key ? key.bound : true }
      const existing = (await b.getInfo(runId)) ?? info
      const created = key?.bound === true && existing.idempotencyKey === run.idempotencyKey
      return { run: existing, created }
    },
    getRun: (runId) => b.getInfo(runId),
    async listRuns(filter = {}) {
      const all = (await b.listInfos()).filter(
        (r) =>
          (filter.workflow === undefined || r.workflow === filter.workflow) &&
          (filter.state === undefined || r.state === filter.state),
      )
      all.sort((x, y) => y.createdAt - x.createdAt || (x.runId < y.runId ? -1 : x.runId > y.runId ? 1 : 0))
      return filter.limit === undefined ? all : all.slice(0, filter.limit)
    },
    async claim(workflows, owner, leaseMs, limit) {
      const out: { run: RunInfo; lease: Lease }[] = []
      const candidates = (await b.listInfos())
        .filter((r) => workflows.includes(r.workflow))
        .sort((x, y) => (x.dueAt ?? x.createdAt) - (y.dueAt ?? y.createdAt))
      for (const c of candidates) {
        if (out.length >= limit) break
        if (!(await claimable(c))) continue
        const lease = await b.tryAcquire(c.runId, owner, leaseMs)
        if (!lease) continue // SKIP LOCKED: another claimer has it
        // Read again under the lease: it may have ended while we were getting here.
        const now = await b.getInfo(c.runId)
        if (!now || ENDED.includes(now.state) || ((now.state === 'pending' || now.state === 'sleeping') && !due(now))) {
          await b.release(lease)
          continue
        }
        const run: RunInfo = {
          ...without(now, 'dueAt'),
          state: 'running',
          claims: now.claims + 1,
          owner,
          updatedAt: b.now(),
        }
        await b.putInfo(run)
        out.push({ run, lease })
      }
      return out
    },
    async setState(lease, state, opts = {}) {
      await b.check(lease)
      const info = await b.getInfo(lease.runId)
      if (info) {
        let next: RunInfo = { ...without(info, 'dueAt', 'error'), state, updatedAt: b.now() }
        if (opts.dueAt !== undefined) next = { ...next, dueAt: opts.dueAt }
        if (opts.error !== undefined) next = { ...next, error: opts.error }
        if (RELEASING.includes(state)) next = without(next, 'owner')
        await b.putInfo(next)
      }
      if (RELEASING.includes(state)) await b.release(lease)
    },
    async requestCancel(runId) {
      const info = await b.getInfo(runId)
      if (!info || ENDED.includes(info.state)) return info
      const next: RunInfo =
        info.state === 'running'
          ? { ...info, cancelRequested: true, updatedAt: b.now() }
          : { ...without(info, 'dueAt'), state: 'cancelled', cancelRequested: true, updatedAt: b.now() }
      await b.putInfo(next)
      return next
    },
    async requeue(runId) {
      const info = await b.getInfo(runId)
      if (!info || (info.state !== 'failed' && info.state !== 'cancelled')) return info
      const next: RunInfo = {
        ...without(info, 'error', 'dueAt', 'cancelRequested', 'owner'),
        state: 'pending',
        updatedAt: b.now(),
      }
      await b.putInfo(next)
      return next
    },
  }
}

/** The records a reopened (retried) run keeps: no outcome, nothing from the first failed step on. */
export function reopened(records: readonly StepRecord[]): StepRecord[] {
  let first = Number.POSITIVE_INFINITY
  for (const r of records) if (r.seq >= 0 && !r.ok && r.seq < first) first = r.seq
  return records.filter((r) => r.seq >= 0 && r.seq < first)
}

import type { ChildRun, EmittedEvent, Lease, NewRun, RunInfo, RunQueue, RunState, StepRecord } from './types.js'

/**
 * What a store gives the shared run-queue logic: run records, an atomic create for runs and
 * idempotency keys, and its leases. memoryStore and fileStore implement it; the queue rules
 * (what is claimable, what each state change does) live here once.
 */
export interface QueueBackend {
  now(): number
  getInfo(runId: string): Promise<RunInfo | undefined>
  /**
   * Changes a run's record: `change` gets the current one and returns the new one (or undefined
   * to leave it). Atomic against the store's other updates of that run (a reader sees the old or
   * the new record). Resolves to the record written, or undefined when nothing was.
   */
  update(runId: string, change: (info: RunInfo) => RunInfo | undefined): Promise<RunInfo | undefined>
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
  /** The run's journal (for the outcome record of a child). */
  load(runId: string): Promise<readonly StepRecord[]>
  /** Notes that these runs are `parentId`'s children; called before their records are created. */
  addChildren(parentId: string, runIds: readonly string[]): Promise<void>
  /** Ids noted by addChildren (any order, repeats allowed; a record may not exist yet). */
  childIds(parentId: string): Promise<readonly string[]>
  /** Saves `key`'s event unless it has one; true when this call saved it. Atomic (first wins). */
  createEvent(key: string, event: EmittedEvent): Promise<boolean>
  readEvent(key: string): Promise<EmittedEvent | undefined>
  /** Notes `runId` as waiting for `key` (durable before it resolves). */
  addWaiter(key: string, runId: string): Promise<void>
  /** The runs noted as waiting for `key` (repeats allowed). */
  waitersOf(key: string): Promise<readonly string[]>
  /** Called after a wake-up or an emit (memoryStore's `wait` resolves on it). */
  changed?(): void
}

const ENDED: readonly RunState[] = ['succeeded', 'failed', 'cancelled']
// Written out, not spread from ENDED: a top-level spread is code a bundler must keep.
const RELEASING: readonly RunState[] = ['succeeded', 'failed', 'cancelled', 'sleeping', 'pending']
/** How many record reads or writes the queue has in flight at once (file stores: one file each). */
const PARALLEL = 16

/** Runs `f` over `items`, at most PARALLEL at a time; results in input order. */
async function each<T, R>(items: readonly T[], f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const lane = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await f(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, lane))
  return out
}

const byId = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0)

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
  const fresh = (run: NewRun, runId = run.runId): RunInfo => {
    const t = b.now()
    return {
      runId,
      workflow: run.workflow,
      version: run.version,
      state: 'pending',
      input: run.input,
      ...(run.idempotencyKey === undefined ? {} : { idempotencyKey: run.idempotencyKey }),
      ...(run.parentId === undefined ? {} : { parentId: run.parentId }),
      createdAt: t,
      updatedAt: t,
      claims: 0,
    }
  }

  async function wake(runId: string): Promise<void> {
    await b.update(runId, (info) =>
      info.state === 'sleeping'
        ? { ...without(info, 'woken'), dueAt: b.now(), updatedAt: b.now() }
        : (info.state === 'pending' || info.state === 'running') && !info.woken
          ? { ...info, woken: true }
          : undefined,
    )
    b.changed?.()
  }

  /**
   * client.cancel of one run: a pending/sleeping run ends at once (waking its parent), a running
   * one is flagged. One with compensations to run (a record marked `undo`, no outcome) is flagged
   * and made due now instead: a worker replays it to the cancel and compensates. So is one that
   * changed (claimed, or put to sleep) while its journal was read: it may have written one since.
   */
  async function cancelOne(runId: string): Promise<RunInfo | undefined> {
    const seen = await b.getInfo(runId)
    if (!seen) return undefined
    // Read only for a run that waits to be claimed (a running one is flagged whatever it holds).
    const records = seen.state === 'pending' || seen.state === 'sleeping' ? await b.load(runId) : []
    const undo = records.some((r) => r.undo === true && r.ok) && !records.some((r) => r.seq === -1)
    let ended = false
    const next = await b.update(runId, (info) => {
      if (ENDED.includes(info.state)) return undefined
      if (info.state === 'running') return { ...info, cancelRequested: true, updatedAt: b.now() }
      if (undo || info.state !== seen.state || info.claims !== seen.claims) {
        return { ...without(info, 'woken'), dueAt: b.now(), cancelRequested: true, updatedAt: b.now() }
      }
      ended = true
      return { ...without(info, 'dueAt', 'woken'), state: 'cancelled', cancelRequested: true, updatedAt: b.now() }
    })
    if (ended && next?.parentId !== undefined) await wake(next.parentId)
    return next ?? (await b.getInfo(runId))
  }

  return {
    async createRun(run: NewRun) {
      // With a key, the call that binds it is the one that creates the run (exactly one does);
      // another call finding the key bound writes the run's record too if it is not there yet
      // (the binder may have died in between), but reports created: false.
      const key = run.idempotencyKey === undefined ? undefined : await b.bindKey(run.idempotencyKey, run.runId)
      const runId = key?.runId ?? run.runId
      const info = fresh(run, runId)
      if (run.parentId !== undefined) await b.addChildren(run.parentId, [runId])
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
      all.sort((x, y) => y.createdAt - x.createdAt || byId(x.runId, y.runId))
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
        // Decided again on the current record: it may have ended while we were getting here.
        // A wake-up before this claim is seen by the run itself (it reads after it registered).
        const run = await b.update(c.runId, (now) =>
          ENDED.includes(now.state) || ((now.state === 'pending' || now.state === 'sleeping') && !due(now))
            ? undefined
            : {
                ...without(now, 'dueAt', 'woken'),
                state: 'running',
                claims: now.claims + 1,
                owner,
                updatedAt: b.now(),
              },
        )
        if (!run) {
          await b.release(lease)
          continue
        }
        out.push({ run, lease })
      }
      return out
    },
    async setState(lease, state, opts = {}) {
      await b.check(lease)
      const info = await b.update(lease.runId, (info) => {
        let next: RunInfo = { ...without(info, 'dueAt', 'error'), state, updatedAt: b.now() }
        if (opts.dueAt !== undefined) next = { ...next, dueAt: opts.dueAt }
        if (opts.error !== undefined) next = { ...next, error: opts.error }
        // A wake-up (or a cancel: its worker did not see it) that came while the run was
        // deciding to sleep: due at once.
        if (state === 'sleeping' && (info.woken || info.cancelRequested)) {
          next = { ...without(next, 'woken'), dueAt: b.now() }
        }
        if (RELEASING.includes(state)) next = without(next, 'owner')
        return ENDED.includes(state) ? without(next, 'woken') : next
      })
      if (RELEASING.includes(state)) await b.release(lease)
      if (info?.parentId !== undefined && ENDED.includes(state)) await wake(info.parentId)
    },
    async requestCancel(runId) {
      const info = await cancelOne(runId)
      if (!info) return info
      // Every unfinished descendant too (an ended child may still have running children).
      const seen = new Set([runId])
      let level = [runId]
      while (level.length > 0) {
        const ids = (await each(level, (p) => b.childIds(p))).flat().filter((c) => !seen.has(c) && seen.add(c))
        await each(ids, cancelOne)
        level = ids
      }
      return info
    },
    async requeue(runId) {
      return b
        .update(runId, (info) =>
          info.state !== 'failed' && info.state !== 'cancelled'
            ? undefined
            : {
                ...without(info, 'error', 'dueAt', 'cancelRequested', 'owner', 'woken'),
                state: 'pending',
                updatedAt: b.now(),
              },
        )
        .then(async (next) => next ?? (await b.getInfo(runId)))
    },

    async createRuns(runs) {
      // Noted as children first: a crash between the two leaves a noted id without a record
      // (listChildren skips it, the parent's replay creates it), never an unlisted child.
      const byParent = new Map<string, string[]>()
      for (const r of runs) {
        if (r.parentId === undefined) continue
        const ids = byParent.get(r.parentId) ?? []
        ids.push(r.runId)
        byParent.set(r.parentId, ids)
      }
      for (const [parent, ids] of byParent) await b.addChildren(parent, ids)
      await each(runs, (r) => b.createInfo(fresh(r)))
      b.changed?.()
    },
    async listChildren(parentId, opts = {}) {
      const { prefix, outcomes } = opts
      const ids = [...new Set(await b.childIds(parentId))]
        .filter((c) => prefix === undefined || c.startsWith(prefix))
        .sort(byId)
      const children = await each(ids, async (runId): Promise<ChildRun | undefined> => {
        const info = await b.getInfo(runId)
        if (!info || info.parentId !== parentId) return undefined
        if (!ENDED.includes(info.state)) return { runId, state: info.state }
        const child: ChildRun = { runId, state: info.state, endedAt: info.updatedAt }
        if (!outcomes) return child
        // The outcome is seq -1 only: seq -2 and below are compensation markers.
        const outcome = (await b.load(runId)).find((r) => r.seq === -1)
        return outcome ? { ...child, outcome } : child
      })
      return children.filter((c): c is ChildRun => c !== undefined)
    },
    wake,
    async emit(key, payload) {
      const first = await b.createEvent(key, { payload, at: b.now() })
      // Written first, then the waiters woken: a waiter registers before it reads, so it either
      // reads this event or is registered in time to be woken here. A later emit of the key wakes
      // them again (changing nothing else): an emit cut short between the two is made good by a retry.
      await each([...new Set(await b.waitersOf(key))], wake)
      b.changed?.()
      return first
    },
    async getEvent(key, waiter) {
      if (waiter !== undefined) await b.addWaiter(key, waiter)
      return b.readEvent(key)
    },
  }
}

/** The records a reopened (retried) run keeps: no outcome, nothing from the first failed step on (none after compensation). */
export function reopened(records: readonly StepRecord[]): StepRecord[] {
  const from = reopenFrom(records)
  return records.filter((r) => r.seq >= 0 && r.seq < from)
}

/**
 * The first position a reopened (retried) run runs again: its first failed step, or 0 for a
 * compensated run (markers, seq <= -2: it starts again from its first step); Infinity if none.
 */
export function reopenFrom(records: readonly StepRecord[]): number {
  if (records.some((r) => r.seq <= -2)) return 0
  let first = Number.POSITIVE_INFINITY
  for (const r of records) if (r.seq >= 0 && !r.ok && r.seq < first) first = r.seq
  return first
}

/**
 * The durable side of a workflow run (a workflow with a `store`): the lease, the recorded
 * history, replay, and saving finished steps.
 *
 * A run takes its lease from the store (a random owner token, `leaseMs`, default 30 s), renews it
 * every `leaseMs / 3` (an unref'd timer), writes every record conditionally on the lease's
 * fence, and releases it when the run settles. If the lease is lost (taken over after it expired,
 * e.g. while this process was frozen), the run ends with `LeaseLostError` at once, its running
 * steps are aborted through their signal, and it writes nothing more.
 *
 * For workers (createWorker, internal): a worker that already holds the lease from
 * `store.claim(…)` runs the run under that lease with
 *   createWorkflow(deps, { store, runId, leaseMs, retry: true, signal, [HELD_LEASE]: lease } as WorkflowOptions)
 * (`HELD_LEASE` is in held-lease.ts, apart from this module, which is loaded only on demand)
 * The run then does not acquire: it uses `lease` (heartbeats it while live, fails with
 * LeaseLostError if it is taken) and does NOT release it at the end: the worker ends the run
 * with `store.setState(lease, …)`, which releases it. `retry: true` reopens a failed run's
 * journal (so a requeued run runs again from its failed step); it is harmless for other runs.
 *
 * Suspension (a run on a worker that must wait: see suspend.ts). When a step answers
 * `Suspended`, no new step starts (the run has exited), and steps already running are allowed
 * to finish and save their records (each bounded by its own timeout; the worker's signal or a
 * lost lease cuts the wait short) before the run ends without an outcome. Only steps that save
 * a record are waited for: a `record: false` step is aborted, it would run again on wake anyway.
 */
import { randomUUID } from 'node:crypto'
import { err, ok, type Result } from 'neverthrow'
import {
  CancelledError,
  InvalidOptionsError,
  LeaseLostError,
  ReplayMismatchError,
  RunLockedError,
  StoreError,
} from '../errors.js'
import { CANCELLED_RUN, HELD_LEASE, SLEEP_IN_PROCESS } from './held-lease.js'
import { childPosition } from './primitives/children.js'
import type { WorkflowRun } from './run.js'
import { storeError } from './store/failure.js'
import { reopenFrom } from './store/queue.js'
import { fromRecord, type RecordMeta, type StepCodec, toRecord } from './store/record.js'
import type { Lease, RunQueue, StepRecord, WorkflowStore } from './store/types.js'
import { isSuspended, Suspended } from './suspend.js'

export { fromRecord, type StepCodec, toRecord } from './store/record.js'

type AnyResult = Result<unknown, unknown>

/** Errors only a durable run (a workflow with a `store`) can end with. */
export type DurableError = ReplayMismatchError | RunLockedError | StoreError | LeaseLostError

/** Store failures become typed errors; a typed one the store chose is kept. */

/**
 * Outcomes that are not the run's answer: a run that was stopped (its signal: cancelled, drained),
 * suspended or broken stays resumable. A CancelledError the body ended with by itself (a child
 * run that was cancelled, a step's own answer) is the run's answer: it is recorded.
 */
const resumable = (r: AnyResult, stopped: boolean) =>
  r.isErr() &&
  ((r.error instanceof CancelledError && (stopped || isSuspended(r.error))) ||
    r.error instanceof ReplayMismatchError ||
    r.error instanceof RunLockedError ||
    r.error instanceof StoreError ||
    r.error instanceof LeaseLostError)

/** What `open` reads of the workflow's options (createWorkflow passes them as they are). */
export interface OpenOptions {
  /** Lease length; renewed every third of it. */
  readonly leaseMs?: number | undefined
  /** A failed run is reopened: its ok steps replay, the failed one runs again. */
  readonly retry?: boolean | undefined
  /** The run's stop signal: it also cuts short a suspending run's wait for its running steps. */
  readonly signal?: AbortSignal | undefined
  /** A lease the caller already holds (a worker after `claim`): not acquired, not released. */
  readonly [HELD_LEASE]?: Lease | undefined
  /** On a worker: a `step.sleep` whose remainder is at most this long sleeps in process (default 1000). */
  readonly [SLEEP_IN_PROCESS]?: number | undefined
  /** On a worker: the run was claimed with a cancel request; it replays to this error (`halt`) and compensates. */
  readonly [CANCELLED_RUN]?: CancelledError | undefined
}

type Write = { rec: StepRecord; done: (e: DurableError | undefined) => void }

/**
 * The durable side of one run: the lease, the recorded history (by position), the next
 * position, and a write queue so records reach the store in order (several at once, in one
 * `appendMany`, when steps finish together) and all are in before the lease goes.
 */
export class Durable {
  /** Position of the next step the body asks for. */
  pos = 0
  /** Compensation markers (seq <= -2) by seq. */
  marks = new Map<number, StepRecord>()
  /**
   * Set when the run stopped while compensating: the error it had ended with. A step with no
   * record then does not run: it ends with this error, so the body ends as it did before. Also
   * set (to the cancel) for a run a worker claimed with a cancel request (`cancelled`): it
   * replays what it recorded, registering its compensations, and stops at its first new step.
   */
  halt: AnyResult | undefined
  /** The run was claimed with a cancel request (see `halt`): it compensates as a cancelled run. */
  cancelled = false
  closed = false
  /** Set when the lease was taken over: nothing more is written. */
  lost: LeaseLostError | undefined
  /** True when `open` reopened a failed run (a retry): in-process workflow children of `step.map` are retried too. */
  reopened = false
  private readonly lostController = new AbortController()
  private readonly queue: Write[] = []
  private flushing: Promise<void> | undefined
  private timer: ReturnType<typeof setInterval> | undefined
  /** Local time by which the lease runs out unless renewed (our own clock: a store's may differ). */
  private validUntil: number
  /** Positions of steps running now that will save a record (a suspending run waits for them). */
  private readonly inFlight = new Set<number>()
  private idle: (() => void) | undefined
  /** The earliest due time of the suspensions seen (the run wakes for the first of them). */
  private dueAt: number | undefined
  /** On a worker: the longest sleep that sleeps in process instead of suspending (Infinity in process). */
  readonly sleepInProcessMs: number
  private readonly stopSignal: AbortSignal | undefined
  /** Whether the run was stopped from outside (its signal: a cancel, a worker's drain). */
  private get stopped(): boolean {
    return this.cancelled || this.stopSignal?.aborted === true
  }

  private constructor(
    readonly store: WorkflowStore,
    readonly runId: string,
    private lease: Lease,
    private readonly leaseMs: number,
    /** False on a worker (the lease came from a claim): such a run may suspend (see suspend.ts). */
    readonly owned: boolean,
    readonly steps: Map<number, StepRecord>,
    /** The recorded outcome of a finished run. */
    readonly outcome: StepRecord | undefined,
    o: OpenOptions,
  ) {
    this.sleepInProcessMs = owned ? Number.POSITIVE_INFINITY : (o[SLEEP_IN_PROCESS] ?? 1000)
    this.stopSignal = o.signal
    this.validUntil = Date.now() + leaseMs
    this.timer = setInterval(() => this.heartbeat(), Math.max(1, Math.floor(leaseMs / 3)))
    this.timer.unref?.()
  }

  /** Aborted when the lease is lost: the run then stops at once. */
  get signal(): AbortSignal {
    return this.lostController.signal
  }

  /** Takes the run's lease (unless held) and loads its history; a failed run is reopened on `retry`. */
  static async open(store: WorkflowStore, runId: string, o: OpenOptions = {}): Promise<Result<Durable, DurableError>> {
    const leaseMs = o.leaseMs ?? 30_000
    const held = o[HELD_LEASE]
    let lease: Lease
    try {
      lease = held ?? (await store.acquire(runId, randomUUID(), leaseMs))
    } catch (e) {
      return err(storeError('lock', runId, e))
    }
    const giveUp = async (e: DurableError) => {
      if (!held) await store.release(lease).catch(() => {})
      return err(e)
    }
    let records: readonly StepRecord[]
    try {
      records = await store.load(runId)
    } catch (e) {
      return giveUp(storeError('load', runId, e))
    }
    const reopened = o.retry === true && records.some((r) => r.seq === -1 && !r.ok)
    if (reopened) {
      try {
        // Before the journal is reopened, so that a crash in between does this again: the
        // failed children of the steps that will run again are run again too.
        await requeueFailedChildren(store as WorkflowStore & Partial<RunQueue>, runId, records)
        await store.reopen(lease)
        records = await store.load(runId)
      } catch (e) {
        return giveUp(storeError('reopen', runId, e))
      }
    }
    const steps = new Map<number, StepRecord>()
    const marks = new Map<number, StepRecord>()
    let outcome: StepRecord | undefined
    for (const rec of records) {
      if (rec.seq === -1) outcome = rec
      else if (rec.seq < 0) marks.set(rec.seq, rec)
      else steps.set(rec.seq, rec)
    }
    const d = new Durable(store, runId, lease, leaseMs, !held, steps, outcome, o)
    d.reopened = reopened
    d.marks = marks
    // A started compensation holds the error the run ended with: the run was compensating when
    // it stopped, so it replays to that error and compensates on (see compensate.ts).
    const started = [...marks.values()].find((m) => m.seq % 2 === 0)
    if (started && !outcome) d.halt = fromRecord(started)
    else if (o[CANCELLED_RUN] && !outcome) {
      // Cancelled while it slept off its worker: it replays to the cancel, then compensates.
      d.halt = err(o[CANCELLED_RUN])
      d.cancelled = true
    }
    return ok(d)
  }

  private heartbeat(): void {
    if (this.lost || this.timer === undefined) return
    if (Date.now() > this.validUntil) {
      this.loseLease(new LeaseLostError(this.runId, this.lease.fence))
      return
    }
    const asked = Date.now()
    this.store.renew(this.lease, this.leaseMs).then(
      (l) => {
        if (this.timer === undefined || this.lost) return
        this.lease = l
        this.validUntil = asked + this.leaseMs
      },
      (e: unknown) => {
        // A failed heartbeat is retried at the next tick; only a taken lease (or running out) ends the run.
        if (e instanceof LeaseLostError) this.loseLease(e)
      },
    )
  }

  private loseLease(e: LeaseLostError): void {
    if (this.lost) return
    this.lost = e
    this.stopHeartbeat()
    this.lostController.abort(e)
  }

  private stopHeartbeat(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }

  /**
   * The recorded result at `pos`, a ReplayMismatchError if the recording has another key there, or
   * undefined: the step at `pos` then runs, and counts as in flight until `save(pos, …)` is called
   * for it (call replay only for a step that will be saved; read `steps` to peek).
   */
  replay(pos: number, key: string, codec?: StepCodec): AnyResult | undefined {
    const rec = this.steps.get(pos)
    if (!rec) {
      // A run resuming its compensations replays to the error it ended with (see compensate.ts).
      if (this.halt) return this.halt
      this.inFlight.add(pos)
      return undefined
    }
    return rec.key === key
      ? fromRecord(rec, codec, this.runId)
      : err(new ReplayMismatchError(this.runId, pos, rec.key, key))
  }

  /** Saves a finished step; resolves to its result, or to the err that it could not be saved. */
  save(seq: number, key: string, r: AnyResult, what: string, meta?: RecordMeta): Promise<AnyResult> {
    const left = () => {
      if (this.inFlight.delete(seq) && this.inFlight.size === 0) this.idle?.()
    }
    // A suspension is not the step's outcome: nothing is written, the run waits and asks again.
    if (r.isErr() && isSuspended(r.error)) {
      const due = r.error.dueAt
      if (due !== undefined && !(this.dueAt !== undefined && this.dueAt <= due)) this.dueAt = due
      left()
      return Promise.resolve(r)
    }
    let out: Promise<AnyResult>
    if (this.closed) out = Promise.resolve(r)
    else if (this.lost) out = Promise.resolve(err(this.lost))
    else {
      const rec = toRecord(seq, key, r, what, meta)
      out =
        rec instanceof InvalidOptionsError ? Promise.resolve(err(rec)) : this.write(rec).then((e) => (e ? err(e) : r))
    }
    // After the caller's own callbacks (the step's settle: its events) have run.
    out.then(() => queueMicrotask(left))
    return out
  }

  /**
   * A suspending run (see the module comment): waits for the steps still running to save their
   * records (or for the run's signal, or a lost lease), then answers the suspension due at the
   * earliest time any of its steps asked for.
   */
  private async suspend(s: Suspended, ran: AbortSignal | undefined): Promise<AnyResult> {
    const stop = this.stopSignal
    // The run's own signal too: a run stopped meanwhile (a step's store error) saves no more
    // records, so the steps it waits for would never be cleared.
    if (this.inFlight.size > 0 && !this.lost && !stop?.aborted && !ran?.aborted) {
      let end: () => void = () => {}
      await new Promise<void>((resolve) => {
        end = () => resolve()
        this.idle = end
        this.signal.addEventListener('abort', end)
        stop?.addEventListener('abort', end)
        ran?.addEventListener('abort', end)
      })
      this.idle = undefined
      this.signal.removeEventListener('abort', end)
      stop?.removeEventListener('abort', end)
      ran?.removeEventListener('abort', end)
    }
    const due = s.dueAt === undefined || (this.dueAt !== undefined && this.dueAt < s.dueAt) ? this.dueAt : s.dueAt
    return err(due === s.dueAt ? s : new Suspended(due, s.why))
  }

  private write(rec: StepRecord): Promise<DurableError | undefined> {
    return new Promise((done) => {
      this.queue.push({ rec, done })
      this.flushing ??= this.flush()
    })
  }

  /** Writes queued records in order; those that queued up while a write was in flight go together. */
  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0)
      if (batch.length > 1 && this.store.appendMany && !this.lost) {
        const e = await this.store
          .appendMany(
            this.lease,
            batch.map((w) => w.rec),
          )
          .then(
            () => undefined,
            (x: unknown) => this.failed(x),
          )
        for (const w of batch) w.done(e)
        continue
      }
      for (const w of batch) {
        if (this.lost) {
          w.done(this.lost)
          continue
        }
        w.done(
          await this.store.append(this.lease, w.rec).then(
            () => undefined,
            (x: unknown) => this.failed(x),
          ),
        )
      }
    }
    this.flushing = undefined
  }

  private failed(x: unknown): DurableError {
    const e = storeError('append', this.runId, x)
    if (e instanceof LeaseLostError) this.loseLease(e)
    return e
  }

  /**
   * Ends the run: waits for pending appends, records the outcome (unless the run was cancelled
   * or the durable machinery failed, so it can be resumed), releases the lease.
   */
  async close(r: AnyResult, run?: WorkflowRun): Promise<AnyResult> {
    if (r.isErr() && isSuspended(r.error)) r = await this.suspend(r.error, run?.signal)
    else if (run && (run.undo || (this.halt && !this.cancelled))) r = await this.compensate(r, run)
    this.closed = true
    await this.flushing
    let out = this.lost ? err(this.lost) : r
    if (!this.lost && !resumable(r, this.stopped)) {
      let rec = toRecord(-1, '$result', r, 'workflow result')
      if (rec instanceof InvalidOptionsError) {
        out = err(rec)
        rec = toRecord(-1, '$result', out, '') as StepRecord
      }
      const e = await this.write(rec)
      if (e) out = err(e)
    }
    await this.done()
    return out
  }

  /**
   * Runs the compensations of a run that failed or was cancelled (or goes on with those of a run
   * that stopped while compensating). Not when the durable machinery failed (the run resumes
   * later), nor when a worker hands the run back (drained): only a cancel the store was asked
   * for (`client.cancel`) counts as a cancel there.
   */
  private async compensate(r: AnyResult, run: WorkflowRun): Promise<AnyResult> {
    // A run replayed to a cancel compensates as any cancelled run does (by what its body ended with).
    const resuming = this.halt && !this.cancelled
    if (!resuming) {
      if (r.isOk() || (resumable(r, this.stopped) && !(r.error instanceof CancelledError))) return r
      // Stopped on a worker: a cancel asked of the store, or a drain (handed back, not undone).
      if (r.error instanceof CancelledError && this.stopped && !this.owned && !this.cancelled) {
        try {
          const info = await (this.store as Partial<RunQueue>).getRun?.(this.runId)
          if (!info?.cancelRequested) return r
        } catch (e) {
          return err(storeError('queue', this.runId, e))
        }
      }
    } else if (r.isErr() && resumable(r, this.stopped) && !(r.error instanceof CancelledError)) return r
    const { compensate } = await import('./compensate.js')
    return compensate(run, resuming ? (this.halt as AnyResult) : r, this)
  }

  /** Stops the heartbeat and releases the lease (a held one stays with its worker). */
  async done(): Promise<void> {
    this.closed = true
    this.stopHeartbeat()
    if (this.owned && !this.lost) await this.store.release(this.lease).catch(() => {})
  }
}

/**
 * A retried run's child runs (`<runId>/<pos>.<i>`) that failed or were cancelled, under the steps
 * that will run again (the first failed one and after, or every step of a compensated run, whose
 * journal is emptied): back to pending, so the retried steps find them running again. Children
 * that ended ok are left: they never run again.
 */
async function requeueFailedChildren(
  store: WorkflowStore & Partial<RunQueue>,
  runId: string,
  records: readonly StepRecord[],
): Promise<void> {
  if (!store.listChildren || !store.requeue) return
  const from = reopenFrom(records)
  for (const kid of await store.listChildren(runId)) {
    if ((kid.state === 'failed' || kid.state === 'cancelled') && childPosition(runId, kid.runId) >= from) {
      await store.requeue(kid.runId)
    }
  }
}

import { ok, type Result } from 'neverthrow'
import { fromThrow, isResult } from '../internal/start.js'
import type { BatchCheckpoint } from './types.js'

/** `afterBatch` may return nothing, a Result, or a promise of either. */
export type CheckpointFn = (checkpoint: BatchCheckpoint) => unknown

/** Turns whatever `afterBatch` returned into a Result; anything but an err counts as ok. */
function settleHook(out: unknown, settle: (r: Result<unknown, unknown>) => void): void {
  const thenable =
    (typeof out === 'object' || typeof out === 'function') &&
    out !== null &&
    typeof (out as PromiseLike<unknown>).then === 'function'
  if (!thenable) {
    settle(isResult(out) ? out : ok(undefined))
    return
  }
  Promise.resolve(out as PromiseLike<unknown>).then(
    (v) => settle(isResult(v) ? v : ok(undefined)),
    (e) => settle(fromThrow(e)),
  )
}

/**
 * Calls `afterBatch` in batch order, once every item of a batch and of all earlier batches has
 * finished, even when later batches finish first; one call at a time. Only a count per batch
 * not yet checkpointed is kept, so memory does not grow with the job.
 */
export class Checkpoints {
  private next = 0
  private readonly counts = new Map<number, number>()
  private total: number | undefined
  private calling = false
  private stopped = false

  constructor(
    private readonly batchSize: number,
    private readonly fn: CheckpointFn,
    /** Items finished so far, for `done`. */
    private readonly done: () => number,
    /** An afterBatch err or throw: the job stops with it. */
    private readonly fail: (error: unknown) => void,
    /** Called when the last due checkpoint has run, so the owner can finish the job. */
    private readonly idle: () => void,
  ) {}

  /** True when no call is running and every batch of an ended source has been checkpointed. */
  get settled(): boolean {
    return !this.calling && this.total !== undefined && this.next * this.batchSize >= this.total
  }

  /** Item `index` finished (ok, or failed in settle mode). */
  itemDone(index: number): void {
    const b = Math.floor(index / this.batchSize)
    this.counts.set(b, (this.counts.get(b) ?? 0) + 1)
    this.advance()
  }

  /** The source ended after `total` items: the last batch may be short. */
  sourceEnded(total: number): void {
    this.total = total
    this.advance()
  }

  stop(): void {
    this.stopped = true
  }

  private complete(b: number): boolean {
    const start = b * this.batchSize
    if (this.total !== undefined && start >= this.total) return false
    const size = this.total === undefined ? this.batchSize : Math.min(this.batchSize, this.total - start)
    return this.counts.get(b) === size
  }

  // A loop, not recursion: checkpoints that answer synchronously run one after another here.
  private advance(): void {
    while (!this.calling && !this.stopped && this.complete(this.next)) {
      const batch = this.next++
      this.counts.delete(batch)
      this.calling = true
      let sync = true
      let syncResult: Result<unknown, unknown> | undefined
      const settle = (r: Result<unknown, unknown>): void => {
        if (sync) {
          syncResult = r
          return
        }
        this.calling = false
        if (this.stopped) return
        if (r.isErr()) this.fail(r.error)
        else this.afterCall()
      }
      try {
        settleHook(this.fn({ batch, done: this.done() }), settle)
      } catch (e) {
        syncResult = fromThrow(e)
      }
      sync = false
      if (syncResult === undefined) return // async: settle() carries on
      this.calling = false
      if (syncResult.isErr()) {
        this.fail(syncResult.error)
        return
      }
    }
  }

  private afterCall(): void {
    this.advance()
    // The owner checks `settled` after its own synchronous calls; only an async end needs a nudge.
    if (this.settled && !this.stopped) this.idle()
  }
}

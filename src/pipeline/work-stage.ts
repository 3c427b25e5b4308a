import type { Result } from 'neverthrow'
import { StageFailedError } from '../errors.js'
import { type ItemCall, type ItemResult, isPlain, itemRunner, type RunItem } from '../internal/item.js'
import { ReorderRing } from '../internal/ring.js'
import type { AttemptContext } from '../types.js'
import type { Downstream, PipelineItem, RunHooks, StageRun, WorkStageSpec } from './stage.js'
import type { StageContext, StageMetrics } from './types.js'

// With a timeout or retry, the item's context is a LazyContext whose AbortController is made
// only if `fn` reads `signal`: this wrapper keeps it lazy. `signal` and `attempt` are own
// enumerable accessors so that `{ ...ctx }` keeps them. (Without either, `fn` gets a plain
// object literal instead: nothing is lazy there, and a literal costs a fraction of this.)
class LazyStageContext implements StageContext {
  readonly #item: AttemptContext
  declare readonly signal: AbortSignal
  declare readonly attempt: number
  constructor(
    item: AttemptContext,
    readonly index: number,
  ) {
    this.#item = item
    Object.defineProperties(this, CTX_FIELDS)
  }
  static item(ctx: LazyStageContext): AttemptContext {
    return ctx.#item
  }
}
const CTX_FIELDS: PropertyDescriptorMap = {
  signal: {
    enumerable: true,
    get(this: LazyStageContext) {
      return LazyStageContext.item(this).signal
    },
  },
  attempt: {
    enumerable: true,
    get(this: LazyStageContext) {
      return LazyStageContext.item(this).attempt
    },
  },
}

/**
 * A `fn` or `pool` stage. An item holds one of the `concurrency` slots from its start until its
 * output is handed downstream, so a full downstream stops this stage from starting more: that is
 * the backpressure. `room()` = free input buffer + free slots.
 */
export class WorkStageRun implements StageRun {
  running = 0
  private readonly queue: PipelineItem[] = []
  private held = 0
  private seq = 0
  // Ordered: finished outputs by start order. Held items always span start orders
  // [ring head, seq), at most `concurrency` of them, so the ring never collides; it grows with
  // what is really held, so a huge `concurrency` allocates nothing up front.
  private readonly byPosition = new ReorderRing<PipelineItem>()
  private readonly fifo: PipelineItem[] = [] // unordered: outputs in completion order
  // Running items by slot; slots come from a free list, made as needed (in unordered mode
  // running items' start orders are not contiguous, so they cannot index a ring).
  private readonly inFlight: (PipelineItem | undefined)[] = []
  private readonly freeSlots: number[] = []
  private syncSlot = -1
  private readonly run: RunItem<PipelineItem, unknown, unknown>
  private count = { in: 0, out: 0, failed: 0, highWater: 0, busyMs: 0, workMs: 0, busySince: 0 }

  constructor(
    private readonly spec: WorkStageSpec,
    private readonly owner: RunHooks,
  ) {
    const fn = spec.fn
    const opts = { timeoutMs: spec.timeoutMs, retry: spec.retry }
    const signal = owner.signal
    const wrapped: ItemCall<PipelineItem> = isPlain(opts)
      ? (item) => fn(item.value, { signal, index: item.index, attempt: 1 })
      : (item, _slot, ctx) => fn(item.value, new LazyStageContext(ctx, item.index))
    this.run = itemRunner(wrapped, opts, signal)
  }

  room(): number {
    return this.spec.buffer + this.spec.concurrency - this.queue.length - this.held
  }

  push(item: PipelineItem): void {
    if (!item.failed) this.count.in++
    // Straight to a free slot when nothing waits: the buffer high-water mark then counts only real waiting.
    if (this.queue.length === 0 && this.held < this.spec.concurrency) {
      this.start(item)
      return
    }
    this.queue.push(item)
    if (this.queue.length > this.count.highWater) this.count.highWater = this.queue.length
  }

  step(next: Downstream): void {
    if (this.owner.ordered) {
      const ring = this.byPosition
      while (ring.peek() !== undefined && next.room() > 0 && !this.owner.stopped) {
        this.emit(ring.take() as PipelineItem, next)
      }
    } else {
      while (this.fifo.length > 0 && next.room() > 0 && !this.owner.stopped)
        this.emit(this.fifo.shift() as PipelineItem, next)
    }
    while (this.queue.length > 0 && this.held < this.spec.concurrency && !this.owner.stopped) {
      this.start(this.queue.shift() as PipelineItem)
    }
  }

  finished(upstreamDone: boolean): boolean {
    return upstreamDone && this.queue.length === 0 && this.held === 0
  }

  stop(): void {
    this.inFlight.fill(undefined)
  }

  metrics(now: number): StageMetrics {
    const c = this.count
    const busyMs = c.busyMs + (this.running > 0 ? now - c.busySince : 0)
    let workMs = c.workMs
    for (const item of this.inFlight) if (item !== undefined) workMs += now - item.t0
    const elapsed = now - this.owner.startedAt
    return {
      name: this.spec.name,
      kind: this.spec.kind,
      concurrency: this.spec.concurrency,
      in: c.in,
      out: c.out,
      failed: c.failed,
      running: this.running,
      queued: this.queue.length,
      bufferHighWater: c.highWater,
      busyMs,
      utilization: elapsed > 0 ? Math.min(1, workMs / (elapsed * this.spec.concurrency)) : 0,
    }
  }

  private emit(item: PipelineItem, next: Downstream): void {
    this.held--
    if (!item.failed) this.count.out++
    next.push(item)
  }

  private start(item: PipelineItem): void {
    item.seq = this.seq++
    this.held++
    if (item.failed) {
      this.done(item) // an earlier stage's failure passes through, keeping its place
      return
    }
    const now = this.owner.clock
    if (this.running++ === 0) this.count.busySince = now
    item.t0 = now
    const slot = this.freeSlots.pop() ?? this.inFlight.length
    this.inFlight[slot] = item
    this.syncSlot = slot
    this.run(item, slot, this.settle)
    this.syncSlot = -1
  }

  /** Bound once and handed to every item: no closure per item. */
  private readonly settle = (slot: number, r: ItemResult<unknown, unknown>): void => {
    const item = this.inFlight[slot]
    if (item === undefined) return // the run stopped
    this.inFlight[slot] = undefined
    this.freeSlots.push(slot)
    // An item that settled during its own start took no measurable time: no clock read.
    const sync = slot === this.syncSlot
    const now = sync ? item.t0 : this.owner.tock()
    this.count.workMs += now - item.t0
    if (--this.running === 0) this.count.busyMs += now - this.count.busySince
    if (!(r as Result<unknown, unknown>).isErr()) {
      item.value = (r as { value: unknown }).value
    } else {
      this.count.failed++
      const error = new StageFailedError(this.spec.name, item.index, (r as { error: unknown }).error)
      if (this.owner.failFast) {
        this.owner.fail(error)
        return
      }
      item.failed = true
      item.value = error
    }
    this.done(item)
    this.owner.drive(!sync) // an async settle has just read the clock
  }

  private done(item: PipelineItem): void {
    if (this.owner.ordered) this.byPosition.put(item.seq, item)
    else this.fifo.push(item)
  }
}

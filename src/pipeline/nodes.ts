import type { Result } from 'neverthrow'
import { type ItemResult, itemRunner, type RunItem } from '../batch/item.js'
import type { ItemContext, ItemFn, ItemRetry } from '../batch/types.js'
import type { StageContext, StageMetrics } from './types.js'

/**
 * One item on its way through the stages. The same object is passed along (its `value`
 * replaced by each stage's output) so a 1:1 stage allocates nothing per item; a failed item in
 * settle mode keeps flowing as `failed` so that it keeps its place in ordered output.
 */
export class Envelope {
  /** When the current stage started it (for `utilization`). */
  t0 = 0
  /** Its start order in the current stage (for ordered output). */
  seq = 0
  constructor(
    public index: number,
    public value: unknown,
    public failed = false,
  ) {}
}

/** Where a stage hands its outputs: the next stage, or the consumer. */
export interface Downstream {
  /** How many items it takes now. */
  room(): number
  push(env: Envelope): void
}

/** What a stage needs from the run it belongs to. */
export interface FlowHooks {
  readonly failFast: boolean
  readonly ordered: boolean
  readonly signal: AbortSignal
  readonly startedAt: number
  /**
   * performance.now() as of the last scheduler pass or async settle: stamps that need no fresh
   * clock read, so a synchronous item costs no clock read at all.
   */
  readonly clock: number
  /** Reads the clock afresh (and keeps it as `clock`). */
  tock(): number
  /** True once the run is over: stages then start and pass on nothing more. */
  readonly stopped: boolean
  /** Something moved: run the scheduler again. */
  drive(): void
  /** A failed item in fail-fast mode: stop everything with it. */
  fail(error: unknown): void
}

/** A stage inside a run: a bounded input buffer, work in flight, outputs waiting for room downstream. */
export interface Node extends Downstream {
  /** Passes finished outputs on while `next` has room, then starts queued items on free slots. */
  step(next: Downstream, upstreamDone: boolean): void
  /** True once upstream is done and nothing is left in this stage. */
  finished(upstreamDone: boolean): boolean
  /** Items running now (the run aborts its signal at stop only when some are). */
  readonly running: number
  /** Clears timers; the run is over. */
  stop(): void
  metrics(now: number): StageMetrics
}

/** A normalised `fn` or `pool` stage. */
export interface WorkSpec {
  readonly kind: 'fn' | 'pool'
  readonly name: string
  readonly concurrency: number
  readonly buffer: number
  readonly fn: (item: unknown, ctx: StageContext) => unknown
  readonly timeoutMs?: number | undefined
  readonly retry?: ItemRetry<never> | undefined
}

/** A normalised chunk stage. */
export interface ChunkSpec {
  readonly kind: 'chunk'
  readonly name: string
  readonly size: number
  readonly maxWaitMs: number | undefined
}

// Keeps the run's LazyContext lazy: its AbortController is made only if `fn` reads `signal`.
// `signal` and `attempt` are own enumerable accessors so that `{ ...ctx }` keeps them.
class Ctx implements StageContext {
  readonly #item: ItemContext
  declare readonly signal: AbortSignal
  declare readonly attempt: number
  constructor(
    item: ItemContext,
    readonly index: number,
  ) {
    this.#item = item
    Object.defineProperties(this, CTX_FIELDS)
  }
  static item(ctx: Ctx): ItemContext {
    return ctx.#item
  }
}
const CTX_FIELDS: PropertyDescriptorMap = {
  signal: {
    enumerable: true,
    get(this: Ctx) {
      return Ctx.item(this).signal
    },
  },
  attempt: {
    enumerable: true,
    get(this: Ctx) {
      return Ctx.item(this).attempt
    },
  },
}

/**
 * A `fn` or `pool` stage. An item holds one of the `concurrency` slots from its start until its
 * output is handed downstream, so a full downstream stops this stage from starting more: that is
 * the backpressure. `room()` = free input buffer + free slots.
 */
export class WorkNode implements Node {
  running = 0
  private readonly queue: Envelope[] = []
  private held = 0
  private seq = 0
  private nextOut = 0
  // Ordered: finished outputs by start order. Held items always span start orders
  // [nextOut, seq), at most `concurrency` of them, so a ring of that size never collides.
  private readonly byPosition: (Envelope | undefined)[]
  private readonly fifo: Envelope[] = [] // unordered: outputs in completion order
  // Running items by slot; slots come from a free list (in unordered mode running items' start
  // orders are not contiguous, so they cannot index a ring).
  private readonly inFlight: (Envelope | undefined)[]
  private readonly freeSlots: number[]
  private syncSlot = -1
  private readonly run: RunItem<Envelope, unknown, unknown>
  private count = { in: 0, out: 0, failed: 0, highWater: 0, busyMs: 0, workMs: 0, busySince: 0 }

  constructor(
    private readonly spec: WorkSpec,
    private readonly flow: FlowHooks,
  ) {
    this.byPosition = new Array(spec.concurrency).fill(undefined)
    this.inFlight = new Array(spec.concurrency).fill(undefined)
    this.freeSlots = Array.from({ length: spec.concurrency }, (_, i) => spec.concurrency - 1 - i)
    const fn = spec.fn
    const wrapped: ItemFn<Envelope> = (env, _seq, ctx) => fn(env.value, new Ctx(ctx, env.index)) as never
    this.run = itemRunner(wrapped, { timeoutMs: spec.timeoutMs, retry: spec.retry }, flow.signal)
  }

  room(): number {
    return this.spec.buffer + this.spec.concurrency - this.queue.length - this.held
  }

  push(env: Envelope): void {
    if (!env.failed) this.count.in++
    // Straight to a free slot when nothing waits: the buffer high-water mark then counts only real waiting.
    if (this.queue.length === 0 && this.held < this.spec.concurrency) {
      this.start(env)
      return
    }
    this.queue.push(env)
    if (this.queue.length > this.count.highWater) this.count.highWater = this.queue.length
  }

  step(next: Downstream): void {
    if (this.flow.ordered) {
      const ring = this.byPosition
      const size = ring.length
      let env = ring[this.nextOut % size]
      while (env !== undefined && next.room() > 0 && !this.flow.stopped) {
        ring[this.nextOut++ % size] = undefined
        this.emit(env, next)
        env = ring[this.nextOut % size]
      }
    } else {
      while (this.fifo.length > 0 && next.room() > 0 && !this.flow.stopped)
        this.emit(this.fifo.shift() as Envelope, next)
    }
    while (this.queue.length > 0 && this.held < this.spec.concurrency && !this.flow.stopped) {
      this.start(this.queue.shift() as Envelope)
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
    for (const env of this.inFlight) if (env !== undefined) workMs += now - env.t0
    const elapsed = now - this.flow.startedAt
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

  private emit(env: Envelope, next: Downstream): void {
    this.held--
    if (!env.failed) this.count.out++
    next.push(env)
  }

  private start(env: Envelope): void {
    env.seq = this.seq++
    this.held++
    if (env.failed) {
      this.done(env) // an earlier stage's failure passes through, keeping its place
      return
    }
    const now = this.flow.clock
    if (this.running++ === 0) this.count.busySince = now
    env.t0 = now
    const slot = this.freeSlots.pop() as number
    this.inFlight[slot] = env
    this.syncSlot = slot
    this.run(env, slot, this.settle)
    this.syncSlot = -1
  }

  /** Bound once and handed to every item: no closure per item. */
  private readonly settle = (slot: number, r: ItemResult<unknown, unknown>): void => {
    const env = this.inFlight[slot]
    if (env === undefined) return // the run stopped
    this.inFlight[slot] = undefined
    this.freeSlots.push(slot)
    // An item that settled during its own start took no measurable time: no clock read.
    const now = slot === this.syncSlot ? env.t0 : this.flow.tock()
    this.count.workMs += now - env.t0
    if (--this.running === 0) this.count.busyMs += now - this.count.busySince
    if (!(r as Result<unknown, unknown>).isErr()) {
      env.value = (r as { value: unknown }).value
    } else {
      this.count.failed++
      const error = { stage: this.spec.name, index: env.index, error: (r as { error: unknown }).error }
      if (this.flow.failFast) {
        this.flow.fail(error)
        return
      }
      env.failed = true
      env.value = error
    }
    this.done(env)
    this.flow.drive()
  }

  private done(env: Envelope): void {
    if (this.flow.ordered) this.byPosition[env.seq % this.byPosition.length] = env
    else this.fifo.push(env)
  }
}

/**
 * A chunk stage: fills one array up to `size`, then holds it (taking nothing more) until
 * downstream has room. A partial array goes out `maxWaitMs` after its first item, and at the
 * end of the stream. Failed items (settle mode) go out on their own, after the items before them.
 */
export class ChunkNode implements Node {
  readonly running = 0
  private current: unknown[] = []
  private readonly ready: Envelope[] = []
  private chunks = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private count = { in: 0, out: 0, highWater: 0 }

  constructor(
    private readonly spec: ChunkSpec,
    private readonly flow: FlowHooks,
  ) {}

  room(): number {
    return this.ready.length > 0 ? 0 : this.spec.size - this.current.length
  }

  push(env: Envelope): void {
    if (env.failed) {
      this.flush()
      this.ready.push(env)
      return
    }
    this.count.in++
    this.current.push(env.value)
    if (this.current.length > this.count.highWater) this.count.highWater = this.current.length
    if (this.current.length >= this.spec.size) this.flush()
    else if (this.current.length === 1 && this.spec.maxWaitMs !== undefined) {
      this.timer = setTimeout(this.onTimer, this.spec.maxWaitMs)
    }
  }

  step(next: Downstream, upstreamDone: boolean): void {
    if (upstreamDone) this.flush()
    while (this.ready.length > 0 && next.room() > 0 && !this.flow.stopped) {
      const env = this.ready.shift() as Envelope
      if (!env.failed) this.count.out++
      next.push(env)
    }
  }

  finished(upstreamDone: boolean): boolean {
    return upstreamDone && this.current.length === 0 && this.ready.length === 0
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  metrics(): StageMetrics {
    const c = this.count
    return {
      name: this.spec.name,
      kind: 'chunk',
      concurrency: 1,
      in: c.in,
      out: c.out,
      failed: 0,
      running: 0,
      queued: this.current.length,
      bufferHighWater: c.highWater,
      busyMs: 0,
      utilization: 0,
    }
  }

  private readonly onTimer = (): void => {
    this.timer = undefined
    this.flush()
    this.flow.drive()
  }

  private flush(): void {
    if (this.current.length === 0) return
    this.stop()
    this.ready.push(new Envelope(this.chunks++, this.current))
    this.current = []
  }
}

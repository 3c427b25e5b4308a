import { err } from 'neverthrow'
import { BulkheadRejectedError, type InvalidOptionsError } from '../errors.js'
import { cancelledBy, onAbort } from '../internal/abort.js'
import { checkConcurrency, checkInteger, firstError } from '../internal/options.js'
import { BasePolicy, type Chain, checking, checkOptionsObject, type Done, type Layer, type Policy } from './executor.js'

/** Options of `bulkhead`. */
export interface BulkheadOptions {
  /** Calls running at once. */
  concurrency: number
  /** Calls that may wait for a slot (default 0: a call with no free slot is refused at once). */
  queue?: number | undefined
}

/** What a bulkhead holds now. */
export interface BulkheadMetrics {
  /** Calls running (holding a slot). */
  readonly active: number
  /** Calls waiting for a slot. */
  readonly queued: number
  /** Calls refused so far because slots and queue were full. */
  readonly rejected: number
}

/** A bulkhead: a policy that adds `BulkheadRejectedError`. */
export interface Bulkhead extends Policy<BulkheadRejectedError> {
  metrics(): BulkheadMetrics
}

/**
 * Bounds how many calls run at once. A call with no free slot waits in a FIFO queue of at most
 * `queue` calls; with the queue full it gets `err(BulkheadRejectedError)` at once. A waiting call
 * whose signal aborts leaves the queue at once (its place is free for the next caller). A slot is
 * held until the task really ends, even when its caller stopped waiting: the limit is about the
 * resource, and a task that ignores its signal still uses it.
 *
 * Bad options: `invalid` holds the InvalidOptionsError and every `execute` returns it.
 */
export function bulkhead(options: BulkheadOptions): Bulkhead {
  const bad = checking(options, () => checkBulkheadOptions(options))
  const layer = new BulkheadLayer(bad ? 1 : options.concurrency, bad ? 0 : (options.queue ?? 0))
  const policy = new BasePolicy<BulkheadRejectedError>([layer], bad) as BasePolicy<BulkheadRejectedError> & Bulkhead
  policy.metrics = () => ({ active: layer.active, queued: layer.queued, rejected: layer.rejected })
  return policy
}

function checkBulkheadOptions(o: unknown): InvalidOptionsError | undefined {
  const notObject = checkOptionsObject(o, false)
  if (notObject) return notObject
  const { concurrency, queue } = o as BulkheadOptions
  return firstError(
    concurrency === undefined
      ? checkInteger('concurrency', concurrency, 1)
      : checkConcurrency('concurrency', concurrency),
    queue === undefined || queue === Number.POSITIVE_INFINITY ? undefined : checkInteger('queue', queue, 0),
  )
}

interface Waiting {
  readonly signal: AbortSignal | undefined
  readonly done: Done
  readonly chain: Chain
  readonly next: number
  detach: (() => void) | undefined
  /** Left the queue (its caller aborted): skipped when its turn comes. */
  gone: boolean
}

class BulkheadLayer implements Layer {
  active = 0
  rejected = 0
  /** Calls waiting now (the queue holds them in arrival order, plus gone ones not yet skipped). */
  queued = 0
  private queueItems: Waiting[] = []
  private head = 0
  private draining = false

  constructor(
    private readonly concurrency: number,
    private readonly queue: number,
  ) {}

  run(signal: AbortSignal | undefined, done: Done, chain: Chain, next: number): void {
    if (this.active < this.concurrency) return this.start(signal, done, chain, next)
    if (this.queued >= this.queue) {
      this.rejected++
      return done(err(new BulkheadRejectedError(this.concurrency, this.queue)))
    }
    const w: Waiting = { signal, done, chain, next, detach: undefined, gone: false }
    if (signal) {
      // Leaves at once: its place counts as free now; the entry is skipped when reached.
      w.detach = onAbort(signal, () => {
        w.gone = true
        this.queued--
        done(err(cancelledBy(signal)))
      })
    }
    this.queueItems.push(w)
    this.queued++
  }

  private start(signal: AbortSignal | undefined, done: Done, chain: Chain, next: number): void {
    this.active++
    chain.run(next, signal, (r) => {
      this.active--
      this.drain()
      done(r)
    })
  }

  // A loop, not recursion: tasks that end synchronously would otherwise nest once per queued call.
  private drain(): void {
    if (this.draining) return
    this.draining = true
    const items = this.queueItems
    while (this.active < this.concurrency && this.head < items.length) {
      const w = items[this.head] as Waiting
      items[this.head++] = undefined as never
      if (w.gone) continue
      this.queued--
      w.detach?.()
      this.start(w.signal, w.done, w.chain, w.next)
    }
    if (this.head === items.length) {
      items.length = 0
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > items.length) {
      this.queueItems = items.slice(this.head)
      this.head = 0
    }
    this.draining = false
  }
}

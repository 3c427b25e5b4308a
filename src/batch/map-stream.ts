import { err, type Result } from 'neverthrow'
import { CancelledError, InvalidOptionsError, type UnexpectedError } from '../errors.js'
import { cancelledBy, onAbort } from '../internal/abort.js'
import { Channel, type Feed } from '../internal/channel.js'
import { type ItemCall, type ItemResult, itemRunner, type RunItem } from '../internal/item.js'
import { Puller } from '../internal/pull.js'
import { Fifo, ReorderRing } from '../internal/ring.js'
import { type Items, openSource, type Source } from '../internal/source.js'
import { fromThrow } from '../internal/start.js'
import { checkStreamOptions } from './options.js'
import type { ItemErr, ItemFn, ItemOk, ItemReturn, MapStreamOptions } from './types.js'

/** Errors a `mapStream` result can hold: the item's own, plus the stream's. */
export type MapStreamError<R> = ItemErr<R> | CancelledError | InvalidOptionsError

/** One result with its item's 0-based position (`withIndex: true`); the stream's own errors have index -1. */
export interface IndexedResult<T, E> {
  readonly index: number
  readonly result: Result<T, E>
}

/** What `mapStream` yields for `fn` returning `R`: a Result, or `{ index, result }` with `withIndex: true`. */
export type MapStreamItem<R, W extends boolean = false> = [W] extends [true]
  ? IndexedResult<ItemOk<R>, MapStreamError<R>>
  : [W] extends [false]
    ? Result<ItemOk<R>, MapStreamError<R>>
    : IndexedResult<ItemOk<R>, MapStreamError<R>> | Result<ItemOk<R>, MapStreamError<R>>

/**
 * Maps items of an array, Iterable or AsyncIterable through `fn` with `concurrency` items in
 * flight, yielding each item's Result: in input order by default (`ordered: false` yields in
 * completion order); `withIndex: true` yields `{ index, result }` instead. Backpressure: the
 * source is never read more than `concurrency` items ahead of what the consumer has taken, and a
 * slot is given back the moment its result is handed over, so items run while the consumer works.
 *
 * An item error is yielded as `err(error)` and the stream goes on (break out to stop). Breaking
 * out of the loop aborts running items and closes the source. An aborted `signal` yields one
 * `err(CancelledError)` and ends; a throwing source yields the items already started, then
 * `err(UnexpectedError)`; invalid or missing options yield one `err(InvalidOptionsError)`.
 * Nothing starts before the first `next()`.
 *
 * @example
 * for await (const r of mapStream(readLines(file), (line) => parse(line), { concurrency: 8 })) {
 *   if (r.isErr()) break
 *   await write(r.value)
 * }
 */
export function mapStream<I, R extends ItemReturn, W extends boolean = false>(
  items: Items<I>,
  fn: ItemFn<I, R>,
  opts: MapStreamOptions<ItemErr<R>, W>,
): AsyncGenerator<MapStreamItem<R, W>, void, undefined> {
  const stream = new MapStream<I>(items, fn as ItemCall<I>, opts)
  stream.channel = new Channel<unknown>(stream)
  return stream.channel as AsyncGenerator<MapStreamItem<R, W>, void, undefined>
}

type Out = Result<unknown, unknown>

/** One run of a stream: the feed of its channel. */
class MapStream<I> implements Feed<unknown> {
  channel!: Channel<unknown>
  /** Set when the stream is one error and nothing runs (bad options, aborted signal, broken source). */
  private only: Out | undefined
  private withIndex = false
  private ordered = true
  private concurrency = 1
  // Ordered: results wait by index until their turn. Unordered: a FIFO in completion order.
  private readonly byIndex = new ReorderRing<unknown>()
  private readonly fifo = new Fifo<unknown>()
  private readonly controller = new AbortController()
  private run: RunItem<I, unknown, unknown> | undefined
  private puller: Puller<I> | undefined
  private detach: (() => void) | undefined
  private settled = 0
  private handed = 0
  private sourceEnded = false
  private sourceError: UnexpectedError | undefined
  private cancelled: CancelledError | undefined
  private over = false
  private stopped = false

  constructor(
    private readonly items: Items<I>,
    private readonly fn: ItemCall<I>,
    private readonly opts: unknown,
  ) {}

  get ended(): boolean {
    return this.over
  }

  open(): void {
    const checked = checkStreamOptions(this.items, this.fn, this.opts)
    if (checked instanceof InvalidOptionsError) {
      this.only = err(checked)
      // The one err keeps the shape the caller asked for, even when other options are bad.
      try {
        this.withIndex = (this.opts as { withIndex?: unknown } | undefined)?.withIndex === true
      } catch {
        // unreadable: the bare Result
      }
      return
    }
    this.withIndex = checked.withIndex === true
    const { signal } = checked
    if (signal?.aborted) {
      this.only = err(cancelledBy(signal))
      return
    }
    let source: Source<I>
    try {
      source = openSource(checked.items)
    } catch (e) {
      this.only = fromThrow(e)
      return
    }
    this.ordered = checked.ordered !== false
    this.concurrency = checked.concurrency
    this.run = itemRunner<I, unknown, unknown>(this.fn, checked, this.controller.signal)
    // An item holds its slot from its pull until its result is handed to the consumer.
    const puller: Puller<I> = new Puller<I>(source, {
      room: (): boolean => puller.pulled - this.handed < this.concurrency,
      item: (item, index) => (this.run as RunItem<I, unknown, unknown>)(item, index, this.put),
      end: (error) => {
        this.sourceEnded = true
        this.sourceError = error
        this.channel.notify()
      },
      resume: () => puller.pump(),
    })
    this.puller = puller
    if (signal) {
      this.detach = onAbort(signal, () => {
        this.cancelled = cancelledBy(signal)
        this.channel.notify()
      })
    }
    puller.pump()
  }

  /** Bound once and handed to every item. */
  private readonly put = (index: number, r: ItemResult<unknown, unknown>): void => {
    if (this.stopped) return
    this.settled++
    const out = this.withIndex ? { index, result: r } : r
    if (this.ordered) this.byIndex.put(index, out)
    else this.fifo.push(out)
    this.channel.notify()
  }

  take(): unknown {
    if (this.over) return undefined
    if (this.only !== undefined) return this.last(this.only)
    if (this.cancelled) return this.last(err(this.cancelled))
    const r = this.ordered ? this.byIndex.take() : this.fifo.shift()
    const puller = this.puller as Puller<I>
    if (r !== undefined) {
      // Handed over: its slot goes back now, so the next item runs while the consumer works.
      this.handed++
      puller.pump()
      return r
    }
    if (this.sourceEnded && this.handed === puller.pulled) {
      if (this.sourceError) return this.last(err(this.sourceError))
      this.over = true
    }
    return undefined
  }

  private last(r: Out): unknown {
    this.over = true
    return this.withIndex ? { index: -1, result: r } : r
  }

  close(): void {
    this.stopped = true
    this.detach?.()
    const puller = this.puller
    if (puller === undefined) return
    puller.stop()
    if (this.settled < puller.pulled) {
      this.controller.abort(this.cancelled ?? new CancelledError('the consumer stopped iterating'))
    }
  }
}

import { InvalidOptionsError } from '../errors.js'

/**
 * Pulls sync and async iterables through one interface, so the job loop does not care which it
 * has. Arrays are read by index (no iterator objects, no promise per item); sync iterables
 * answer synchronously; only async iterables cost a promise per pull.
 */
export interface Source<I> {
  /** Number of items when the source knows it (arrays), else undefined. */
  readonly size: number | undefined
  /** True when `pull` returns a promise (async iterables). */
  readonly async: boolean
  /**
   * The next item. May throw (sync) or reject (async) when the user's iterator does; the caller
   * turns that into UnexpectedError. The returned object may be reused by the next pull.
   */
  pull(): IteratorResult<I> | PromiseLike<IteratorResult<I>>
  /** Closes the iterator (calls `return()`) unless it is exhausted or broke; never throws. */
  close(): void
}

/** Anything `processInBatches` and `mapStream` accept as items. */
export type Items<I> = Iterable<I> | AsyncIterable<I>

function isObjectLike(value: unknown): value is object {
  return (typeof value === 'object' || typeof value === 'function') && value !== null
}

/** Checks `items` is iterable (async first, as `for await` does); does not start iterating. */
export function checkItems(items: unknown): InvalidOptionsError | undefined {
  if (typeof items === 'string') return undefined
  if (isObjectLike(items)) {
    const i = items as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown }
    if (typeof i[Symbol.asyncIterator] === 'function' || typeof i[Symbol.iterator] === 'function') return undefined
  }
  return new InvalidOptionsError('items', items, 'an array, an Iterable or an AsyncIterable')
}

class ArraySource<I> implements Source<I> {
  readonly async = false
  private i = 0
  // One result object reused for every pull: the caller reads it at once.
  private readonly res: { done: boolean; value: I | undefined } = { done: false, value: undefined }
  constructor(private readonly items: readonly I[]) {}
  get size(): number {
    return this.items.length
  }
  pull(): IteratorResult<I> {
    const res = this.res
    if (this.i < this.items.length) {
      res.value = this.items[this.i++] as I
    } else {
      res.done = true
      res.value = undefined
    }
    return res as IteratorResult<I>
  }
  close(): void {
    this.i = this.items.length
  }
}

class IteratorSource<I> implements Source<I> {
  readonly size = undefined
  private finished = false
  constructor(
    private readonly it: Iterator<I> | AsyncIterator<I>,
    readonly async: boolean,
  ) {}
  pull(): IteratorResult<I> | PromiseLike<IteratorResult<I>> {
    if (!this.async) {
      try {
        return this.check(this.it.next() as IteratorResult<I>)
      } catch (e) {
        // Per the iterator protocol, an iterator whose `next` threw is not closed.
        this.finished = true
        throw e
      }
    }
    // Promise.resolve adopts odd thenables and turns a non-promise answer into one.
    return Promise.resolve(this.it.next()).then(
      (r) => this.check(r),
      (e) => {
        this.finished = true
        throw e
      },
    )
  }
  private check(r: IteratorResult<I>): IteratorResult<I> {
    if (!isObjectLike(r)) {
      this.finished = true
      throw new TypeError(`Iterator result ${String(r)} is not an object`)
    }
    if (r.done) this.finished = true
    return r
  }
  close(): void {
    if (this.finished) return
    this.finished = true
    try {
      const out = this.it.return?.()
      // An async `return()` may reject (or never settle): it must not surface as unhandled.
      if (isObjectLike(out) && typeof (out as PromiseLike<unknown>).then === 'function') {
        Promise.resolve(out).catch(() => {})
      }
    } catch {
      // A throwing return() cannot change the job's outcome any more.
    }
  }
}

/** Opens `items` (already checked by `checkItems`). May throw if the user's iterator factory does. */
export function openSource<I>(items: Items<I>): Source<I> {
  if (Array.isArray(items)) return new ArraySource(items as readonly I[])
  const asyncFactory = (items as AsyncIterable<I>)[Symbol.asyncIterator]
  if (typeof asyncFactory === 'function') return new IteratorSource(asyncFactory.call(items), true)
  return new IteratorSource((items as Iterable<I>)[Symbol.iterator](), false)
}

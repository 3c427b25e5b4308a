import { InvalidOptionsError } from '../errors.js'

/**
 * Pulls sync and async iterables through one interface, so a job loop does not care which it
 * has. Arrays are read by index (no iterator objects, no promise per item); sync iterables
 * answer synchronously; only async iterables cost a promise per pull. Everything read from the
 * user's objects (the iterator factory, `next`, `done`, `value`, an array's elements) is read
 * once, where a throw is caught: a Proxy or a throwing getter ends the job with an error, it
 * never escapes.
 */
export interface Source<I> {
  /** Number of items when the source knows it (arrays), else undefined. */
  readonly size: number | undefined
  /** True when `pull` returns a promise (async iterables). */
  readonly async: boolean
  /**
   * The next item. May throw (sync) or reject (async) when the user's iterator does; the caller
   * turns that into UnexpectedError. The returned object is plain (safe to read) and may be
   * reused by the next pull.
   */
  pull(): Pulled<I> | PromiseLike<Pulled<I>>
  /** Closes the iterator (calls `return()`) unless it is exhausted or broke; never throws. */
  close(): void
}

/** One pull's answer, read out of the user's iterator result. */
export interface Pulled<I> {
  done: boolean
  value: I | undefined
}

/** Anything `processInBatches`, `mapStream` and `pipeline` accept as items. */
export type Items<I> = Iterable<I> | AsyncIterable<I>

/** What `inspectItems` found: how to open the items, without having started anything. */
export type Inspected =
  | { readonly kind: 'array'; readonly items: readonly unknown[] }
  | { readonly kind: 'async' | 'sync'; readonly items: object; readonly factory: () => unknown }

function isObjectLike(value: unknown): value is object {
  return (typeof value === 'object' || typeof value === 'function') && value !== null
}

const EXPECTED = 'an array, an Iterable or an AsyncIterable'

/**
 * Checks `items` is iterable (async first, as `for await` does) and reads its iterator factory
 * once; does not start iterating. `option` names the argument in the error.
 */
export function inspectItems(items: unknown, option = 'items'): Inspected | InvalidOptionsError {
  try {
    if (Array.isArray(items)) return { kind: 'array', items }
    if (typeof items === 'string') return { kind: 'sync', items: Object(items), factory: items[Symbol.iterator] }
    if (isObjectLike(items)) {
      const i = items as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown }
      const asyncFactory = i[Symbol.asyncIterator]
      if (typeof asyncFactory === 'function') return { kind: 'async', items, factory: asyncFactory as () => unknown }
      const syncFactory = i[Symbol.iterator]
      if (typeof syncFactory === 'function') return { kind: 'sync', items, factory: syncFactory as () => unknown }
    }
  } catch {
    // A Proxy whose traps throw, or a throwing Symbol.iterator getter: not something we can iterate.
  }
  return new InvalidOptionsError(option, items, EXPECTED)
}

class ArraySource<I> implements Source<I> {
  readonly async = false
  readonly size: number
  private i = 0
  private finished = false
  // One result object reused for every pull: the caller reads it at once.
  private readonly res: Pulled<I> = { done: false, value: undefined }
  constructor(private readonly items: readonly I[]) {
    this.size = items.length
  }
  pull(): Pulled<I> {
    const res = this.res
    // Length read each time: an array that grows while the job runs is read to its new end.
    if (!this.finished && this.i < this.items.length) {
      res.value = this.items[this.i++] as I
    } else {
      this.finished = true
      res.done = true
      res.value = undefined
    }
    return res
  }
  close(): void {
    this.finished = true
  }
}

class IteratorSource<I> implements Source<I> {
  readonly size = undefined
  private finished = false
  private readonly res: Pulled<I> = { done: false, value: undefined }
  private readonly next: () => unknown
  constructor(
    private readonly it: object,
    readonly async: boolean,
  ) {
    const next = (it as { next?: unknown }).next // read once, like for-of does
    if (typeof next !== 'function') throw new TypeError(`The iterator's next is ${typeof next}, not a function`)
    this.next = next as () => unknown
  }
  pull(): Pulled<I> | PromiseLike<Pulled<I>> {
    if (!this.async) {
      try {
        return this.read(this.next.call(this.it))
      } catch (e) {
        // Per the iterator protocol, an iterator whose `next` threw is not closed.
        this.finished = true
        throw e
      }
    }
    // Promise.resolve adopts odd thenables (reading `then` once, inside its own guard) and turns
    // a non-promise answer into one; read() throwing rejects the chain, which the caller handles.
    let answer: unknown
    try {
      answer = this.next.call(this.it)
    } catch (e) {
      this.finished = true
      return Promise.reject(e)
    }
    return Promise.resolve(answer).then(this.read, this.broke)
  }
  private readonly read = (r: unknown): Pulled<I> => {
    if (!isObjectLike(r)) {
      this.finished = true
      throw new TypeError(`Iterator result ${String(r)} is not an object`)
    }
    const res = this.res
    try {
      res.done = Boolean((r as IteratorResult<I>).done)
      res.value = res.done ? undefined : (r as IteratorResult<I>).value
    } catch (e) {
      this.finished = true
      throw e
    }
    if (res.done) this.finished = true
    return res
  }
  private readonly broke = (e: unknown): never => {
    this.finished = true
    throw e
  }
  close(): void {
    if (this.finished) return
    this.finished = true
    try {
      const out = (this.it as { return?: () => unknown }).return?.()
      // An async `return()` may reject (or never settle): it must not surface as unhandled.
      // Promise.resolve reads a thenable's `then` inside its own guard.
      if (isObjectLike(out)) Promise.resolve(out).catch(() => {})
    } catch {
      // A throwing return() cannot change the job's outcome any more.
    }
  }
}

/** Opens what `inspectItems` found. May throw if the user's iterator factory does. */
export function openSource<I>(inspected: Inspected): Source<I> {
  if (inspected.kind === 'array') return new ArraySource(inspected.items as readonly I[])
  const it = inspected.factory.call(inspected.items)
  if (!isObjectLike(it)) throw new TypeError(`The iterator factory returned ${String(it)}, not an iterator`)
  return new IteratorSource(it, inspected.kind === 'async')
}

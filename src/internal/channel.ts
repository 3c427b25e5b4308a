/**
 * The one callback-fed async iterator (asCompleted, mapStream, a pipeline's `for await`): the
 * producer tells the channel something may be ready (`notify`), the consumer's `next()` takes
 * it through the feed. A hand-written iterator rather than an `async function*`: a generator's
 * `yield` costs extra promise hops per value, and the moment a value is handed over (`take`) is
 * exactly where a window slot can be given back, not when the consumer asks for the next one.
 */
export interface Feed<T> {
  /** Called on the first `next()`: nothing starts before it. May call `notify` at once. */
  open(): void
  /** The next value for the consumer, or undefined when none is ready yet. Called at hand-over. */
  take(): T | undefined
  /** True once no value will come beyond what `take` still returns. */
  readonly ended: boolean
  /** The consumer stopped (`return`/`throw`) or the stream is over: stop everything. Called once. */
  close(): void
}

const DONE: IteratorReturnResult<void> = /* @__PURE__ */ Object.freeze({ done: true, value: undefined })

const IDLE = 0
const OPEN = 1
const CLOSED = 2

/** An AsyncGenerator over a feed (`T` must not include `undefined`: it means "nothing ready"). */
export class Channel<T> implements AsyncGenerator<T, void, undefined> {
  private state: typeof IDLE | typeof OPEN | typeof CLOSED = IDLE
  private readonly waiting: ((r: IteratorResult<T, void>) => void)[] = []
  // take() may re-enter notify() (a hand-over frees a slot, the next item settles at once):
  // only the outer loop hands values to waiters, so none is given twice or skipped.
  private busy = false

  constructor(private readonly feed: Feed<T>) {}

  next(): Promise<IteratorResult<T, void>> {
    if (this.state === CLOSED) return Promise.resolve(DONE)
    if (this.state === IDLE) {
      this.state = OPEN
      this.feed.open()
    }
    if (this.waiting.length === 0 && !this.busy) {
      this.busy = true
      const r = this.poll()
      this.busy = false
      if (r !== undefined) return Promise.resolve(r)
    }
    return new Promise((resolve) => {
      this.waiting.push(resolve)
    })
  }

  /** The producer: a value (or the end) may be ready. */
  notify(): void {
    if (this.busy) return
    this.busy = true
    while (this.waiting.length > 0) {
      const r = this.poll()
      if (r === undefined) break
      this.waiting.shift()?.(r) // none left when the end closed the channel (waiters got DONE)
    }
    this.busy = false
  }

  return(): Promise<IteratorResult<T, void>> {
    this.close()
    return Promise.resolve(DONE)
  }

  throw(e: unknown): Promise<IteratorResult<T, void>> {
    this.close()
    return Promise.reject(e) // as a generator does: the consumer asked for it
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close()
  }

  private poll(): IteratorResult<T, void> | undefined {
    if (this.state === CLOSED) return DONE
    const value = this.feed.take()
    if (value !== undefined) return { done: false, value }
    if (!this.feed.ended) return undefined
    this.close()
    return DONE
  }

  private close(): void {
    if (this.state === CLOSED) return
    const opened = this.state === OPEN
    this.state = CLOSED
    for (const w of this.waiting.splice(0)) w(DONE)
    if (opened) this.feed.close()
  }
}

/** A channel over values known in advance (e.g. one err for invalid options). */
export function channelOf<T>(values: readonly T[]): Channel<T> {
  let i = 0
  return new Channel<T>({
    open() {},
    take: () => (i < values.length ? values[i++] : undefined),
    get ended() {
      return i >= values.length
    },
    close() {},
  })
}

import { UnexpectedError } from '../errors.js'
import type { Source } from './source.js'

export interface WindowHooks<I> {
  /** Starts item `index`. May settle synchronously and call `release`/`stop` re-entrantly. */
  start(item: I, index: number): void
  /** The source has no more items; `error` when its iterator threw. Called at most once, never after `stop`. */
  end(error: UnexpectedError | undefined): void
}

/**
 * Pulls items from a source into a window of `limit` slots: an item takes a slot when it is
 * pulled, and the owner gives it back with `release()` (when the item finishes for
 * processInBatches, when the consumer takes it for mapStream). So the source is never read
 * more than `limit` items ahead. One pull at a time: async iterators expect `next()` calls in
 * sequence. Iterative rather than recursive, so synchronous sources and items cannot blow the
 * stack.
 */
export class Window<I> {
  /** Items pulled so far (the next item's index). */
  pulled = 0
  private free: number
  private pulling = false
  private pumping = false
  private ended = false
  private stopped = false

  constructor(
    private readonly source: Source<I>,
    limit: number,
    private readonly hooks: WindowHooks<I>,
  ) {
    this.free = limit
  }

  /** Gives a slot back and pulls more if it can. */
  release(): void {
    this.free++
    if (!this.pumping) this.pump()
  }

  /** Stops pulling for good and closes the source (its `return()`), unless it ended by itself. */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.source.close()
  }

  /** Fills free slots. */
  pump(): void {
    if (this.pumping) return
    this.pumping = true
    const source = this.source
    while (this.free > 0 && !this.pulling && !this.ended && !this.stopped) {
      let r: IteratorResult<I> | PromiseLike<IteratorResult<I>>
      try {
        r = source.pull()
      } catch (e) {
        this.end(true, e)
        break
      }
      this.free--
      if (source.async) {
        this.pulling = true
        ;(r as PromiseLike<IteratorResult<I>>).then(this.onPulled, this.onPullFailed)
        break
      }
      const res = r as IteratorResult<I>
      if (res.done) {
        this.free++
        this.end(false)
        break
      }
      this.hooks.start(res.value, this.pulled++)
    }
    this.pumping = false
  }

  private readonly onPulled = (res: IteratorResult<I>): void => {
    this.pulling = false
    if (this.stopped) return
    if (res.done) {
      this.free++
      this.end(false)
      return
    }
    this.hooks.start(res.value, this.pulled++)
    this.pump()
  }

  private readonly onPullFailed = (e: unknown): void => {
    this.pulling = false
    this.free++
    if (!this.stopped) this.end(true, e)
  }

  private end(failed: boolean, error?: unknown): void {
    this.ended = true
    this.hooks.end(failed ? (error instanceof UnexpectedError ? error : UnexpectedError.from(error)) : undefined)
  }
}

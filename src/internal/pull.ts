import { UnexpectedError } from '../errors.js'
import type { Pulled, Source } from './source.js'

export interface PullHooks<I> {
  /** True while the owner can take another item (its window has a free slot). */
  room(): boolean
  /** Item `index` arrived. May re-enter `pump` (ignored: the running loop carries on). */
  item(value: I, index: number): void
  /** The source has no more items; `error` when its iterator threw. At most once, never after `stop`. */
  end(error: UnexpectedError | undefined): void
  /** An async pull was handled (an item or the end): the owner carries on (`pump`, or its scheduler). */
  resume(): void
}

/**
 * The one loop that reads a source into a bounded window (processInBatches, mapStream,
 * pipelines): it pulls while the owner has room, one pull at a time (async iterators expect
 * `next()` calls in sequence). Iterative rather than recursive, so synchronous sources and
 * items cannot grow the stack.
 */
export class Puller<I> {
  /** Items pulled so far (the next item's index). */
  pulled = 0
  private pulling = false
  private pumping = false
  private ended = false
  private stopped = false

  constructor(
    private readonly source: Source<I>,
    private readonly hooks: PullHooks<I>,
  ) {}

  /** Pulls while the owner has room. */
  pump(): void {
    if (this.pumping) return
    this.pumping = true
    const source = this.source
    const hooks = this.hooks
    try {
      while (!this.pulling && !this.ended && !this.stopped && hooks.room()) {
        let r: Pulled<I> | PromiseLike<Pulled<I>>
        try {
          r = source.pull()
        } catch (e) {
          this.fail(e)
          break
        }
        if (source.async) {
          this.pulling = true
          ;(r as PromiseLike<Pulled<I>>).then(this.onPulled, this.onPullFailed)
          break
        }
        const res = r as Pulled<I>
        if (res.done) {
          this.finish()
          break
        }
        hooks.item(res.value as I, this.pulled++)
      }
    } finally {
      this.pumping = false
    }
  }

  /** Stops pulling for good and closes the source (its `return()`), unless it ended by itself. */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.source.close()
  }

  private readonly onPulled = (res: Pulled<I>): void => {
    this.pulling = false
    if (this.stopped) return
    if (res.done) this.finish()
    else this.hooks.item(res.value as I, this.pulled++)
    if (!this.stopped) this.hooks.resume()
  }

  private readonly onPullFailed = (e: unknown): void => {
    this.pulling = false
    if (!this.stopped) this.fail(e)
  }

  private finish(): void {
    this.ended = true
    this.hooks.end(undefined)
  }

  private fail(e: unknown): void {
    this.ended = true
    this.hooks.end(e instanceof UnexpectedError ? e : UnexpectedError.from(e))
  }
}

import type { Result } from 'neverthrow'
import type { UnexpectedError } from '../errors.js'
import { fromThrow } from './start.js'

/** Progress of a job, as `onProgress` sees it (batch jobs; pipelines add their stages). */
export interface BatchProgress {
  /** Items finished so far, failed ones included. */
  readonly done: number
  /** Items that failed so far (settle mode; at most 1 in fail-fast mode). */
  readonly failed: number
  /** Number of items, when known: the array's length or the `total` option. */
  readonly total?: number
  /** Items finished per second since the job started. */
  readonly ratePerSec: number
  /** Estimated time left, when `total` is known and the rate is not 0. */
  readonly etaMs?: number
}

/**
 * Throttled progress reports, for batch jobs and pipelines. Checked on item completion only (no interval timer, so nothing can
 * be left running after the job); `final()` reports the end state once more, whatever the throttle.
 */
export class Progress {
  private last: number
  constructor(
    private readonly report: (p: BatchProgress) => void,
    private readonly intervalMs: number,
    private readonly total: number | undefined,
    private readonly startedAt: number,
  ) {
    this.last = startedAt
  }

  /** Reports if `intervalMs` has passed since the last report. May throw (the user's callback). */
  tick(done: number, failed: number): void {
    const now = performance.now()
    if (now - this.last < this.intervalMs) return
    this.last = now
    this.report(this.snapshot(done, failed, now))
  }

  /**
   * The last report, at the end of the job. A throw from the user's callback comes back as an
   * `err(UnexpectedError)` for the caller to fold into the job's result.
   */
  final(done: number, failed: number): Result<never, UnexpectedError> | undefined {
    try {
      this.report(this.snapshot(done, failed, performance.now()))
      return undefined
    } catch (e) {
      return fromThrow(e)
    }
  }

  private snapshot(done: number, failed: number, now: number): BatchProgress {
    const elapsed = now - this.startedAt
    const ratePerSec = elapsed > 0 ? (done * 1000) / elapsed : 0
    const total = this.total
    if (total === undefined) return { done, failed, ratePerSec }
    if (ratePerSec === 0) return { done, failed, total, ratePerSec }
    const etaMs = (Math.max(0, total - done) * 1000) / ratePerSec
    return { done, failed, total, ratePerSec, etaMs }
  }
}

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

/** Least time between two progress reports when `progressIntervalMs` is not given. */
export const DEFAULT_PROGRESS_MS = 100

/**
 * Throttled progress reports, for batch jobs and pipelines. Checked on item completion only (no interval timer, so nothing can
 * be left running after the job); `final()` reports the end state once more, whatever the throttle.
 */
export class Progress {
  private last: number
  private readonly intervalMs: number
  constructor(
    private readonly report: (p: BatchProgress) => void,
    /** Least time between two reports (default {@link DEFAULT_PROGRESS_MS}). */
    intervalMs: number | undefined,
    private readonly total: number | undefined,
    private readonly startedAt: number,
  ) {
    this.intervalMs = intervalMs ?? DEFAULT_PROGRESS_MS
    this.last = startedAt
  }

  /**
   * Reports if `intervalMs` has passed since the last report. A throw from the user's callback
   * comes back as an `err(UnexpectedError)`, which stops the job.
   */
  tick(done: number, failed: number): Result<never, UnexpectedError> | undefined {
    const now = performance.now()
    if (now - this.last < this.intervalMs) return undefined
    this.last = now
    return this.send(done, failed, now)
  }

  /** The last report, at the end of the job, whatever the throttle; a throw comes back as in `tick`. */
  final(done: number, failed: number): Result<never, UnexpectedError> | undefined {
    return this.send(done, failed, performance.now())
  }

  private send(done: number, failed: number, now: number): Result<never, UnexpectedError> | undefined {
    try {
      this.report(this.snapshot(done, failed, now))
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

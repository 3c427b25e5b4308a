import type { BatchProgress } from './types.js'

/**
 * Throttled progress reports. Checked on item completion only (no interval timer, so nothing can
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

  /** The last report, at the end of the job. May throw. */
  final(done: number, failed: number): void {
    this.report(this.snapshot(done, failed, performance.now()))
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

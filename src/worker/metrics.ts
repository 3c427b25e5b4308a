import { DurationHistogram, type DurationSummary } from './histogram.js'

/** Counters of a pool since it was created. */
export interface WorkerPoolMetrics {
  /** Tasks taken in (queued or started); runs refused with `QueueFullError` are not counted. */
  readonly submitted: number
  /** Tasks that ended with an ok value. */
  readonly completed: number
  /** Tasks that ended with an err: returned by the task, thrown (`TaskFailedError`) or a crash. */
  readonly failed: number
  /** Tasks cancelled by their signal or by `close({ force: true })`. */
  readonly cancelled: number
  /** Tasks that ran out of time (counted here only, not in `cancelled`). */
  readonly timedOut: number
  /** Tasks waiting for a thread now (in the queue, or sent ahead to a busy thread). */
  readonly queued: number
  /** Tasks handed to a thread now. */
  readonly running: number
  /** Live threads now. */
  readonly threads: number
  /** Most threads alive at once so far. */
  readonly peakThreads: number
  /** Total time threads spent on tasks that have settled, in ms (thread start-up not included). */
  readonly busyMs: number
  /** `busyMs` over the pool's lifetime × `maxThreads`, from 0 to 1. */
  readonly utilization: number
  /** Time from a thread starting a task to its answer, in ms, over the answered tasks. */
  readonly runTime: DurationSummary
  /** Time from `run` to a thread starting the task, in ms (queue wait and thread start-up). */
  readonly waitTime: DurationSummary
}

/** The counters the dispatcher keeps. */
export class PoolStats {
  readonly createdAt = performance.now()
  submitted = 0
  completed = 0
  failed = 0
  cancelled = 0
  timedOut = 0
  busyMs = 0
  peakThreads = 0
  readonly runTime = new DurationHistogram()
  readonly waitTime = new DurationHistogram()

  sawThreads(n: number): void {
    if (n > this.peakThreads) this.peakThreads = n
  }

  snapshot(now: { queued: number; running: number; threads: number; maxThreads: number }): WorkerPoolMetrics {
    const elapsed = performance.now() - this.createdAt
    return {
      submitted: this.submitted,
      completed: this.completed,
      failed: this.failed,
      cancelled: this.cancelled,
      timedOut: this.timedOut,
      queued: now.queued,
      running: now.running,
      threads: now.threads,
      peakThreads: this.peakThreads,
      busyMs: this.busyMs,
      utilization: elapsed > 0 ? Math.min(1, this.busyMs / (elapsed * now.maxThreads)) : 0,
      runTime: this.runTime.summary(),
      waitTime: this.waitTime.summary(),
    }
  }
}

// Threads that die before answering anything (a tasks module that exits after loading, a
// resourceLimits too small to start, a module stuck loading): restarts back off, and after
// MAX_FAILED_STARTS in a row the pool stops starting threads and fails runs with a typed error,
// instead of restarting 20 threads a second forever.
import { WorkerCrashedError } from '../errors.js'

export const MAX_FAILED_STARTS = 5

/** Wait before the next start after `n` failed starts in a row (the first restart is at once). */
const restartDelay = (n: number) => (n <= 1 ? 0 : Math.min(25 * 2 ** (n - 2), 1_000))

export class StartGuard {
  private failed = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  /** Set once threads kept failing to start: every run fails with it. */
  broken: WorkerCrashedError | undefined

  constructor(private readonly onRetry: () => void) {}

  /** False while backing off, or once broken. */
  get canStart(): boolean {
    return this.broken === undefined && this.timer === undefined
  }

  get waiting(): boolean {
    return this.timer !== undefined
  }

  /** A thread answered a task: it started fine. */
  started(): void {
    this.failed = 0
  }

  /** A thread died before answering anything. */
  failedStart(error: Error | undefined, exitCode: number): void {
    // Threads started before it broke may die after: the pool keeps the one error it gave out.
    if (this.broken !== undefined) return
    this.failed++
    if (this.failed >= MAX_FAILED_STARTS) {
      const why = error ? error.message : `exit code ${exitCode}`
      this.broken = new WorkerCrashedError(
        `Worker threads keep dying before running a task (${this.failed} in a row; last: ${why}): check the tasks module and resourceLimits`,
        error ? { cause: error } : { exitCode },
      )
      this.stop()
      return
    }
    const delay = restartDelay(this.failed)
    if (delay > 0 && this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        this.onRetry()
      }, delay)
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }
}

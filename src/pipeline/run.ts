import { err, type Result } from 'neverthrow'
import { CancelledError } from '../errors.js'
import { cancelledBy, onAbort } from '../internal/abort.js'
import { type BatchProgress, Progress } from '../internal/progress.js'
import { Puller } from '../internal/pull.js'
import type { Source } from '../internal/source.js'
import { ChunkStageRun } from './chunk-stage.js'
import { type Downstream, PipelineItem, type RunHooks, type StageRun, type StageSpec } from './stage.js'
import type { PipelineMetrics, PipelineOptions } from './types.js'
import { WorkStageRun } from './work-stage.js'

/** Hand-overs in one synchronous pass before yielding to the event loop. */
const SLICE = 4096

/** Where results leave the pipeline: `run()` collects them, the async iterator queues one for its consumer. */
export interface Outlet extends Downstream {
  /** The run is over: `result` is an err to report, `undefined` after a normal end or a consumer break. */
  end(result: Result<never, unknown> | undefined): void
}

/**
 * One run of a pipeline. All scheduling goes through `drive()`, a loop that moves items
 * downstream stage by stage and pulls the source while the first stage has room, until
 * nothing moves. Callbacks (an item settled, a pull arrived, a chunk timer fired, the consumer
 * took a result) only call `drive()`, which never re-enters itself: synchronous sources and
 * stages therefore cannot grow the stack.
 */
export class PipelineRun implements RunHooks {
  readonly failFast: boolean
  readonly ordered: boolean
  readonly startedAt = performance.now()
  clock = this.startedAt
  private readonly controller = new AbortController()
  readonly signal: AbortSignal = this.controller.signal
  readonly stages: StageRun[]
  stopped = false
  private sourceDone = false
  private readonly puller: Puller<unknown>
  private driving = false
  private resume: ReturnType<typeof setImmediate> | undefined
  private again = false
  private moves = 0
  private done = 0
  private failed = 0
  private progress: Progress | undefined
  private detach: (() => void) | undefined
  private readonly out: Downstream
  /** links[i]: where stage i hands its outputs, counting each hand-over as a move (drive loops until none). */
  private readonly links: Downstream[]

  constructor(
    source: Source<unknown>,
    specs: readonly StageSpec[],
    private readonly opts: PipelineOptions,
    private readonly outlet: Outlet,
  ) {
    this.failFast = opts.mode !== 'settle'
    this.ordered = opts.ordered !== false
    this.stages = specs.map((s) => (s.kind === 'chunk' ? new ChunkStageRun(s, this) : new WorkStageRun(s, this)))
    // Counts what reaches the consumer, for progress and metrics.
    this.out = {
      room: () => outlet.room(),
      push: (item) => {
        if (item.failed) this.failed++
        else this.done++
        outlet.push(item)
        this.tick()
      },
    }
    this.links = this.stages.map((_, i) => {
      const next = this.stages[i + 1] ?? this.out
      return {
        room: () => next.room(),
        push: (item: PipelineItem) => {
          this.moves++
          next.push(item)
        },
      }
    })
    // Reads the source while the first stage has room; one pull at a time for async sources.
    const first = this.stages[0] ?? this.out
    this.puller = new Puller<unknown>(source, {
      room: () => first.room() > 0,
      item: (value, index) => {
        this.moves++
        first.push(new PipelineItem(index, value))
      },
      end: (error) => {
        this.moves++
        this.sourceDone = true
        // The source broke: nothing more can come, so the run ends with its error (as in processInBatches).
        if (error) this.stop(err(error))
      },
      resume: () => this.drive(),
    })
  }

  start(): void {
    const { signal, onProgress } = this.opts
    if (signal?.aborted) {
      this.stop(err(cancelledBy(signal)))
      return
    }
    if (signal) this.detach = onAbort(signal, () => this.stop(err(cancelledBy(signal))))
    if (onProgress) {
      const report = (p: BatchProgress) => onProgress({ ...p, stages: this.metrics().stages })
      this.progress = new Progress(report, this.opts.progressIntervalMs, undefined, this.startedAt)
    }
    this.drive()
  }

  /** `clockFresh`: the caller has just read the clock (`tock`), so this call need not read it again. */
  drive(clockFresh = false): void {
    if (this.stopped) return
    if (this.driving) {
      this.again = true
      return
    }
    this.driving = true
    // One clock read per call, not per pass: passes run back to back, and a clock read costs as
    // much as moving an item (measured: 30% of a 3-stage pipeline's CPU time with one per pass).
    if (!clockFresh) this.clock = performance.now()
    const start = this.moves
    try {
      do {
        // A synchronous source feeding synchronous stages would otherwise run to its end (or
        // forever) in one go, and no signal, timer or consumer could get a word in.
        if (this.moves - start > SLICE) {
          this.resume ??= setImmediate(this.resumeDrive)
          return
        }
        this.again = false
        const before = this.moves
        let upstreamDone = this.sourceDone
        const stages = this.stages
        for (let i = 0; i < stages.length && !this.stopped; i++) {
          const stage = stages[i] as StageRun
          stage.step(this.links[i] as Downstream, upstreamDone)
          upstreamDone = stage.finished(upstreamDone)
        }
        if (this.stopped) return
        if (upstreamDone) {
          this.stop(undefined)
          return
        }
        this.puller.pump()
        if (this.stopped) return
        if (this.moves !== before) this.again = true
      } while (this.again)
    } finally {
      this.driving = false
    }
  }

  private readonly resumeDrive = (): void => {
    this.resume = undefined
    this.drive()
  }

  tock(): number {
    this.clock = performance.now()
    return this.clock
  }

  /** A failed item in fail-fast mode. */
  fail(error: unknown): void {
    this.stop(err(error))
  }

  /** Ends the run once: stops pulling, closes the source, aborts running items, clears timers. */
  stop(result: Result<never, unknown> | undefined): void {
    if (this.stopped) return
    this.stopped = true
    this.detach?.()
    if (this.resume !== undefined) clearImmediate(this.resume)
    let running = 0
    for (const stage of this.stages) {
      running += stage.running
      stage.stop()
    }
    this.puller.stop() // closes the source: a no-op when it ended by itself
    if (running > 0) {
      const reason = result?.isErr() && result.error instanceof CancelledError ? result.error : undefined
      this.controller.abort(reason ?? new CancelledError('the pipeline stopped'))
    }
    const thrown = this.progress?.final(this.done, this.failed) // always reported, even after an error
    this.outlet.end(result ?? thrown)
  }

  metrics(): PipelineMetrics {
    const now = performance.now()
    return {
      elapsedMs: now - this.startedAt,
      pulled: this.puller.pulled,
      done: this.done,
      failed: this.failed,
      stages: this.stages.map((n) => n.metrics(now)),
    }
  }

  private tick(): void {
    const thrown = this.progress?.tick(this.done, this.failed)
    if (thrown) this.stop(thrown)
  }
}

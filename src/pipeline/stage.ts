import type { ItemRetry } from '../internal/item.js'
import type { StageContext, StageMetrics } from './types.js'

// The parts of a pipeline run: the item that travels, the stages it passes, what a stage needs
// from its run. A run (run.ts) joins stages (work-stage.ts, chunk-stage.ts) through `Downstream`.

/**
 * One item on its way through the stages. The same object is passed along (its `value`
 * replaced by each stage's output) so a 1:1 stage allocates nothing per item; a failed item in
 * settle mode keeps flowing as `failed` so that it keeps its place in ordered output.
 */
export class PipelineItem {
  /** When the current stage started it (for `utilization`). */
  t0 = 0
  /** Its start order in the current stage (for ordered output). */
  seq = 0
  constructor(
    public index: number,
    public value: unknown,
    public failed = false,
  ) {}
}

/** Where a stage hands its outputs: the next stage, or the consumer. */
export interface Downstream {
  /** How many items it takes now. */
  room(): number
  push(item: PipelineItem): void
}

/** What a stage needs from the run it belongs to. */
export interface RunHooks {
  readonly failFast: boolean
  readonly ordered: boolean
  readonly signal: AbortSignal
  readonly startedAt: number
  /**
   * performance.now() as of the last scheduler pass or async settle: stamps that need no fresh
   * clock read, so a synchronous item costs no clock read at all.
   */
  readonly clock: number
  /** Reads the clock afresh (and keeps it as `clock`). */
  tock(): number
  /** True once the run is over: stages then start and pass on nothing more. */
  readonly stopped: boolean
  /** Something moved: run the scheduler again. */
  drive(clockFresh?: boolean): void
  /** A failed item in fail-fast mode: stop everything with it. */
  fail(error: unknown): void
}

/** A stage inside a run: a bounded input buffer, work in flight, outputs waiting for room downstream. */
export interface StageRun extends Downstream {
  /** Passes finished outputs on while `next` has room, then starts queued items on free slots. */
  step(next: Downstream, upstreamDone: boolean): void
  /** True once upstream is done and nothing is left in this stage. */
  finished(upstreamDone: boolean): boolean
  /** Items running now (the run aborts its signal at stop only when some are). */
  readonly running: number
  /** Clears timers; the run is over. */
  stop(): void
  metrics(now: number): StageMetrics
}

/** A `fn` or `pool` stage as checked, with its defaults filled in. */
export interface WorkStageSpec {
  readonly kind: 'fn' | 'pool'
  readonly name: string
  readonly concurrency: number
  readonly buffer: number
  readonly fn: (item: unknown, ctx: StageContext) => unknown
  readonly timeoutMs?: number | undefined
  readonly retry?: ItemRetry<never> | undefined
}

/** A chunk stage as checked. */
export interface ChunkStageSpec {
  readonly kind: 'chunk'
  readonly name: string
  readonly size: number
  readonly maxWaitMs: number | undefined
}

/** A stage as checked: what a run is built from. */
export type StageSpec = WorkStageSpec | ChunkStageSpec

import type { TransferListItem } from 'node:worker_threads'
import type { Result, ResultAsync } from 'neverthrow'
import type { ItemErr, ItemOk, ItemReturn } from '../batch/types.js'
import type { CancelledError, InvalidOptionsError, StageFailedError, UnexpectedError } from '../errors.js'
import type { ItemRetry } from '../internal/item.js'
import type { BatchProgress as Progress } from '../internal/progress.js'
import type { AttemptContext, ByMode, Collected, Mode } from '../types.js'
// Types only: a pool stage takes a pool the user made with `okflow/worker`, so `okflow` itself
// never loads the worker pool.
import type { WorkerTaskMap, WorkerTasks } from '../worker/define.js'
import type { WorkerPool } from '../worker/pool.js'
import type { TaskError, TaskInput, TaskName, TaskOutput, WorkerRunError } from '../worker/types.js'

/**
 * What a stage's `fn` receives beside the item: the shared {@link AttemptContext} (`signal`,
 * aborted when the pipeline stops — an err in fail-fast mode, `signal`, the consumer broke out —
 * or the item timed out; `attempt`, 1 or more when `retry` calls `fn` again) and the item's index.
 */
export interface StageContext extends AttemptContext {
  /** The item's index (see {@link StageFailedError.index}). */
  readonly index: number
}

/**
 * A stage that runs `fn` on each item, `concurrency` items at a time, with up to `buffer` items
 * waiting in front of it. `fn` returns any Result form; its ok value is the next stage's input.
 */
export interface FnStage<I, R extends ItemReturn, S extends string> {
  /** Names the stage in errors and metrics. */
  readonly name: S
  /** The work: any Result form (a throw or rejection becomes `UnexpectedError`). */
  readonly fn: (item: I, ctx: StageContext) => R
  /** Items running at once (default 1). */
  readonly concurrency?: number | undefined
  /** Items that may wait in front of the stage (default: `concurrency`). 0 hands items over only when a slot is free. */
  readonly buffer?: number | undefined
  /** Time limit of one item, its retries included: `TimeoutError`, and the item's signal is aborted. */
  readonly timeoutMs?: number | undefined
  /** Calls `fn` again for a failed item. */
  readonly retry?: ItemRetry<ItemErr<R>> | undefined
}

/** A stage that runs worker-pool task `task` on each item (CPU work off the main thread). */
export interface PoolStage<T extends WorkerTasks<WorkerTaskMap>, K extends TaskName<T>, S extends string> {
  readonly name: S
  /** A pool made with `createWorkerPool` from `okflow/worker`; the pipeline does not close it. */
  readonly pool: WorkerPool<T>
  readonly task: K
  /**
   * Tasks in flight at once (default: 4 × the number of CPUs). The pool keeps two tasks per
   * thread in flight, and a finished item holds its slot until the next stage takes it, so about
   * 4 per thread keeps every thread fed (measured: 2 threads, SHA-256 chunks — concurrency 4:
   * 1.44×, 6: 1.64×, 8: 1.68× the main thread). More than `maxThreads + maxQueue` may get
   * `QueueFullError`.
   */
  readonly concurrency?: number | undefined
  /** Items that may wait in front of the stage (default: `concurrency`). */
  readonly buffer?: number | undefined
  /** Time limit of one task (`TimeoutError`; a running task's thread is replaced). */
  readonly timeoutMs?: number | undefined
  /** Objects to move to the worker instead of copying, e.g. `(bytes) => [bytes.buffer]`. */
  readonly transfer?: ((input: TaskInput<T, K>) => readonly TransferListItem[]) | undefined
}

/**
 * A stage that groups items into arrays of at most `size`, emitting a partial array `maxWaitMs`
 * after its first item arrived, so a slow stream still flows. It holds at most one array being
 * filled and one full array waiting for room downstream.
 */
export interface ChunkStage<S extends string> {
  readonly name: S
  /** Most items per chunk (an integer >= 1). */
  readonly size: number
  /** Emit a partial chunk this long after its first item arrived (default: never; the end of the stream always flushes). */
  readonly maxWaitMs?: number | undefined
}

/** Errors of the pipeline itself: the source threw, `signal` aborted, bad options. */
export type PipelineFailure = UnexpectedError | CancelledError | InvalidOptionsError

/** `fail-fast` (default): the first failed item stops every stage. `settle`: failed items are reported and the flow goes on. The shared {@link Mode}. */
export type PipelineMode = Mode

/** Counters of one stage, to find the bottleneck: its input buffer stays full, the next one's stays empty. */
export interface StageMetrics {
  readonly name: string
  readonly kind: 'fn' | 'pool' | 'chunk'
  readonly concurrency: number
  /** Items taken in (for a chunk stage: items; for the stage after it: chunks). */
  readonly in: number
  /** Ok outputs passed on (chunks, for a chunk stage). */
  readonly out: number
  /** Items that failed in this stage. */
  readonly failed: number
  /** Items running now. */
  readonly running: number
  /** Items waiting in the stage's input buffer now (in the chunk being filled, for a chunk stage). */
  readonly queued: number
  /** Most items that waited in the input buffer at once. */
  readonly bufferHighWater: number
  /** Wall time during which at least one item was running, in ms. */
  readonly busyMs: number
  /** Mean share of the `concurrency` slots running items since the run started, 0 to 1. */
  readonly utilization: number
}

/** A snapshot of a pipeline run. */
export interface PipelineMetrics {
  /** Since the run started. */
  readonly elapsedMs: number
  /** Items read from the source. */
  readonly pulled: number
  /** Results that came out of the last stage: ok … */
  readonly done: number
  /** … and failed (settle mode; at most 1 in fail-fast mode). */
  readonly failed: number
  readonly stages: readonly StageMetrics[]
}

/** What `onProgress` sees: batch-job progress (`done` counts ok and failed outputs) plus per-stage metrics. */
export interface PipelineProgress extends Progress {
  readonly stages: readonly StageMetrics[]
}

/** Options of `pipeline`. `M` captures `mode`, which shapes `run()`'s result. */
export interface PipelineOptions<M extends PipelineMode = PipelineMode> {
  /** Every stage passes items on in input order (default true, like p-map); false: in completion order. */
  readonly ordered?: boolean | undefined
  /** What a failed item does (default `'fail-fast'`). */
  readonly mode?: M | undefined
  /** Aborting it stops every stage: running items aborted, the source closed, `err(CancelledError)`. */
  readonly signal?: AbortSignal | undefined
  /** Progress with per-stage metrics, at most every `progressIntervalMs` (default 100) and once at the end; a throw stops the run. */
  readonly onProgress?: ((progress: PipelineProgress) => void) | undefined
  readonly progressIntervalMs?: number | undefined
}

/** Options of `run()`. */
export interface RunPipelineOptions<C extends boolean = boolean> {
  /** `false` keeps no outputs (for flows whose last stage writes): the values are then `undefined`. Default true. */
  readonly collect?: C | undefined
}

/** Outputs as `run()` keeps them: `O[]`, or `undefined` with `collect: false`. The shared {@link Collected}. */
export type Outputs<O, C extends boolean> = Collected<O, C>

/** The ok value of a settle-mode `run()`. */
export interface SettledPipeline<O, E> {
  /** Ok outputs of the last stage, in order (completion order with `ordered: false`). */
  readonly values: O
  /** Failed items, in the order they came out. */
  readonly errors: E[]
  readonly stats: { readonly done: number; readonly failed: number; readonly durationMs: number }
}

/** The ok value of `run()`: fail-fast → the outputs; settle → `{ values, errors, stats }`. */
export type PipelineResult<O, E, M extends PipelineMode, C extends boolean> = ByMode<
  M,
  Outputs<O, C>,
  SettledPipeline<Outputs<O, C>, E>
>

/** The errors of `run()`: the first failed item (fail-fast only) and the pipeline's own. */
export type PipelineRunError<E, M extends PipelineMode> = ByMode<M, E, never> | PipelineFailure

/** Checks at compile time that a pool task takes what the previous stage produces. */
type AcceptsInput<Out, T extends WorkerTasks<WorkerTaskMap>, K extends TaskName<T>> = [Out] extends [TaskInput<T, K>]
  ? unknown
  : { readonly task: never; readonly 'input does not match the task': TaskInput<T, K> }

/**
 * A pipeline: stages joined by bounded buffers, built one stage at a time (each method returns a
 * new pipeline; nothing runs until it is iterated or `run()`). `Out` is what the last stage
 * produces; `E` the union of `StageFailedError<name, error>` of every stage.
 *
 * Iterating it yields each output as `ok(value)` and each failed item as `err(StageFailedError)`;
 * in fail-fast mode the first err is the last result. Each iteration (or `run()`) is a new run
 * that reads the source afresh, so a one-shot source (a generator) can be run once.
 */
export interface Pipeline<Out, E, M extends PipelineMode = 'fail-fast'>
  extends AsyncIterable<Result<Out, E | PipelineFailure>> {
  /** Adds a stage running `fn` on each item. */
  stage<const S extends string, R extends ItemReturn>(
    stage: FnStage<Out, R, S>,
  ): Pipeline<ItemOk<R>, E | StageFailedError<S, ItemErr<R>>, M>
  /** Adds a stage running worker-pool task `task` on each item. */
  pool<const S extends string, T extends WorkerTasks<WorkerTaskMap>, K extends TaskName<T>>(
    stage: PoolStage<T, K, S> & AcceptsInput<Out, T, K>,
  ): Pipeline<TaskOutput<T, K>, E | StageFailedError<S, TaskError<T, K> | WorkerRunError>, M>
  /** Adds a stage grouping items into arrays of at most `size` (partial ones after `maxWaitMs`). */
  chunk<const S extends string>(stage: ChunkStage<S>): Pipeline<Out[], E, M>
  /**
   * Runs the pipeline to the end. Never rejects. Fail-fast: `ok(outputs)` or the first
   * `err(StageFailedError)`; settle: `ok({ values, errors, stats })`. The source threw →
   * `err(UnexpectedError)`; `signal` aborted → `err(CancelledError)`; bad options → `err(InvalidOptionsError)`.
   */
  run<C extends boolean = true>(
    opts?: RunPipelineOptions<C>,
  ): ResultAsync<PipelineResult<Out, E, M, C>, PipelineRunError<E, M>>
  /** Per-stage counters of the latest run (all zero before the first). */
  metrics(): PipelineMetrics
}

import type { CancelledError, InvalidOptionsError, TimeoutError, UnexpectedError } from '../errors.js'
import type { Backoff } from '../internal/retry.js'
import type { ErrOf, OkOf, ResultLike, ResultPromiseLike, TaskContext } from '../types.js'

/** What `fn` receives beside the item and its index. */
export interface ItemContext extends TaskContext {
  /** Aborted when the item's result is no longer wanted: the job stopped, or the item timed out. */
  readonly signal: AbortSignal
  /** Which call this is for the item: 1, or more when `retry` calls `fn` again. */
  readonly attempt: number
}

/**
 * What `fn` and `afterBatch` may return: any Result form. Structural (see `ResultLike` in
 * types.ts) so an `ok(...)` written inside `fn` keeps its error type `never`, not `unknown`.
 */
export type ItemReturn = ResultLike | ResultPromiseLike

/** The per-item function of a batch job or stream; `R` is what it returns (any Result form). */
export type ItemFn<I, R extends ItemReturn = ItemReturn> = (item: I, index: number, ctx: ItemContext) => R

/** Ok type of the items, from `R`, the return type of `fn`. */
export type ItemOk<R> = OkOf<R>
/** Errors one item can end with: those of `fn` (returning `R`), plus a throw/rejection and a timeout. */
export type ItemErr<R> = ErrOf<R> | UnexpectedError | TimeoutError

/** Per-item retry: the options of the `retry` combinator, without `signal` (the job's is used). */
export interface ItemRetry<E> {
  /** Calls in total per item, the first one included (`attempts: 3` → at most 3 calls). */
  attempts: number
  /** Wait between attempts; none when omitted. */
  backoff?: Backoff | undefined
  /** Retry only errors for which this returns true (default: every error). */
  retryIf?: ((error: E, attempt: number) => boolean) | undefined
  /** Time limit of each attempt (the `timeoutMs` of the job bounds the item, retries included). */
  timeoutMs?: number | undefined
  /** Called before each retry, e.g. to log it. */
  onRetry?: ((info: { attempt: number; error: E; delayMs: number }) => void) | undefined
}

/** An item that failed, with its 0-based input position. */
export interface ItemError<E> {
  /** 0-based position of the item in the source. */
  readonly index: number
  /** What the item ended with. */
  readonly error: E
}

/** Progress of a job, as `onProgress` sees it. */
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

/** A checkpoint, as `afterBatch` sees it. */
export interface BatchCheckpoint {
  /** The 0-based batch number: items `batch * batchSize` to `(batch + 1) * batchSize - 1`. */
  readonly batch: number
  /** Items finished so far (this batch, every earlier one, and any later ones already done). */
  readonly done: number
}

/** Counts of a finished job (settle mode). */
export interface BatchStats {
  /** Items processed. */
  readonly total: number
  /** Items that ended ok. */
  readonly succeeded: number
  /** Items that ended with an error. */
  readonly failed: number
  /** Wall time of the whole job. */
  readonly durationMs: number
}

/** The ok value of a settle-mode job. `values` is `undefined` with `collect: false`. */
export interface SettledBatch<O, E> {
  /** Values of the items that succeeded, in input order (failed items leave no gap). */
  readonly values: O
  /** Failed items in input order. */
  readonly errors: ItemError<E>[]
  /** Counts and wall time of the job. */
  readonly stats: BatchStats
}

/** `fail-fast` (default): the first item error stops the job. `settle`: every item runs. */
export type BatchMode = 'fail-fast' | 'settle'

/** What `afterBatch` may return: nothing, a Result, or a promise of either. */
export type CheckpointReturn = void | ItemReturn | PromiseLike<void>

/**
 * Options of `processInBatches`. `E`: an item's error type (what `retryIf` sees); `M`, `C`, `A`
 * capture `mode`, `collect` and the return type of `afterBatch`, which shape the result type.
 */
export interface ProcessOptions<
  E = unknown,
  M extends BatchMode = BatchMode,
  C extends boolean = boolean,
  A extends CheckpointReturn = CheckpointReturn,
> {
  /** Most items in flight at once (sliding window; also how far the source is read ahead). */
  concurrency: number
  /** Items per checkpoint for `afterBatch` (default 100). Batches are no barrier to concurrency. */
  batchSize?: number | undefined
  /** What an item error does (default `'fail-fast'`). */
  mode?: M | undefined
  /** Time limit of one item, its retries and backoff included; the item is aborted on timeout. */
  timeoutMs?: number | undefined
  /** Calls `fn` again for a failed item. */
  retry?: ItemRetry<E> | undefined
  /** Aborting it stops the job: `err(CancelledError)`, running items aborted, source closed. */
  signal?: AbortSignal | undefined
  /** `false` keeps no outputs (side-effect jobs run in constant memory); outputs are then `undefined`. Default true. */
  collect?: C | undefined
  /** Number of items of an iterable source, for `total` and `etaMs` in progress reports. */
  total?: number | undefined
  /** Reports progress at most this often (default 100 ms), and once more at the end. */
  progressIntervalMs?: number | undefined
  /** Progress callback; a throw stops the job with UnexpectedError. */
  onProgress?: ((progress: BatchProgress) => void) | undefined
  /**
   * A checkpoint, called in batch order once every item of the batch and of all earlier ones
   * has finished. May return void, a Result or a promise of one: an err (or a throw) stops the
   * job with that error. Calls never overlap, and the job ends after the last one.
   */
  afterBatch?: ((checkpoint: BatchCheckpoint) => A) | undefined
}

/** Outputs as kept: `O[]`, or `undefined` with `collect: false`. */
export type Collected<O, C extends boolean> = [C] extends [false]
  ? undefined
  : [C] extends [true]
    ? O[]
    : O[] | undefined

/** The ok value of `processInBatches` for mode `M` and `collect: C`. */
export type BatchResult<O, E, M extends BatchMode = 'fail-fast', C extends boolean = true> = [M] extends ['settle']
  ? SettledBatch<Collected<O, C>, E>
  : [M] extends ['fail-fast']
    ? Collected<O, C>
    : Collected<O, C> | SettledBatch<Collected<O, C>, E>

/**
 * Errors the whole job can return: the first failed item as `{ index, error }` (fail-fast only),
 * an err of `afterBatch` (returning `A`), and library errors.
 */
export type BatchError<E, M extends BatchMode = 'fail-fast', A = void> =
  | ([M] extends ['settle'] ? never : ItemError<E>)
  | ErrOf<A>
  | UnexpectedError
  | CancelledError
  | InvalidOptionsError

/** Options of `mapStream`. */
export interface MapStreamOptions<E = unknown> {
  /** Most items pulled but not yet handed to the consumer (the backpressure window). */
  concurrency: number
  /** Yield in input order (default true, like p-map); false yields in completion order. */
  ordered?: boolean | undefined
  /** Aborting it ends the stream with one `err(CancelledError)`; running items are aborted. */
  signal?: AbortSignal | undefined
  /** Time limit of one item, its retries included. */
  timeoutMs?: number | undefined
  /** Calls `fn` again for a failed item. */
  retry?: ItemRetry<E> | undefined
}

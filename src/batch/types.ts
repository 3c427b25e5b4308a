import type { CancelledError, InvalidOptionsError, ItemFailedError, TimeoutError, UnexpectedError } from '../errors.js'
import type { ItemRetry } from '../internal/item.js'
import type { BatchProgress } from '../internal/progress.js'
import type { AttemptContext, ByMode, Collected, ErrOf, Mode, OkOf, ResultLike, ResultPromiseLike } from '../types.js'

export type { BatchProgress, Collected, ItemRetry }

/**
 * What `fn` receives beside the item and its index: `signal` (aborted when the item's result is
 * no longer wanted: the job stopped, or the item timed out) and `attempt` (1, or more when
 * `retry` calls `fn` again). The shared {@link AttemptContext}.
 */
export type ItemContext = AttemptContext

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

/** An item that failed, with its 0-based input position. */
export interface ItemError<E> {
  /** 0-based position of the item in the source. */
  readonly index: number
  /** What the item ended with. */
  readonly error: E
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
  /** Failed items in input order (each an `ItemFailedError`: `{ index, error }`, readable when logged). */
  readonly errors: ItemFailedError<E>[]
  /** Counts and wall time of the job. */
  readonly stats: BatchStats
}

/** `fail-fast` (default): the first item error stops the job. `settle`: every item runs. The shared {@link Mode}. */
export type BatchMode = Mode

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

/** The ok value of `processInBatches` for mode `M` and `collect: C`. */
export type BatchResult<O, E, M extends BatchMode = 'fail-fast', C extends boolean = true> = ByMode<
  M,
  Collected<O, C>,
  SettledBatch<Collected<O, C>, E>
>

/**
 * Errors the whole job can return: the first failed item as an `ItemFailedError` (`{ index, error }`; fail-fast only),
 * an err of `afterBatch` (returning `A`), and library errors.
 */
export type BatchError<E, M extends BatchMode = 'fail-fast', A = void> =
  | ByMode<M, ItemFailedError<E>, never>
  | ErrOf<A>
  | UnexpectedError
  | CancelledError
  | InvalidOptionsError

/** Options of `mapStream`. `W` captures `withIndex`, which shapes what the stream yields. */
export interface MapStreamOptions<E = unknown, W extends boolean = boolean> {
  /**
   * Most items pulled but not yet handed to the consumer (the backpressure window). A slot is
   * given back the moment its result is handed over, so work overlaps with the consumer.
   */
  concurrency: number
  /** Yield in input order (default true, like p-map); false yields in completion order. */
  ordered?: boolean | undefined
  /**
   * `true` yields `{ index, result }` (the item's 0-based position beside its Result, as
   * `asCompleted` does) instead of the bare Result; the stream's own errors come at index -1.
   */
  withIndex?: W | undefined
  /** Aborting it ends the stream with one `err(CancelledError)`; running items are aborted. */
  signal?: AbortSignal | undefined
  /** Time limit of one item, its retries included. */
  timeoutMs?: number | undefined
  /** Calls `fn` again for a failed item. */
  retry?: ItemRetry<E> | undefined
}

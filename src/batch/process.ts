import { err, ok, type Result, ResultAsync } from 'neverthrow'
import { CancelledError, InvalidOptionsError, ItemFailedError, type UnexpectedError } from '../errors.js'
import { cancelledBy, onAbort } from '../internal/abort.js'
import { type ItemCall, type ItemResult, itemRunner, type RunItem } from '../internal/item.js'
import { type BatchProgress, Progress } from '../internal/progress.js'
import { Puller } from '../internal/pull.js'
import { type Items, openSource, type Source } from '../internal/source.js'
import { fromThrow } from '../internal/start.js'
import { type CheckpointFn, Checkpoints } from './checkpoints.js'
import { type CheckedProcessOptions, checkProcessOptions } from './options.js'
import type {
  BatchError,
  BatchMode,
  BatchResult,
  BatchStats,
  CheckpointReturn,
  ItemErr,
  ItemFn,
  ItemOk,
  ItemReturn,
  ProcessOptions,
  SettledBatch,
} from './types.js'

const DEFAULT_BATCH_SIZE = 100

/**
 * Runs `fn` over every item of an array, Iterable or AsyncIterable with a sliding window of
 * `concurrency` items, pulling the source lazily: it is never read more than `concurrency` items
 * ahead of completion, so a 10M-row async generator runs in constant memory (with
 * `collect: false`). Never throws or rejects.
 *
 * - `mode: 'fail-fast'` (default): `ok(outputs)` in input order, or the first failed item as
 *   `err(ItemFailedError)` (`{ index, error }`, readable when logged); running items are aborted
 *   and the source is closed.
 * - `mode: 'settle'`: `ok({ values, errors, stats })`; `values` holds the outputs of the items that
 *   succeeded and `errors` the failed ones as `ItemFailedError`s, both in input order.
 * - `collect: false`: outputs are not kept; the outputs (or `values`) are `undefined`.
 * - `afterBatch({ batch, done })`: a checkpoint per `batchSize` items, in batch order (see
 *   {@link ProcessOptions.afterBatch}); an err from it stops the job and is returned as is.
 * - `signal` aborted → `err(CancelledError)`; the source's iterator throws → `err(UnexpectedError)`;
 *   bad options → `err(InvalidOptionsError)`. The source's `return()` is called whenever the job
 *   stops before reading it to the end.
 *
 * @example
 * const r = await processInBatches(readRows('users.csv'), (row, i, { signal }) => saveUser(row, signal), {
 *   concurrency: 16,
 *   batchSize: 1000,
 *   collect: false,
 *   afterBatch: ({ batch, done }) => saveCursor(batch, done),
 *   onProgress: ({ done, ratePerSec }) => console.log(done, ratePerSec),
 * })
 */
export function processInBatches<
  I,
  R extends ItemReturn,
  M extends BatchMode = 'fail-fast',
  C extends boolean = true,
  A extends CheckpointReturn = void,
>(
  items: Items<I>,
  fn: ItemFn<I, R>,
  opts: ProcessOptions<ItemErr<R>, M, C, A>,
): ResultAsync<BatchResult<ItemOk<R>, ItemErr<R>, M, C>, BatchError<ItemErr<R>, M, A>> {
  type Out = Result<BatchResult<ItemOk<R>, ItemErr<R>, M, C>, BatchError<ItemErr<R>, M, A>>
  return new ResultAsync(
    new Promise<Out>((resolve) => {
      runJob(items, fn as ItemCall<I>, opts, resolve as (r: Result<unknown, unknown>) => void)
    }),
  )
}

function runJob<I>(items: Items<I>, fn: ItemCall<I>, opts: unknown, resolve: (r: Result<unknown, unknown>) => void) {
  const checked = checkProcessOptions(items, fn, opts)
  if (checked instanceof InvalidOptionsError) return resolve(err(checked))
  const { signal } = checked
  if (signal?.aborted) return resolve(err(cancelledBy(signal)))
  let source: Source<I>
  try {
    source = openSource(checked.items)
  } catch (e) {
    return resolve(fromThrow(e))
  }
  new BatchRun(source, fn, checked, resolve).start()
}

/** One run of processInBatches: counts, outputs, and the single place the job ends. */
class BatchRun<I> {
  private readonly t0 = performance.now()
  private readonly failFast: boolean
  private readonly collect: boolean
  private readonly concurrency: number
  private readonly values: unknown[] = []
  private readonly errors: ItemFailedError[] = []
  private readonly controller = new AbortController()
  private readonly puller: Puller<I>
  private readonly run: RunItem<I, unknown, unknown>
  private progress: Progress | undefined
  private checkpoints: Checkpoints | undefined
  private detach: (() => void) | undefined
  private done = 0
  private failed = 0
  private ended = false
  private over = false

  constructor(
    private readonly source: Source<I>,
    fn: ItemCall<I>,
    private readonly opts: CheckedProcessOptions,
    private readonly resolve: (r: Result<unknown, unknown>) => void,
  ) {
    this.failFast = opts.mode !== 'settle'
    this.collect = opts.collect !== false
    this.concurrency = opts.concurrency
    this.run = itemRunner<I, unknown, unknown>(fn, opts, this.controller.signal)
    // An item holds its slot from its pull until it finishes.
    this.puller = new Puller<I>(source, {
      room: () => this.puller.pulled - this.done < this.concurrency,
      item: (item, index) => this.run(item, index, this.settleItem),
      end: (error) => this.sourceEnded(error),
      resume: () => this.puller.pump(),
    })
  }

  start(): void {
    const { signal, onProgress, afterBatch } = this.opts
    if (onProgress) {
      const total = this.source.size ?? this.opts.total
      const report = onProgress as (p: BatchProgress) => void
      this.progress = new Progress(report, this.opts.progressIntervalMs, total, this.t0)
    }
    if (afterBatch) {
      this.checkpoints = new Checkpoints(
        this.opts.batchSize ?? DEFAULT_BATCH_SIZE,
        afterBatch as CheckpointFn,
        () => this.done,
        (error) => this.stop(err(error)),
        () => this.maybeFinish(),
      )
    }
    if (signal) this.detach = onAbort(signal, () => this.stop(err(cancelledBy(signal))))
    this.puller.pump()
  }

  /** Bound once, handed to every item: no closure per item on the hot path. */
  private readonly settleItem = (index: number, r: ItemResult<unknown, unknown>): void => this.settle(index, r)

  private settle(index: number, r: ItemResult<unknown, unknown>): void {
    if (this.over) return
    this.done++
    if (r.isErr()) {
      this.failed++
      if (this.failFast) {
        this.stop(err(new ItemFailedError(index, r.error)))
        return
      }
      this.errors.push(new ItemFailedError(index, r.error))
    } else if (this.collect) {
      this.values[index] = r.value
    }
    const thrown = this.progress?.tick(this.done, this.failed)
    if (thrown) {
      this.stop(thrown)
      return
    }
    this.checkpoints?.itemDone(index)
    if (this.over) return
    this.puller.pump()
    this.maybeFinish()
  }

  private sourceEnded(error: UnexpectedError | undefined): void {
    if (error) {
      this.stop(err(error))
      return
    }
    this.ended = true
    this.checkpoints?.sourceEnded(this.puller.pulled)
    this.maybeFinish()
  }

  private maybeFinish(): void {
    if (this.over || !this.ended || this.done !== this.puller.pulled) return
    if (this.checkpoints && !this.checkpoints.settled) return
    this.stop(ok(this.output()))
  }

  private output(): unknown {
    const values = this.collect ? this.values : undefined
    if (this.failFast) return values
    const stats: BatchStats = {
      total: this.done,
      succeeded: this.done - this.failed,
      failed: this.failed,
      durationMs: performance.now() - this.t0,
    }
    const errors = this.errors.sort((a, b) => a.index - b.index)
    // Failed items left holes in `values`; filter() skips holes (but keeps ok(undefined) outputs).
    const dense = values && this.failed > 0 ? values.filter(() => true) : values
    return { values: dense, errors, stats } satisfies SettledBatch<unknown, unknown>
  }

  /** Ends the job exactly once: stops pulling, closes the source, aborts what still runs. */
  private stop(result: Result<unknown, unknown>): void {
    if (this.over) return
    this.over = true
    this.puller.stop()
    this.checkpoints?.stop()
    this.detach?.()
    if (this.done < this.puller.pulled) {
      const reason = result.isErr() && result.error instanceof CancelledError ? result.error : undefined
      this.controller.abort(reason ?? new CancelledError('the batch job stopped'))
    }
    const thrown = this.progress?.final(this.done, this.failed)
    this.resolve(thrown && result.isOk() ? thrown : result)
  }
}

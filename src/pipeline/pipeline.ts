import { err, ok, type Result, ResultAsync } from 'neverthrow'
import { InvalidOptionsError } from '../errors.js'
import { Channel } from '../internal/channel.js'
import { checkBoolean, readOptions } from '../internal/options.js'
import { type Items, openSource, type Source } from '../internal/source.js'
import { fromThrow } from '../internal/start.js'
import { checkPipelineOptions, normalizeStage, type RawStage } from './options.js'
import { type Outlet, PipelineRun } from './run.js'
import type { PipelineItem, StageSpec } from './stage.js'
import type {
  Pipeline,
  PipelineMetrics,
  PipelineMode,
  PipelineOptions,
  RunPipelineOptions,
  SettledPipeline,
  StageMetrics,
} from './types.js'

/**
 * Starts a pipeline over `source` (an array, Iterable or AsyncIterable, read lazily). Add
 * stages with `.stage()` (any function returning a Result form), `.pool()` (a worker-pool task)
 * and `.chunk()` (group into arrays); each returns a new pipeline whose input is the previous
 * stage's output, and whose error type adds `StageFailedError<name, error>` of the new stage.
 *
 * Each stage runs at its own pace, `concurrency` items at a time, with a bounded buffer of
 * `buffer` items in front of it. When a stage falls behind, the buffers before it fill and the
 * source is no longer read: the source is never read more than the sum over stages of
 * `buffer + concurrency` (`size` for a chunk stage) items, plus one waiting for the consumer,
 * ahead of what the consumer has taken.
 *
 * Consume it with `for await` (each output as `ok`, each failed item as `err(StageFailedError)`) or
 * with `run()`. An err in fail-fast mode, an aborted `signal`, or breaking out of the loop stops
 * every stage, aborts running items (`ctx.signal`), clears chunk timers and closes the source.
 * Nothing throws: bad options come back as `err(InvalidOptionsError)` naming the option, e.g.
 * `stages[1].concurrency`. Per-stage counters: `metrics()`, or `onProgress`. A synchronous
 * source feeding synchronous stages yields to the event loop every few thousand items, so even
 * an endless one can be stopped by `signal`.
 *
 * Errors: a failed item is a {@link StageFailedError} (`{ stage, index, error }`, readable when
 * logged), `stage` being the literal name of the stage, so a union of them narrows on `stage`. The pipeline's own errors
 * (the source threw, `signal`, bad options) are okflow's error classes.
 *
 * @example
 * const flow = pipeline(readLines('app.log'), { onProgress: (p) => console.table(p.stages) })
 *   .stage({ name: 'parse', concurrency: 2, fn: (line) => parseLine(line) })
 *   .chunk({ name: 'batch', size: 256, maxWaitMs: 50 })
 *   .pool({ name: 'hash', pool, task: 'hashBatch', concurrency: 2 })
 *   .stage({ name: 'write', fn: (summary, { signal }) => save(summary, signal) })
 * const r = await flow.run({ collect: false })
 * if (r.isErr()) console.error(r.error) // StageFailedError: Stage "parse" failed at index 41: … (stage: 'parse' | …)
 */
export function pipeline<I, M extends PipelineMode = 'fail-fast'>(
  source: Items<I>,
  opts: PipelineOptions<M> = {},
): Pipeline<I, never, M> {
  return new PipelineImpl(source, opts, []) as unknown as Pipeline<I, never, M>
}

type AnyResult = Result<unknown, unknown>

/** Opens a run: reads and checks every option (once), then opens the source. */
function prepare(source: Items<unknown>, opts: unknown, stages: readonly RawStage[]) {
  const checked = checkPipelineOptions(source, opts)
  if (checked instanceof InvalidOptionsError) return err(checked)
  const specs: StageSpec[] = []
  for (let i = 0; i < stages.length; i++) {
    const s = normalizeStage(stages[i] as RawStage, i)
    if (s instanceof InvalidOptionsError) return err(s)
    specs.push(s)
  }
  try {
    return ok({ specs, opts: checked.opts, source: openSource(checked.source) as Source<unknown> })
  } catch (e) {
    return fromThrow(e)
  }
}

class PipelineImpl {
  private latest: PipelineRun | undefined

  constructor(
    private readonly source: Items<unknown>,
    private readonly opts: unknown,
    private readonly stages: readonly RawStage[],
  ) {}

  stage(stage: unknown): PipelineImpl {
    return new PipelineImpl(this.source, this.opts, [...this.stages, { kind: 'fn', stage }])
  }
  pool(stage: unknown): PipelineImpl {
    return new PipelineImpl(this.source, this.opts, [...this.stages, { kind: 'pool', stage }])
  }
  chunk(stage: unknown): PipelineImpl {
    return new PipelineImpl(this.source, this.opts, [...this.stages, { kind: 'chunk', stage }])
  }

  metrics(): PipelineMetrics {
    if (this.latest) return this.latest.metrics()
    // Before the first run: zeros, with each stage's name and concurrency as it will run.
    const stages = this.stages.map((raw, i): StageMetrics => {
      const spec = normalizeStage(raw, i)
      const named = !(spec instanceof InvalidOptionsError)
      return {
        name: named ? spec.name : nameOf(raw.stage),
        kind: raw.kind,
        concurrency: named && spec.kind !== 'chunk' ? spec.concurrency : 1,
        in: 0,
        out: 0,
        failed: 0,
        running: 0,
        queued: 0,
        bufferHighWater: 0,
        busyMs: 0,
        utilization: 0,
      }
    })
    return { elapsedMs: 0, pulled: 0, done: 0, failed: 0, stages }
  }

  run(runOpts: RunPipelineOptions = {}): ResultAsync<unknown, unknown> {
    return new ResultAsync(
      new Promise<AnyResult>((resolve) => {
        const prepared = prepare(this.source, this.opts, this.stages)
        if (prepared.isErr()) return resolve(prepared)
        const r = readOptions('options', runOpts, ['collect'] as const)
        const bad = r instanceof InvalidOptionsError ? r : checkBoolean('collect', r.collect)
        if (bad) {
          prepared.value.source.close()
          return resolve(err(bad))
        }
        const { source, specs, opts } = prepared.value
        const collect = (r as { collect?: unknown }).collect !== false
        const settle = opts.mode === 'settle'
        const values: unknown[] = []
        const errors: unknown[] = []
        const t0 = performance.now()
        // The consumer here is instant, so the outlet always has room.
        const outlet: Outlet = {
          room: () => Number.POSITIVE_INFINITY,
          push: (item: PipelineItem) => {
            if (item.failed) errors.push(item.value)
            else if (collect) values.push(item.value)
          },
          end: (failure) => {
            if (failure) return resolve(failure)
            const out = collect ? values : undefined
            if (!settle) return resolve(ok(out))
            const stats = { done: values.length, failed: errors.length, durationMs: performance.now() - t0 }
            resolve(ok({ values: out, errors, stats } satisfies SettledPipeline<unknown, unknown>))
          },
        }
        const run = new PipelineRun(source, specs, opts, outlet)
        this.latest = run
        run.start()
      }),
    )
  }

  [Symbol.asyncIterator](): AsyncGenerator<AnyResult, void, undefined> {
    // One result waits in `queue` for the consumer; it keeps its place until the consumer asks
    // for the next one, so a slow consumer holds the whole pipeline back.
    const queue: PipelineItem[] = []
    let run: PipelineRun | undefined
    let only: AnyResult | undefined // bad options or a broken source: the one result
    let handedOut = false
    let ended = false
    let failure: AnyResult | undefined
    let over = false
    const outlet: Outlet = {
      room: () => 1 - queue.length,
      push: (item) => {
        queue.push(item)
        channel.notify()
      },
      end: (f) => {
        ended = true
        failure = f
        channel.notify()
      },
    }
    const channel = new Channel<AnyResult>({
      open: () => {
        const prepared = prepare(this.source, this.opts, this.stages)
        if (prepared.isErr()) {
          only = prepared
          return
        }
        const { source, specs, opts } = prepared.value
        run = new PipelineRun(source, specs, opts, outlet)
        this.latest = run
        run.start()
      },
      take: () => {
        if (over) return undefined
        if (only) {
          over = true
          return only
        }
        if (handedOut) {
          queue.shift()
          handedOut = false
          run?.drive()
        }
        const item = queue[0]
        if (item !== undefined) {
          handedOut = true
          return item.failed ? err(item.value) : ok(item.value)
        }
        if (!ended) return undefined
        over = true
        return failure
      },
      get ended() {
        return over
      },
      close: () => run?.stop(undefined),
    })
    return channel
  }
}

function nameOf(stage: unknown): string {
  try {
    return String((stage as { name?: unknown } | null)?.name)
  } catch {
    return 'undefined'
  }
}

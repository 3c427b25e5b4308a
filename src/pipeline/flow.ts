import { err, type Result } from 'neverthrow'
import { Progress } from '../batch/progress.js'
import type { Source } from '../batch/source.js'
import type { BatchProgress } from '../batch/types.js'
import { CancelledError, UnexpectedError } from '../errors.js'
import { cancelledBy, onAbort } from '../internal/abort.js'
import { fromThrow } from '../internal/start.js'
import {
  ChunkNode,
  type ChunkSpec,
  type Downstream,
  Envelope,
  type FlowHooks,
  type Node,
  WorkNode,
  type WorkSpec,
} from './nodes.js'
import type { PipelineMetrics, PipelineOptions } from './types.js'

const DEFAULT_PROGRESS_MS = 100
/** Hand-overs in one synchronous pass before yielding to the event loop. */
const SLICE = 4096

/** Where results leave the pipeline: `run()` collects them, the async iterator queues one for its consumer. */
export interface Sink extends Downstream {
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
export class Flow implements FlowHooks {
  readonly failFast: boolean
  readonly ordered: boolean
  readonly startedAt = performance.now()
  clock = this.startedAt
  private readonly controller = new AbortController()
  readonly signal: AbortSignal = this.controller.signal
  readonly nodes: Node[]
  stopped = false
  private sourceDone = false
  private pulling = false
  private driving = false
  private resume: ReturnType<typeof setImmediate> | undefined
  private again = false
  private moves = 0
  private pulled = 0
  private done = 0
  private failed = 0
  private progress: Progress | undefined
  private detach: (() => void) | undefined
  private readonly out: Downstream
  /** links[i]: where stage i hands its outputs, counting each hand-over as a move (drive loops until none). */
  private readonly links: Downstream[]

  constructor(
    private readonly source: Source<unknown>,
    specs: readonly (WorkSpec | ChunkSpec)[],
    private readonly opts: PipelineOptions,
    private readonly sink: Sink,
  ) {
    this.failFast = opts.mode !== 'settle'
    this.ordered = opts.ordered !== false
    this.nodes = specs.map((s) => (s.kind === 'chunk' ? new ChunkNode(s, this) : new WorkNode(s, this)))
    // Counts what reaches the consumer, for progress and metrics.
    this.out = {
      room: () => sink.room(),
      push: (env) => {
        if (env.failed) this.failed++
        else this.done++
        sink.push(env)
        this.tick()
      },
    }
    this.links = this.nodes.map((_, i) => {
      const next = this.nodes[i + 1] ?? this.out
      return {
        room: () => next.room(),
        push: (env: Envelope) => {
          this.moves++
          next.push(env)
        },
      }
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
      this.progress = new Progress(
        report,
        this.opts.progressIntervalMs ?? DEFAULT_PROGRESS_MS,
        undefined,
        this.startedAt,
      )
    }
    this.drive()
  }

  drive(): void {
    if (this.stopped) return
    if (this.driving) {
      this.again = true
      return
    }
    this.driving = true
    const start = this.moves
    try {
      do {
        // A synchronous source feeding synchronous stages would otherwise run to its end (or
        // forever) in one go, and no signal, timer or consumer could get a word in.
        if (this.moves - start > SLICE) {
          this.resume ??= setImmediate(this.resumeDrive)
          return
        }
        this.clock = performance.now()
        this.again = false
        const before = this.moves
        let upstreamDone = this.sourceDone
        const nodes = this.nodes
        for (let i = 0; i < nodes.length && !this.stopped; i++) {
          const node = nodes[i] as Node
          node.step(this.links[i] as Downstream, upstreamDone)
          upstreamDone = node.finished(upstreamDone)
        }
        if (this.stopped) return
        if (upstreamDone) {
          this.stop(undefined)
          return
        }
        this.pump()
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
    for (const node of this.nodes) {
      running += node.running
      node.stop()
    }
    this.source.close() // a no-op when the source ended by itself
    if (running > 0) {
      const reason = result?.isErr() && result.error instanceof CancelledError ? result.error : undefined
      this.controller.abort(reason ?? new CancelledError('the pipeline stopped'))
    }
    const thrown = this.progress?.final(this.done, this.failed) // always reported, even after an error
    this.sink.end(result ?? thrown)
  }

  metrics(): PipelineMetrics {
    const now = performance.now()
    return {
      elapsedMs: now - this.startedAt,
      pulled: this.pulled,
      done: this.done,
      failed: this.failed,
      stages: this.nodes.map((n) => n.metrics(now)),
    }
  }

  private tick(): void {
    if (!this.progress) return
    try {
      this.progress.tick(this.done, this.failed)
    } catch (e) {
      this.stop(fromThrow(e))
    }
  }

  /** Reads the source while the first stage has room; one pull at a time for async sources. */
  private pump(): void {
    const first = this.nodes[0] ?? this.out
    const source = this.source
    while (!this.sourceDone && !this.pulling && !this.stopped && first.room() > 0) {
      let r: IteratorResult<unknown> | PromiseLike<IteratorResult<unknown>>
      try {
        r = source.pull()
      } catch (e) {
        this.sourceFailed(e)
        return
      }
      if (source.async) {
        this.pulling = true
        ;(r as PromiseLike<IteratorResult<unknown>>).then(this.onPulled, this.onPullFailed)
        return
      }
      this.take(r as IteratorResult<unknown>, first)
    }
  }

  private take(r: IteratorResult<unknown>, first: Downstream): void {
    this.moves++
    if (r.done) this.sourceDone = true
    else first.push(new Envelope(this.pulled++, r.value))
  }

  private readonly onPulled = (r: IteratorResult<unknown>): void => {
    this.pulling = false
    if (this.stopped) return
    this.take(r, this.nodes[0] ?? this.out)
    this.drive()
  }

  private readonly onPullFailed = (e: unknown): void => {
    this.pulling = false
    this.sourceFailed(e)
  }

  // The source broke: nothing more can come, so the run ends with its error (as in processInBatches).
  private sourceFailed(e: unknown): void {
    this.sourceDone = true
    this.stop(err(e instanceof UnexpectedError ? e : UnexpectedError.from(e)))
  }
}

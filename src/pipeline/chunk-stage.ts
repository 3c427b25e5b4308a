import { type ChunkStageSpec, type Downstream, PipelineItem, type RunHooks, type StageRun } from './stage.js'
import type { StageMetrics } from './types.js'

/**
 * A chunk stage: fills one array up to `size`, then holds it (taking nothing more) until
 * downstream has room. A partial array goes out `maxWaitMs` after its first item, and at the
 * end of the stream. Failed items (settle mode) go out on their own, after the items before them.
 */
export class ChunkStageRun implements StageRun {
  readonly running = 0
  private current: unknown[] = []
  private readonly ready: PipelineItem[] = []
  private chunks = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private count = { in: 0, out: 0, highWater: 0 }

  constructor(
    private readonly spec: ChunkStageSpec,
    private readonly owner: RunHooks,
  ) {}

  room(): number {
    return this.ready.length > 0 ? 0 : this.spec.size - this.current.length
  }

  push(item: PipelineItem): void {
    if (item.failed) {
      this.flush()
      this.ready.push(item)
      return
    }
    this.count.in++
    this.current.push(item.value)
    if (this.current.length > this.count.highWater) this.count.highWater = this.current.length
    if (this.current.length >= this.spec.size) this.flush()
    else if (this.current.length === 1 && this.spec.maxWaitMs !== undefined) {
      this.timer = setTimeout(this.onTimer, this.spec.maxWaitMs)
    }
  }

  step(next: Downstream, upstreamDone: boolean): void {
    if (upstreamDone) this.flush()
    while (this.ready.length > 0 && next.room() > 0 && !this.owner.stopped) {
      const item = this.ready.shift() as PipelineItem
      if (!item.failed) this.count.out++
      next.push(item)
    }
  }

  finished(upstreamDone: boolean): boolean {
    return upstreamDone && this.current.length === 0 && this.ready.length === 0
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  metrics(): StageMetrics {
    const c = this.count
    return {
      name: this.spec.name,
      kind: 'chunk',
      concurrency: 1,
      in: c.in,
      out: c.out,
      failed: 0,
      running: 0,
      queued: this.current.length,
      bufferHighWater: c.highWater,
      busyMs: 0,
      utilization: 0,
    }
  }

  private readonly onTimer = (): void => {
    this.timer = undefined
    this.flush()
    this.owner.drive()
  }

  private flush(): void {
    if (this.current.length === 0) return
    this.stop()
    this.ready.push(new PipelineItem(this.chunks++, this.current))
    this.current = []
  }
}

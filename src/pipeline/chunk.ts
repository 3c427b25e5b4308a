import { err, type Result } from 'neverthrow'
import { type CancelledError, InvalidOptionsError, type UnexpectedError } from '../errors.js'
import type { Items } from '../internal/source.js'
import { readChunkOptions } from './options.js'
import { pipeline } from './pipeline.js'

/** Options of `chunk`. */
export interface ChunkOptions {
  /** Most items per chunk (an integer >= 1). */
  readonly size: number
  /** Emit a partial chunk this long after its first item arrived (default: never). */
  readonly maxWaitMs?: number | undefined
  /** Aborting it ends the stream with one `err(CancelledError)` and closes the source. */
  readonly signal?: AbortSignal | undefined
}

/** Errors `chunk` can yield: the source threw, `signal` aborted, bad options. */
export type ChunkError = UnexpectedError | CancelledError | InvalidOptionsError

/**
 * Groups a stream into arrays of at most `size` items, in order. A partial array is emitted
 * `maxWaitMs` after its first item arrived, so a slow stream still flows, and at the end of the
 * stream. For bulk work: one pool task or one bulk write per chunk amortises per-call overhead.
 * Backpressure: at most one array is filled ahead of the consumer. Breaking out of the loop
 * closes the source and clears the timer. Never throws: problems are yielded as one err, last.
 * Inside a pipeline, use the `.chunk({ name, size, maxWaitMs })` stage instead.
 *
 * @example
 * for await (const r of chunk(readRows(), { size: 500, maxWaitMs: 100 })) {
 *   if (r.isErr()) break
 *   await db.insertMany(r.value)
 * }
 */
export async function* chunk<T>(
  source: Items<T>,
  opts: ChunkOptions,
): AsyncGenerator<Result<T[], ChunkError>, void, undefined> {
  const o = readChunkOptions(opts)
  if (o instanceof InvalidOptionsError) {
    yield err(o)
    return
  }
  const { size, maxWaitMs, signal } = o
  yield* pipeline(source, { signal }).chunk({ name: 'chunk', size, maxWaitMs })
}

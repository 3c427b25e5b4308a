import { availableParallelism } from 'node:os'
import { InvalidOptionsError } from '../errors.js'
import { readItemRetry } from '../internal/item.js'
import {
  checkBoolean,
  checkFunction,
  checkMode,
  checkMs,
  checkSignal,
  checkSize,
  firstError,
  readOptions,
} from '../internal/options.js'
import { type Inspected, inspectItems } from '../internal/source.js'
import type { ChunkStageSpec, StageSpec, WorkStageSpec } from './stage.js'
import type { PipelineOptions, StageContext } from './types.js'

/** A stage as the user described it, tagged by the builder method that added it. */
export type RawStage = { readonly kind: 'fn' | 'pool' | 'chunk'; readonly stage: unknown }

const PIPELINE_KEYS = ['ordered', 'mode', 'signal', 'onProgress', 'progressIntervalMs'] as const

/** The source and the options of `pipeline()`, read once and checked. */
export interface CheckedPipeline {
  readonly source: Inspected
  readonly opts: PipelineOptions
}

/** Reads (once) and checks the source and the options of `pipeline()`. */
export function checkPipelineOptions(source: unknown, opts: unknown): CheckedPipeline | InvalidOptionsError {
  const inspected = inspectItems(source, 'source')
  if (inspected instanceof InvalidOptionsError) return inspected
  const o = readOptions('options', opts, PIPELINE_KEYS)
  if (o instanceof InvalidOptionsError) return o
  const bad = firstError(
    checkBoolean('ordered', o.ordered),
    checkMode('mode', o.mode),
    checkSignal('signal', o.signal),
    checkFunction('onProgress', o.onProgress),
    checkMs('progressIntervalMs', o.progressIntervalMs),
  )
  return bad ?? { source: inspected, opts: o as PipelineOptions }
}

const CHUNK_KEYS = ['name', 'size', 'maxWaitMs', 'signal'] as const

/** Checks `size` and `maxWaitMs` of a chunk; `prefix` names where they are (`stages[2].`, or none for `chunk()`). */
export function checkChunk(
  prefix: string,
  o: { size?: unknown; maxWaitMs?: unknown },
): InvalidOptionsError | undefined {
  return firstError(
    checkSize(`${prefix}size`, o.size, 1),
    o.maxWaitMs === Number.POSITIVE_INFINITY ? undefined : checkMs(`${prefix}maxWaitMs`, o.maxWaitMs),
  )
}

/** Reads (once) and checks the options of `chunk()`. */
export function readChunkOptions(
  opts: unknown,
): { size: number; maxWaitMs?: number; signal?: AbortSignal } | InvalidOptionsError {
  const o =
    opts === undefined
      ? new InvalidOptionsError('options', opts, 'an object')
      : readOptions('options', opts, CHUNK_KEYS)
  if (o instanceof InvalidOptionsError) return o
  const bad = firstError(checkChunk('', o), checkSignal('signal', o.signal))
  return bad ?? (o as { size: number; maxWaitMs?: number; signal?: AbortSignal })
}

const STAGE_KEYS = [
  'name',
  'fn',
  'concurrency',
  'buffer',
  'timeoutMs',
  'retry',
  'pool',
  'task',
  'transfer',
  'size',
  'maxWaitMs',
] as const

/** Checks one stage and fills in its defaults; errors name it as `stages[i].option`. */
export function normalizeStage(raw: RawStage, i: number): StageSpec | InvalidOptionsError {
  const s = raw.stage
  if (typeof s !== 'object' || s === null) return new InvalidOptionsError(`stages[${i}]`, s, 'a stage object')
  const o = readOptions(`stages[${i}]`, s, STAGE_KEYS, `stages[${i}].`)
  if (o instanceof InvalidOptionsError) return o
  return checkStage(raw.kind, o, i)
}

function checkStage(
  kind: RawStage['kind'],
  o: { [K in (typeof STAGE_KEYS)[number]]?: unknown },
  i: number,
): StageSpec | InvalidOptionsError {
  const p = `stages[${i}].`
  if (typeof o.name !== 'string') return new InvalidOptionsError(`${p}name`, o.name, 'a string')
  const name = o.name
  if (kind === 'chunk') {
    const bad = checkChunk(p, o)
    if (bad) return bad
    const maxWaitMs = o.maxWaitMs === Number.POSITIVE_INFINITY ? undefined : (o.maxWaitMs as number | undefined)
    return { kind: 'chunk', name, size: o.size as number, maxWaitMs } satisfies ChunkStageSpec
  }
  // Finite on purpose: an unbounded stage would read the whole source ahead, defeating backpressure.
  // Pool stages: see PoolStage.concurrency for why 4 per CPU.
  const defaultConcurrency = kind === 'pool' ? 4 * Math.max(1, availableParallelism()) : 1
  const concurrency = o.concurrency === undefined ? defaultConcurrency : o.concurrency
  const buffer = o.buffer === undefined ? concurrency : o.buffer
  const bad = firstError(
    checkSize(`${p}concurrency`, concurrency, 1),
    checkSize(`${p}buffer`, buffer, 0),
    checkMs(`${p}timeoutMs`, o.timeoutMs),
  )
  if (bad) return bad
  const common = { name, concurrency: concurrency as number, buffer: buffer as number }
  if (kind === 'fn') {
    const retry = readItemRetry(o.retry, `${p}retry.`)
    const bad = firstError(
      checkFunction(`${p}fn`, o.fn, false),
      retry instanceof InvalidOptionsError ? retry : undefined,
    )
    if (bad) return bad
    return {
      kind: 'fn',
      ...common,
      fn: o.fn as WorkStageSpec['fn'],
      timeoutMs: o.timeoutMs as number | undefined,
      retry: retry as WorkStageSpec['retry'],
    }
  }
  const pool = o.pool as { run?: unknown } | null | undefined
  let poolRun: unknown
  try {
    poolRun = typeof pool === 'object' && pool !== null ? pool.run : undefined
  } catch {
    poolRun = undefined // a Proxy or a throwing getter: not a pool
  }
  if (typeof poolRun !== 'function') return new InvalidOptionsError(`${p}pool`, o.pool, 'a pool from createWorkerPool')
  if (typeof o.task !== 'string') return new InvalidOptionsError(`${p}task`, o.task, 'a task name')
  const bad2 = checkFunction(`${p}transfer`, o.transfer)
  if (bad2) return bad2
  type Run = (task: string, input: unknown, opts: object) => unknown
  const run = (poolRun as Run).bind(pool)
  const task = o.task
  const transfer = o.transfer as ((input: unknown) => readonly unknown[]) | undefined
  const timeoutMs = o.timeoutMs as number | undefined
  // The pool applies the timeout itself (its TimeoutError is labelled with the task name).
  const fn = transfer
    ? (item: unknown, ctx: StageContext) => run(task, item, { signal: ctx.signal, timeoutMs, transfer: transfer(item) })
    : (item: unknown, ctx: StageContext) => run(task, item, { signal: ctx.signal, timeoutMs })
  return { kind: 'pool', ...common, fn }
}

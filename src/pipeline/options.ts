import { availableParallelism } from 'node:os'
import { checkItems } from '../batch/source.js'
import { InvalidOptionsError } from '../errors.js'
import { checkFunction, checkInteger, checkMs, checkSignal, firstError } from '../internal/options.js'
import { checkRetryOptions } from '../internal/retry.js'
import type { ChunkSpec, WorkSpec } from './nodes.js'
import type { StageContext } from './types.js'

/** A stage as the user described it, tagged by the builder method that added it. */
export type RawStage = { readonly kind: 'fn' | 'pool' | 'chunk'; readonly stage: unknown }

const MODES: readonly unknown[] = ['fail-fast', 'settle']

function checkBoolean(option: string, value: unknown): InvalidOptionsError | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined
  return new InvalidOptionsError(option, value, 'a boolean')
}

/** Checks the source and the options of `pipeline()`. */
export function checkPipelineOptions(source: unknown, opts: unknown): InvalidOptionsError | undefined {
  const bad = checkItems(source)
  if (bad) return new InvalidOptionsError('source', source, 'an array, an Iterable or an AsyncIterable')
  if (typeof opts !== 'object' || opts === null) return new InvalidOptionsError('options', opts, 'an object')
  const o = opts as Record<string, unknown>
  return firstError(
    checkBoolean('ordered', o.ordered),
    o.mode === undefined || MODES.includes(o.mode)
      ? undefined
      : new InvalidOptionsError('mode', o.mode, '"fail-fast" or "settle"'),
    checkSignal('signal', o.signal),
    checkFunction('onProgress', o.onProgress),
    checkMs('progressIntervalMs', o.progressIntervalMs),
  )
}

/** Checks `size` and `maxWaitMs` of a chunk; `prefix` names where they are (`stages[2].`, or none for `chunk()`). */
export function checkChunk(prefix: string, o: Record<string, unknown>): InvalidOptionsError | undefined {
  return firstError(
    checkInteger(`${prefix}size`, o.size, 1),
    o.maxWaitMs === Number.POSITIVE_INFINITY ? undefined : checkMs(`${prefix}maxWaitMs`, o.maxWaitMs),
  )
}

/** Checks one stage and fills in its defaults; errors name it as `stages[i].option`. */
export function normalizeStage(raw: RawStage, i: number): WorkSpec | ChunkSpec | InvalidOptionsError {
  const p = `stages[${i}].`
  const s = raw.stage
  if (typeof s !== 'object' || s === null) return new InvalidOptionsError(`stages[${i}]`, s, 'a stage object')
  const o = s as Record<string, unknown>
  if (typeof o.name !== 'string') return new InvalidOptionsError(`${p}name`, o.name, 'a string')
  const name = o.name
  if (raw.kind === 'chunk') {
    const bad = checkChunk(p, o)
    if (bad) return bad
    const maxWaitMs = o.maxWaitMs === Number.POSITIVE_INFINITY ? undefined : (o.maxWaitMs as number | undefined)
    return { kind: 'chunk', name, size: o.size as number, maxWaitMs }
  }
  // Finite on purpose: an unbounded stage would read the whole source ahead, defeating backpressure.
  // Pool stages: see PoolStage.concurrency for why 4 per CPU.
  const defaultConcurrency = raw.kind === 'pool' ? 4 * Math.max(1, availableParallelism()) : 1
  const concurrency = o.concurrency ?? defaultConcurrency
  const buffer = o.buffer ?? concurrency
  const bad = firstError(
    checkInteger(`${p}concurrency`, concurrency, 1),
    checkInteger(`${p}buffer`, buffer, 0),
    checkMs(`${p}timeoutMs`, o.timeoutMs),
  )
  if (bad) return bad
  const common = { name, concurrency: concurrency as number, buffer: buffer as number }
  if (raw.kind === 'fn') {
    const bad = firstError(
      checkFunction(`${p}fn`, o.fn, false),
      o.retry === undefined ? undefined : checkRetryOptions(o.retry, `${p}retry.`),
    )
    if (bad) return bad
    return {
      kind: 'fn',
      ...common,
      fn: o.fn as WorkSpec['fn'],
      timeoutMs: o.timeoutMs as number | undefined,
      retry: o.retry as WorkSpec['retry'],
    }
  }
  const pool = o.pool as { run?: unknown } | null | undefined
  if (typeof pool !== 'object' || pool === null || typeof pool.run !== 'function') {
    return new InvalidOptionsError(`${p}pool`, o.pool, 'a pool from createWorkerPool')
  }
  if (typeof o.task !== 'string') return new InvalidOptionsError(`${p}task`, o.task, 'a task name')
  const bad2 = checkFunction(`${p}transfer`, o.transfer)
  if (bad2) return bad2
  type Run = (task: string, input: unknown, opts: object) => unknown
  const run = (pool.run as Run).bind(pool)
  const task = o.task
  const transfer = o.transfer as ((input: unknown) => readonly unknown[]) | undefined
  const timeoutMs = o.timeoutMs as number | undefined
  // The pool applies the timeout itself (its TimeoutError is labelled with the task name).
  const fn = transfer
    ? (item: unknown, ctx: StageContext) => run(task, item, { signal: ctx.signal, timeoutMs, transfer: transfer(item) })
    : (item: unknown, ctx: StageContext) => run(task, item, { signal: ctx.signal, timeoutMs })
  return { kind: 'pool', ...common, fn }
}

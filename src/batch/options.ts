import { InvalidOptionsError } from '../errors.js'
import { type ItemRetry, readItemRetry } from '../internal/item.js'
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
import type { Mode } from '../types.js'

const COMMON_KEYS = ['concurrency', 'signal', 'timeoutMs', 'retry'] as const
// Written out, not spread from COMMON_KEYS: a top-level spread is code a bundler must keep.
const PROCESS_KEYS = [
  'concurrency',
  'signal',
  'timeoutMs',
  'retry',
  'batchSize',
  'mode',
  'collect',
  'total',
  'progressIntervalMs',
  'onProgress',
  'afterBatch',
] as const
const STREAM_KEYS = ['concurrency', 'signal', 'timeoutMs', 'retry', 'ordered', 'withIndex'] as const

/** Options shared by processInBatches and mapStream, as read (once) and checked. */
export interface CommonOptions {
  readonly items: Inspected
  readonly concurrency: number
  readonly signal: AbortSignal | undefined
  readonly timeoutMs: number | undefined
  readonly retry: ItemRetry<never> | undefined
}

/** Every option of processInBatches, checked. */
export interface CheckedProcessOptions extends CommonOptions {
  readonly batchSize: number | undefined
  readonly mode: Mode | undefined
  readonly collect: boolean | undefined
  readonly total: number | undefined
  readonly progressIntervalMs: number | undefined
  readonly onProgress: ((p: never) => void) | undefined
  readonly afterBatch: ((c: never) => unknown) | undefined
}

/** Every option of mapStream, checked. */
export interface CheckedStreamOptions extends CommonOptions {
  readonly ordered: boolean | undefined
  readonly withIndex: boolean | undefined
}

function checkCommon(
  items: unknown,
  fn: unknown,
  o: { [K in (typeof COMMON_KEYS)[number]]?: unknown },
): InvalidOptionsError | { items: Inspected; retry: ItemRetry<never> | undefined } {
  const inspected = inspectItems(items)
  // Required: a lazy source with no bound would be read to its end at once.
  const concurrency =
    o.concurrency === undefined
      ? new InvalidOptionsError('concurrency', undefined, 'an integer >= 1, or Infinity')
      : checkSize('concurrency', o.concurrency, 1, true)
  const retry = readItemRetry(o.retry, 'retry.')
  const bad = firstError(
    inspected instanceof InvalidOptionsError ? inspected : undefined,
    checkFunction('fn', fn, false),
    concurrency,
    checkSignal('signal', o.signal),
    checkMs('timeoutMs', o.timeoutMs),
    retry instanceof InvalidOptionsError ? retry : undefined,
  )
  return bad ?? { items: inspected as Inspected, retry: retry as ItemRetry<never> | undefined }
}

/** Reads (once) and checks every option of processInBatches. */
export function checkProcessOptions(
  items: unknown,
  fn: unknown,
  opts: unknown,
): CheckedProcessOptions | InvalidOptionsError {
  // Required, unlike mapStream's: there is no default concurrency, so nothing to do without it.
  const o =
    opts === undefined
      ? new InvalidOptionsError('options', opts, 'an object')
      : readOptions('options', opts, PROCESS_KEYS)
  if (o instanceof InvalidOptionsError) return o
  const common = checkCommon(items, fn, o)
  if (common instanceof InvalidOptionsError) return common
  const bad = firstError(
    o.batchSize === undefined ? undefined : checkSize('batchSize', o.batchSize, 1),
    checkMode('mode', o.mode),
    checkBoolean('collect', o.collect),
    o.total === undefined || (Number.isSafeInteger(o.total) && (o.total as number) >= 0)
      ? undefined
      : new InvalidOptionsError('total', o.total, 'a safe integer >= 0'),
    checkMs('progressIntervalMs', o.progressIntervalMs),
    checkFunction('onProgress', o.onProgress),
    checkFunction('afterBatch', o.afterBatch),
  )
  if (bad) return bad
  return { ...o, ...common } as CheckedProcessOptions
}

/** Reads (once) and checks every option of mapStream; omitted options fail on `concurrency`. */
export function checkStreamOptions(
  items: unknown,
  fn: unknown,
  opts: unknown,
): CheckedStreamOptions | InvalidOptionsError {
  const o = readOptions('options', opts, STREAM_KEYS)
  if (o instanceof InvalidOptionsError) return o
  const common = checkCommon(items, fn, o)
  if (common instanceof InvalidOptionsError) return common
  const bad = firstError(checkBoolean('ordered', o.ordered), checkBoolean('withIndex', o.withIndex))
  if (bad) return bad
  return { ...o, ...common } as CheckedStreamOptions
}

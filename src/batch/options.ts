import { InvalidOptionsError } from '../errors.js'
import { checkConcurrency, checkFunction, checkInteger, checkMs, checkSignal, firstError } from '../internal/options.js'
import { checkRetryOptions } from '../internal/retry.js'
import { checkItems } from './source.js'

/** Options shared by processInBatches and mapStream: items, fn, concurrency, signal, timeout, retry. */
export function checkCommon(items: unknown, fn: unknown, opts: unknown): InvalidOptionsError | undefined {
  if (typeof opts !== 'object' || opts === null) return new InvalidOptionsError('options', opts, 'an object')
  const o = opts as Record<string, unknown>
  // Required: a lazy source with no bound would be read to its end at once.
  const concurrency =
    o.concurrency === undefined
      ? new InvalidOptionsError('concurrency', undefined, 'an integer >= 1, or Infinity')
      : checkConcurrency('concurrency', o.concurrency)
  return firstError(
    checkItems(items),
    checkFunction('fn', fn, false),
    concurrency,
    checkSignal('signal', o.signal),
    checkMs('timeoutMs', o.timeoutMs),
    o.retry === undefined ? undefined : checkRetryOptions(o.retry, 'retry.'),
  )
}

const MODES: readonly unknown[] = ['fail-fast', 'settle']

function checkBoolean(option: string, value: unknown): InvalidOptionsError | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined
  return new InvalidOptionsError(option, value, 'a boolean')
}

/** Every option of processInBatches. */
export function checkProcessOptions(items: unknown, fn: unknown, opts: unknown): InvalidOptionsError | undefined {
  const common = checkCommon(items, fn, opts)
  if (common) return common
  const o = opts as Record<string, unknown>
  return firstError(
    o.batchSize === undefined ? undefined : checkInteger('batchSize', o.batchSize, 1),
    o.mode === undefined || MODES.includes(o.mode)
      ? undefined
      : new InvalidOptionsError('mode', o.mode, '"fail-fast" or "settle"'),
    checkBoolean('collect', o.collect),
    o.total === undefined ? undefined : checkInteger('total', o.total, 0),
    checkMs('progressIntervalMs', o.progressIntervalMs),
    checkFunction('onProgress', o.onProgress),
    checkFunction('afterBatch', o.afterBatch),
  )
}

/** Every option of mapStream. */
export function checkStreamOptions(items: unknown, fn: unknown, opts: unknown): InvalidOptionsError | undefined {
  return firstError(checkCommon(items, fn, opts), checkBoolean('ordered', (opts as { ordered?: unknown }).ordered))
}

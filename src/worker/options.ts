import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { InvalidOptionsError } from '../errors.js'
import { checkInteger, checkMs, firstError } from '../internal/options.js'

/** Memory and stack limits of each worker thread (see `worker_threads` `resourceLimits`). */
export interface WorkerResourceLimits {
  /** Size of the main heap; a task that needs more crashes its thread (`WorkerCrashedError`). */
  maxOldGenerationSizeMb?: number | undefined
  /** Size of the heap space for recently created objects. */
  maxYoungGenerationSizeMb?: number | undefined
  /** Size of the pre-allocated memory range for generated code. */
  codeRangeSizeMb?: number | undefined
  /** Default maximum stack size of the thread. */
  stackSizeMb?: number | undefined
}

/** Options of `createWorkerPool`. */
export interface WorkerPoolOptions {
  /** Threads kept alive even when idle (default 0: threads start on demand). */
  minThreads?: number | undefined
  /** Most threads, hence most tasks running at once (default `os.availableParallelism()`). */
  maxThreads?: number | undefined
  /** An idle thread above `minThreads` is stopped after this long (default 10 000 ms). */
  idleTimeoutMs?: number | undefined
  /** Most tasks waiting for a thread; one more gets `QueueFullError` at once (default Infinity). */
  maxQueue?: number | undefined
  /** Memory limits of each thread. */
  resourceLimits?: WorkerResourceLimits | undefined
}

/** Options after checking, with defaults filled in. */
export interface CheckedOptions {
  readonly filename: string
  readonly minThreads: number
  readonly maxThreads: number
  readonly idleTimeoutMs: number
  readonly maxQueue: number
  readonly resourceLimits: WorkerResourceLimits | undefined
}

const LIMITS = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'] as const

/** A URL, a `file:` URL string or a path, as an absolute path. */
function toPath(file: unknown): string | undefined {
  try {
    if (file instanceof URL) return file.protocol === 'file:' ? fileURLToPath(file) : undefined
    if (typeof file !== 'string' || file === '') return undefined
    return file.startsWith('file:') ? fileURLToPath(file) : resolve(file)
  } catch {
    return undefined
  }
}

function checkLimits(value: unknown): InvalidOptionsError | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null) {
    return new InvalidOptionsError('resourceLimits', value, 'an object of limits in MB')
  }
  for (const key of LIMITS) {
    const v = (value as Record<string, unknown>)[key]
    if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) {
      return new InvalidOptionsError(`resourceLimits.${key}`, v, 'a number of MB > 0')
    }
  }
  return undefined
}

/** Checks the module and the options of a pool; the error names the first bad option. */
export function checkPoolOptions(file: unknown, opts: WorkerPoolOptions): CheckedOptions | InvalidOptionsError {
  if (typeof opts !== 'object' || opts === null) return new InvalidOptionsError('options', opts, 'an object')
  const filename = toPath(file)
  // A missing module would otherwise only show up as threads failing to start.
  if (filename === undefined || !existsSync(filename)) {
    return new InvalidOptionsError('filename', file, 'a URL or path of an existing worker module')
  }
  const { minThreads = 0, maxThreads = availableParallelism(), idleTimeoutMs = 10_000 } = opts
  const maxQueue = opts.maxQueue ?? Number.POSITIVE_INFINITY
  const bad = firstError(
    checkInteger('minThreads', minThreads, 0),
    checkInteger('maxThreads', maxThreads, 1),
    checkMs('idleTimeoutMs', idleTimeoutMs),
    maxQueue === Number.POSITIVE_INFINITY ? undefined : checkInteger('maxQueue', maxQueue, 0),
    checkLimits(opts.resourceLimits),
  )
  if (bad) return bad
  if (minThreads > maxThreads) {
    return new InvalidOptionsError('minThreads', minThreads, `an integer <= maxThreads (${maxThreads})`)
  }
  return { filename, minThreads, maxThreads, idleTimeoutMs, maxQueue, resourceLimits: opts.resourceLimits }
}

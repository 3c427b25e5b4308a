import { statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { InvalidOptionsError } from '../errors.js'
import { checkFunction, checkInteger, checkMs, firstError } from '../internal/options.js'

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
  /**
   * A thread that has not loaded the tasks module after this long is stopped and counts as a
   * failed start (default 60 000 ms; after 5 failed starts in a row runs fail with `WorkerCrashedError`).
   */
  startTimeoutMs?: number | undefined
  /**
   * Record where each `pool.run` was called, so a task's error shows the caller's frame (default
   * true). Capturing that frame is the largest per-run cost on the main thread (~1–5 µs): turn it
   * off for floods of tiny tasks.
   */
  callSites?: boolean | undefined
}

/** The `types` option of `createWorkerPool` (beside `WorkerPoolOptions`). */
export interface WorkerPoolTypes<T> {
  /**
   * For the types only, never called: `() => import('./tasks.js')` types the pool from the tasks
   * module without a generic argument — what JavaScript (checkJs) users can write instead of a
   * JSDoc cast.
   */
  types?: (() => PromiseLike<{ readonly default: T }>) | undefined
}

/** Options after checking, with defaults filled in. */
export interface CheckedOptions {
  readonly filename: string
  readonly minThreads: number
  readonly maxThreads: number
  readonly idleTimeoutMs: number
  readonly maxQueue: number
  readonly resourceLimits: WorkerResourceLimits | undefined
  readonly startTimeoutMs: number
  readonly callSites: boolean
  /** The tasks module as a `file:` URL. */
  readonly url: string
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

/** More threads than this is a mistake (each one is an isolate of its own), not a pool size. */
const MAX_THREADS = 1024

function checkThreads(option: string, value: unknown, min: number): InvalidOptionsError | undefined {
  const bad = checkInteger(option, value, min)
  if (bad || (value as number) <= MAX_THREADS) return bad
  return new InvalidOptionsError(option, value, `an integer from ${min} to ${MAX_THREADS}`)
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

/**
 * Reads a user's options object once, inside a guard: a non-object, a Proxy or a throwing getter
 * is an `InvalidOptionsError` for `options`, never a throw.
 */
export function readOptions<R>(
  value: unknown,
  expected: string,
  read: (o: object) => R | InvalidOptionsError,
): R | InvalidOptionsError {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new InvalidOptionsError('options', value, expected)
  }
  try {
    return read(value)
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    return new InvalidOptionsError(
      'options',
      value,
      `${expected} whose properties can be read (reading one threw: ${why})`,
    )
  }
}

const TS_MODULE = /\.[cm]?tsx?$/i
// Flags through which a thread (it inherits execArgv and NODE_OPTIONS) can load TypeScript.
const TS_FLAGS =
  /(^|\s)(--import|--loader|--experimental-loader|--require|-r|--experimental-strip-types|--experimental-transform-types)\b/

/** Whether a worker thread of this process can import a `.ts` module. */
function threadsLoadTypeScript(): boolean {
  if ((process.features as { typescript?: unknown }).typescript) return true
  return process.execArgv.some((a) => TS_FLAGS.test(a)) || TS_FLAGS.test(process.env.NODE_OPTIONS ?? '')
}

function checkModule(file: unknown): string | InvalidOptionsError {
  const filename = toPath(file)
  let isFile = false
  try {
    isFile = filename !== undefined && statSync(filename).isFile()
  } catch {}
  // A missing module (or a directory) would otherwise only show up as threads failing to start.
  if (filename === undefined || !isFile) {
    return new InvalidOptionsError('filename', file, 'a URL or path of an existing worker module file')
  }
  if (TS_MODULE.test(filename) && !threadsLoadTypeScript()) {
    return new InvalidOptionsError(
      'filename',
      file,
      `a JavaScript module: Node ${process.versions.node} cannot load TypeScript in a worker thread; build the tasks module to .js/.mjs, or run under a loader (node --import tsx)`,
    )
  }
  return filename
}

/** Checks the module and the options of a pool; the error names the first bad option. */
export function checkPoolOptions(file: unknown, opts: unknown): CheckedOptions | InvalidOptionsError {
  return readOptions(opts, 'an object of pool options', (o) => {
    const filename = checkModule(file)
    if (filename instanceof InvalidOptionsError) return filename
    const given = o as WorkerPoolOptions
    const { minThreads = 0, maxThreads = availableParallelism(), idleTimeoutMs = 10_000 } = given
    const { startTimeoutMs = 60_000, resourceLimits } = given
    const maxQueue = given.maxQueue ?? Number.POSITIVE_INFINITY
    const bad = firstError(
      checkThreads('minThreads', minThreads, 0),
      checkThreads('maxThreads', maxThreads, 1),
      checkMs('idleTimeoutMs', idleTimeoutMs),
      maxQueue === Number.POSITIVE_INFINITY ? undefined : checkInteger('maxQueue', maxQueue, 0),
      checkLimits(resourceLimits),
      checkMs('startTimeoutMs', startTimeoutMs),
      checkFunction('types', (given as WorkerPoolTypes<unknown>).types),
      given.callSites === undefined || typeof given.callSites === 'boolean'
        ? undefined
        : new InvalidOptionsError('callSites', given.callSites, 'a boolean'),
    )
    if (bad) return bad
    if (minThreads > maxThreads) {
      return new InvalidOptionsError('minThreads', minThreads, `an integer <= maxThreads (${maxThreads})`)
    }
    const limits = resourceLimits === undefined ? undefined : copyLimits(resourceLimits)
    const url = pathToFileURL(filename).href
    const callSites = given.callSites !== false
    return {
      filename,
      url,
      minThreads,
      maxThreads,
      idleTimeoutMs,
      maxQueue,
      resourceLimits: limits,
      startTimeoutMs,
      callSites,
    }
  })
}

/** The limits read once (a getter is not read again when each thread starts). */
function copyLimits(limits: WorkerResourceLimits): WorkerResourceLimits {
  const copy: Record<string, number> = {}
  for (const key of LIMITS) {
    const v = limits[key]
    if (v !== undefined) copy[key] = v
  }
  return copy
}

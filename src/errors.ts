/**
 * okflow's own errors, all in this one file (hence its length) so that the registry at its end
 * (`ERRORS`) lists every class. Each is an `Error` subclass with a literal `_tag` (equal to `name`), so a
 * union of them can be matched exhaustively, e.g. with ts-pattern:
 * `match(e).with({ _tag: 'TimeoutError' }, …).exhaustive()`.
 */

/** Shows a value the way it would be written in code: `NaN`, `-1`, `"abc"`, `[object]`. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[array of ${value.length}]`
  if (value !== null && typeof value === 'object') return '[object]'
  if (Object.is(value, -0)) return '-0'
  return String(value)
}

function messageOf(cause: unknown): string {
  if (cause instanceof Error) return cause.message
  if (typeof cause === 'string') return cause
  return formatValue(cause)
}

/** A throw or a rejection inside user code (the original is in `cause`). */
export class UnexpectedError extends Error {
  readonly _tag = 'UnexpectedError' as const
  override readonly name = 'UnexpectedError' as const
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
  /** Wraps anything thrown; the message repeats the cause's so logs stay readable. */
  static from(cause: unknown): UnexpectedError {
    return unexpected(cause)
  }
}

// Outside the class on purpose: a class body that names its own class makes the bundler rename
// the class (`_UnexpectedError`), and that name is what Node prints when the error is logged.
function unexpected(cause: unknown): UnexpectedError {
  return new UnexpectedError(`Unexpected: ${messageOf(cause)}`, { cause })
}

/** Time ran out. `label` names the step or task, when there is one. */
export class TimeoutError extends Error {
  readonly _tag = 'TimeoutError' as const
  override readonly name = 'TimeoutError' as const
  /** The limit that ran out, in ms. */
  readonly ms: number
  /** The step or task name, when there is one. */
  declare readonly label?: string
  constructor(ms: number, label?: string) {
    super(label === undefined ? `Timed out after ${ms} ms` : `${label} timed out after ${ms} ms`)
    this.ms = ms
    if (label !== undefined) this.label = label
  }
}

/** The work was cancelled, by an AbortSignal or because another input decided the outcome. */
export class CancelledError extends Error {
  readonly _tag = 'CancelledError' as const
  override readonly name = 'CancelledError' as const
  /** The AbortSignal's `reason`, or what decided the outcome instead. */
  readonly reason: unknown
  constructor(reason?: unknown) {
    super(reason === undefined ? 'Cancelled' : `Cancelled: ${messageOf(reason)}`)
    this.reason = reason
  }
}

/** Every input failed (`anyAsync`, `hedge`); `errors` are in input order. */
export class AllFailedError<E> extends Error {
  readonly _tag = 'AllFailedError' as const
  override readonly name = 'AllFailedError' as const
  /** Every input's error, in input (or attempt) order. */
  readonly errors: E[]
  constructor(errors: E[]) {
    super(errors.length === 0 ? 'No inputs to try' : `All ${errors.length} inputs failed`)
    this.errors = errors
  }
}

/** An option had a value that cannot work; `option` names it and `value` is the value itself. */
export class InvalidOptionsError extends Error {
  readonly _tag = 'InvalidOptionsError' as const
  override readonly name = 'InvalidOptionsError' as const
  /** The option's name, e.g. `concurrency` or `retry.attempts`. */
  readonly option: string
  /** The bad value itself. */
  readonly value: unknown
  constructor(option: string, value: unknown, expected: string) {
    super(`Invalid option "${option}": ${formatValue(value)} (expected ${expected})`)
    this.option = option
    this.value = value
  }
}

/** A bounded queue was full, so the work was refused at once instead of waiting. */
export class QueueFullError extends Error {
  readonly _tag = 'QueueFullError' as const
  override readonly name = 'QueueFullError' as const
  /** The queue's limit that was reached. */
  readonly maxQueue: number
  constructor(maxQueue: number) {
    super(`Queue is full (maxQueue: ${maxQueue})`)
    this.maxQueue = maxQueue
  }
}

/** A worker thread died (crash, `process.exit`, out of memory) while running the task. */
export class WorkerCrashedError extends Error {
  readonly _tag = 'WorkerCrashedError' as const
  override readonly name = 'WorkerCrashedError' as const
  /** The thread's exit code, when it exited rather than threw. */
  declare readonly exitCode?: number
  constructor(message: string, options?: { exitCode?: number | undefined; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    if (options?.exitCode !== undefined) this.exitCode = options.exitCode
  }
}

/** A task threw inside a worker thread; the remote error's name, message and stack are kept. */
export class TaskFailedError extends Error {
  readonly _tag = 'TaskFailedError' as const
  override readonly name = 'TaskFailedError' as const
  /** `name` of the error thrown in the worker (`TypeError`, `RangeError`, …). */
  readonly remoteName: string
  /** Its stack, as printed in the worker thread. */
  readonly remoteStack: string | undefined
  constructor(remoteName: string, message: string, remoteStack?: string) {
    super(message)
    this.remoteName = remoteName
    this.remoteStack = remoteStack
  }
}

/**
 * A durable run was re-run with code that asks for a different step than the recording has at
 * this position (the body is not deterministic, or it changed). The run stops instead of mixing
 * two histories; `expected` is the recorded key, `actual` the one the code asked for.
 */
export class ReplayMismatchError extends Error {
  readonly _tag = 'ReplayMismatchError' as const
  override readonly name = 'ReplayMismatchError' as const
  readonly runId: string
  readonly position: number
  readonly expected: string
  readonly actual: string
  constructor(runId: string, position: number, expected: string, actual: string) {
    super(
      `Run "${runId}" replays a different step at position ${position}: the recording has "${expected}", the code asks for "${actual}"`,
    )
    this.runId = runId
    this.position = position
    this.expected = expected
    this.actual = actual
  }
}

/** Another live run (in this or another process) holds the lock of this durable run. `pid` is its process id, when known. */
export class RunLockedError extends Error {
  readonly _tag = 'RunLockedError' as const
  override readonly name = 'RunLockedError' as const
  readonly runId: string
  declare readonly pid?: number
  constructor(runId: string, pid?: number) {
    super(`Run "${runId}" is locked by ${pid === undefined ? 'another run' : `process ${pid}`}`)
    this.runId = runId
    if (pid !== undefined) this.pid = pid
  }
}

/**
 * What a durable store was doing when it failed: `lock` (acquiring, renewing or releasing the
 * run's lease), `load`, `append`, `reopen` (retry of a failed run), `queue` (the run registry).
 */
export type StoreOperation = 'lock' | 'load' | 'append' | 'reopen' | 'queue'

/** A durable store failed (`operation` says which call); the original is in `cause`. */
export class StoreError extends Error {
  readonly _tag = 'StoreError' as const
  override readonly name = 'StoreError' as const
  readonly operation: StoreOperation
  readonly runId: string
  constructor(operation: StoreOperation, runId: string, cause: unknown) {
    super(`Store ${operation} failed for run "${runId}": ${messageOf(cause)}`, { cause })
    this.operation = operation
    this.runId = runId
  }
}

/**
 * The lease of a durable run was taken over by another holder (its lease expired, e.g. while
 * this process was frozen or cut off): this holder stops, its running steps are aborted, and
 * it writes nothing more. `fence` is the lease this holder had; the new holder's is higher.
 */
export class LeaseLostError extends Error {
  readonly _tag = 'LeaseLostError' as const
  override readonly name = 'LeaseLostError' as const
  readonly runId: string
  readonly fence: number
  constructor(runId: string, fence: number) {
    super(`Run "${runId}" lost its lease (fence ${fence}): another holder took the run over`)
    this.runId = runId
    this.fence = fence
  }
}

// --- Batch jobs (processInBatches) ---

/**
 * An item of a batch job failed: `index` is its 0-based position in the source, `error` what it
 * ended with (also the `cause`, so logs show it). The fail-fast error of `processInBatches`, and
 * each entry of a settle-mode job's `errors`.
 */
export class ItemFailedError<E = unknown> extends Error {
  readonly _tag = 'ItemFailedError' as const
  override readonly name = 'ItemFailedError' as const
  /** 0-based position of the item in the source. */
  readonly index: number
  /** What the item ended with. */
  readonly error: E
  constructor(index: number, error: E) {
    super(`Item ${index} failed: ${describeItemError(error)}`, { cause: error })
    this.index = index
    this.error = error
  }
}

/** An Error by its name and message, an object by its `message` or its JSON, anything else as written in code. */
function describeItemError(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`
    const m = (error as { message?: unknown } | null)?.message
    if (typeof m === 'string') return m
    return typeof error === 'object' && error !== null ? (JSON.stringify(error) ?? '[object]') : messageOf(error)
  } catch {
    return '[object]' // a Proxy, a cycle, a throwing getter
  }
}

/** No run with this id is in the store (`client.result`, `cancel`, `retry`, `history`). */
export class RunNotFoundError extends Error {
  readonly _tag = 'RunNotFoundError' as const
  override readonly name = 'RunNotFoundError' as const
  readonly runId: string
  constructor(runId: string) {
    super(`No run "${runId}" in the store`)
    this.runId = runId
  }
}

// Resilience policies (circuitBreaker, bulkhead, rateLimiter): refusals that say nothing about the
// service's health, so a breaker does not count them as failures by default.

/** A circuit breaker is open (or half-open with its trial calls taken): the call was not made. */
export class CircuitOpenError extends Error {
  readonly _tag = 'CircuitOpenError' as const
  override readonly name = 'CircuitOpenError' as const
  /** Time until the breaker lets a trial call through (0 when it is half-open and busy). */
  readonly retryAfterMs: number
  constructor(retryAfterMs: number) {
    super(
      retryAfterMs > 0
        ? `Circuit is open (retry in ${retryAfterMs} ms)`
        : 'Circuit is half-open and its trial calls are taken',
    )
    this.retryAfterMs = retryAfterMs
  }
}

/** A bulkhead had every slot busy and its queue full: the call was refused at once. */
export class BulkheadRejectedError extends Error {
  readonly _tag = 'BulkheadRejectedError' as const
  override readonly name = 'BulkheadRejectedError' as const
  readonly concurrency: number
  readonly queue: number
  constructor(concurrency: number, queue: number) {
    super(`Bulkhead is full (concurrency: ${concurrency}, queue: ${queue})`)
    this.concurrency = concurrency
    this.queue = queue
  }
}

/** A rate limiter had no token (and none would come within `maxWaitMs`). */
export class RateLimitedError extends Error {
  readonly _tag = 'RateLimitedError' as const
  override readonly name = 'RateLimitedError' as const
  /** Time until a token is free, if no other caller takes it first. */
  readonly retryAfterMs: number
  constructor(retryAfterMs: number) {
    super(`Rate limited (retry in ${retryAfterMs} ms)`)
    this.retryAfterMs = retryAfterMs
  }
}

// --- worker pool (okflow/worker) ---

/**
 * A worker-pool task's input (or its transfer list) cannot be structured-cloned (a function, a
 * symbol, an object holding one): it was never sent, no thread crashed, and retrying it cannot help.
 */
export class DataCloneError extends Error {
  readonly _tag = 'DataCloneError' as const
  override readonly name = 'DataCloneError' as const
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
  }
}

// --- Pipelines ---

/**
 * An item failed in a pipeline stage: `stage` is the stage's literal name (a union of these
 * narrows on it), `index` the item's 0-based position in the source (after a chunk stage, the
 * chunk's number), `error` what it ended with (also the `cause`, so logs show it).
 */
export class StageFailedError<S extends string = string, E = unknown> extends Error {
  readonly _tag = 'StageFailedError' as const
  override readonly name = 'StageFailedError' as const
  /** The name of the stage the item failed in. */
  readonly stage: S
  /** The item's 0-based position in the source (after a chunk stage: the chunk's number). */
  readonly index: number
  /** What the item ended with. */
  readonly error: E
  constructor(stage: S, index: number, error: E) {
    super(`Stage "${stage}" failed at index ${index}: ${describeItemError(error)}`, { cause: error })
    this.stage = stage
    this.index = index
    this.error = error
  }
}

// --- Compensation (sagas) ---

/**
 * A run failed or was cancelled and the compensations of its completed steps ran (in reverse
 * order of completion, each at most once): `error` is what the run ended with (also the
 * `cause`), `compensated` the steps whose compensation ended ok, in the order they ran,
 * `failed` those whose compensation answered an err (or threw), with that error, and
 * `interrupted` (durable runs) those whose compensation had started but not ended when the
 * process crashed: they are not run again, so they may or may not have taken effect.
 */
export class CompensatedError<E = unknown> extends Error {
  readonly _tag = 'CompensatedError' as const
  override readonly name = 'CompensatedError' as const
  /** What the run ended with before its compensations ran. */
  readonly error: E
  /** Names of the steps whose compensation ended ok, in the order they ran. */
  readonly compensated: string[]
  /** Steps whose compensation failed, with its error, in the order they ran. */
  readonly failed: { step: string; error: unknown }[]
  /** Steps whose compensation was cut off by a crash (started, never ended): not run again. */
  readonly interrupted: string[]
  constructor(
    error: E,
    compensated: string[],
    failed: { step: string; error: unknown }[] = [],
    interrupted: string[] = [],
  ) {
    const n = compensated.length + failed.length + interrupted.length
    const notes = [
      failed.length ? `${failed.length} failed` : '',
      interrupted.length ? `${interrupted.length} interrupted` : '',
    ]
      .filter(Boolean)
      .join(', ')
    super(`${describeItemError(error)}; ${n} compensation${n === 1 ? '' : 's'} ran${notes ? ` (${notes})` : ''}`, {
      cause: error,
    })
    this.error = error
    this.compensated = compensated
    this.failed = failed
    this.interrupted = interrupted
  }
}

/**
 * Every error class okflow defines, by tag: the one list (durable replay revives errors by it,
 * `OkflowError` is derived from it, tests check the exports against it). A new class is one
 * line here: `MyError,` (its `_tag` must equal the key). Keep this block last in the file:
 * it reads every class above when the module loads.
 */
export const ERRORS = {
  UnexpectedError,
  TimeoutError,
  CancelledError,
  AllFailedError,
  InvalidOptionsError,
  QueueFullError,
  WorkerCrashedError,
  TaskFailedError,
  ReplayMismatchError,
  RunLockedError,
  StoreError,
  LeaseLostError,
  ItemFailedError,
  RunNotFoundError,
  CircuitOpenError,
  BulkheadRejectedError,
  RateLimitedError,
  DataCloneError,
  StageFailedError,
  CompensatedError,
} as const

/** Every error class okflow defines. */
export type OkflowError = InstanceType<(typeof ERRORS)[keyof typeof ERRORS]>

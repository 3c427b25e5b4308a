/**
 * okflow's own errors. Each is an `Error` subclass with a literal `_tag` (equal to `name`), so a
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

/** A durable store failed (`operation` says which call); the original is in `cause`. */
export class StoreError extends Error {
  readonly _tag = 'StoreError' as const
  override readonly name = 'StoreError' as const
  readonly operation: 'lock' | 'load' | 'append'
  readonly runId: string
  constructor(operation: 'lock' | 'load' | 'append', runId: string, cause: unknown) {
    super(`Store ${operation} failed for run "${runId}": ${messageOf(cause)}`, { cause })
    this.operation = operation
    this.runId = runId
  }
}

/** Every error class okflow defines. */
export type OkflowError =
  | UnexpectedError
  | TimeoutError
  | CancelledError
  | AllFailedError<unknown>
  | InvalidOptionsError
  | QueueFullError
  | WorkerCrashedError
  | TaskFailedError
  | ReplayMismatchError
  | RunLockedError
  | StoreError

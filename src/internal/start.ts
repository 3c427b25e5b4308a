import { err, type Result, ResultAsync } from 'neverthrow'
import { formatValue, UnexpectedError } from '../errors.js'
import type { AnyInput, TaskContext } from '../types.js'

/**
 * The one place where user code is started and its outcome turned into a Result:
 * throws, rejections and non-Result values all become `err(UnexpectedError)`, so nothing
 * downstream ever needs a try/catch or sees a rejected promise.
 */

export type Settle<T, E> = (result: Result<T, E | UnexpectedError>) => void

// Duck-typed rather than `instanceof Ok`: a user's neverthrow may be another copy (ESM vs CJS).
export function isResult(value: unknown): value is Result<unknown, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { isOk?: unknown }).isOk === 'function' &&
    typeof (value as { isErr?: unknown }).isErr === 'function'
  )
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

export function fromThrow(cause: unknown): Result<never, UnexpectedError> {
  return err(cause instanceof UnexpectedError ? cause : UnexpectedError.from(cause))
}

function fromValue<T, E>(value: unknown): Result<T, E | UnexpectedError> {
  return isResult(value)
    ? (value as Result<T, E>)
    : err(new UnexpectedError(`Expected a Result, got ${formatValue(value)}`))
}

/**
 * Calls `settle` exactly once with the Result `value` settles to: synchronously for a plain
 * Result, after one `.then` for a promise (one hop, like Promise.all, keeps this fast).
 */
export function observe<T, E>(value: unknown, settle: Settle<T, E>): void {
  if (isResult(value) || !isThenable(value)) {
    settle(fromValue(value))
    return
  }
  // Native promises and ResultAsync are trusted thenables; anything else is adopted by a real
  // Promise first, which guards against thenables that throw or call back twice.
  const p = value instanceof Promise || value instanceof ResultAsync ? value : Promise.resolve(value)
  p.then(
    (v) => settle(fromValue(v)),
    (e) => settle(fromThrow(e)),
  )
}

/** Starts an input: calls a lazy task with `ctx`, or observes an already-running one. */
export function start<T, E>(input: AnyInput, ctx: TaskContext | undefined, settle: Settle<T, E>): void {
  if (typeof input !== 'function') {
    observe(input, settle)
    return
  }
  let out: unknown
  try {
    out = input(ctx as TaskContext)
  } catch (e) {
    settle(fromThrow(e))
    return
  }
  observe(out, settle)
}

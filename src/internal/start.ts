import { Err, err, Ok, type Result, ResultAsync } from 'neverthrow'
import { formatValue, UnexpectedError } from '../errors.js'
import type { AnyInput, ResultPromiseLike, TaskContext } from '../types.js'

/**
 * The one place where user code is started and its outcome turned into a Result:
 * throws, rejections and non-Result values all become `err(UnexpectedError)`, so nothing
 * downstream ever needs a try/catch or sees a rejected promise.
 */

export type Settle<T, E> = (result: Result<T, E | UnexpectedError>) => void
/** Like Settle, with the input's position: lets a group pass one function for all its inputs. */
export type Sink<T, E> = (index: number, result: Result<T, E | UnexpectedError>) => void

// Duck-typed rather than `instanceof Ok`: a user's neverthrow may be another copy (ESM vs CJS).
export function isResult(value: unknown): value is Result<unknown, unknown> {
  if (value instanceof Ok || value instanceof Err) return true // the fast, common case
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

function notAResult(value: unknown): Result<never, UnexpectedError> {
  return err(new UnexpectedError(`Expected a Result, got ${formatValue(value)}`))
}

/**
 * Calls `sink(index, result)` exactly once with the Result `value` settles to: synchronously
 * for a plain Result, after one `.then` for a promise. This is the hot path of every
 * combinator, hence the index-passing sink (no closure per input beyond the two `.then` needs)
 * and the cheap `instanceof` checks first. Returns what `sink` returned, or for a promise the
 * promise of it (a caller may build on it instead of making a promise of its own).
 */
export function observeAt<T, E>(
  value: unknown,
  index: number,
  sink: Sink<T, E>,
  onReject: (cause: unknown) => unknown = (e) => sink(index, fromThrow(e)),
): unknown {
  // Native promises and ResultAsync are trusted thenables; anything else is adopted by a real
  // Promise first, which guards against thenables that throw or call back twice.
  let p: ResultPromiseLike
  if (value instanceof Promise || value instanceof ResultAsync) p = value as ResultPromiseLike
  else if (isResult(value)) return sink(index, value as Result<T, E>)
  else if (isThenable(value)) p = Promise.resolve(value) as ResultPromiseLike
  else return sink(index, notAResult(value))
  return (p as Promise<unknown>).then((v) => sink(index, isResult(v) ? (v as Result<T, E>) : notAResult(v)), onReject)
}

/** Calls lazy task `input` with `ctx` (a throw becomes UnexpectedError), or observes a running input. */
export function startAt<T, E>(input: AnyInput, ctx: TaskContext | undefined, index: number, sink: Sink<T, E>): unknown {
  if (typeof input !== 'function') return observeAt(input, index, sink)
  let out: unknown
  try {
    out = input(ctx as TaskContext)
  } catch (e) {
    return sink(index, fromThrow(e))
  }
  return observeAt(out, index, sink)
}

/** `startAt` for a single input. */
export function start<T, E>(input: AnyInput, ctx: TaskContext | undefined, settle: Settle<T, E>): void {
  startAt<T, E>(input, ctx, 0, (_, r) => settle(r))
}

const ignore = (): void => {}

/**
 * For already-running inputs okflow will not wait for (bad options, an aborted signal): attach a
 * handler anyway, so that a later rejection is not reported as an unhandled rejection.
 * Lazy tasks are left alone: they were never started.
 */
export function release(inputs: readonly unknown[]): void {
  for (const input of inputs) if (typeof input !== 'function') observeAt(input, 0, ignore)
}

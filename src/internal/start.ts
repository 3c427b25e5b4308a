import { Err, err, Ok, ok, type Result, ResultAsync } from 'neverthrow'
import { formatValue, UnexpectedError } from '../errors.js'
import type { AnyInput, TaskContext } from '../types.js'

/**
 * The one place where user code is started and its outcome turned into a Result:
 * throws, rejections and non-Result values all become `err(UnexpectedError)`, so nothing
 * downstream ever needs a try/catch or sees a rejected promise. User objects (thenables,
 * Results from another copy of neverthrow, Proxies) are read here, inside a guard, and each
 * `then` once: a throwing getter or trap becomes an `UnexpectedError`, never a throw or a hang.
 */

export type Settle<T, E> = (result: Result<T, E | UnexpectedError>) => void
/** Like Settle, with the input's position: lets a group pass one function for all its inputs. */
export type Sink<T, E> = (index: number, result: Result<T, E | UnexpectedError>) => void

// Duck-typed rather than `instanceof Ok`: a user's neverthrow may be another copy (ESM vs CJS).
// Never throws: a value whose getters throw is simply not a Result.
export function isResult(value: unknown): value is Result<unknown, unknown> {
  try {
    const r = value as { isOk?: unknown; isErr?: unknown } | undefined
    return typeof r?.isOk === 'function' && typeof r.isErr === 'function'
  } catch {
    return false
  }
}

export function fromThrow(cause: unknown): Result<never, UnexpectedError> {
  return err(cause instanceof UnexpectedError ? cause : UnexpectedError.from(cause))
}

function notAResult(value: unknown): Result<never, UnexpectedError> {
  return err(new UnexpectedError(`Expected a Result, got ${formatValue(value)}`))
}

/**
 * A settled value as one of our own Results. A Result of another neverthrow copy is copied
 * into ours, so later code only ever calls our `isOk`; a getter that throws is a throw.
 */
function toResult<T, E>(v: unknown): Result<T, E | UnexpectedError> {
  try {
    if (v instanceof Ok || v instanceof Err) return v as Result<T, E> // a Proxy may throw here
    const r = v as { isOk?: unknown; isErr?: unknown; value?: T; error?: E } | undefined
    if (typeof r?.isOk === 'function' && typeof r.isErr === 'function')
      return r.isOk() ? ok(r.value as T) : err(r.error as E)
  } catch (e) {
    return fromThrow(e)
  }
  return notAResult(v)
}

/**
 * Calls `sink(index, result)` exactly once with the Result `value` settles to: synchronously
 * for a plain Result, after one `.then` for a promise. This is the hot path of every
 * combinator, hence the index-passing sink (one closure per input, for the `.then`) and the
 * cheap `instanceof` checks first. Returns true when the outcome comes later (a promise).
 *
 * `deferSync`: deliver a plain Result a microtask later instead of at once. A group sets it once
 * it has attached to a promise, so that a plain Result given after an already-settled promise
 * does not overtake it: inputs settle in the order they settled (as with `Promise.any`).
 */
export function observeAt<T, E>(
  value: unknown,
  index: number,
  sink: Sink<T, E>,
  onReject?: (cause: unknown) => void,
  deferSync?: boolean,
): boolean {
  let sync: Result<T, E | UnexpectedError>
  try {
    let p: PromiseLike<unknown> | undefined
    // Native promises (a subclass too: its `then` is the native one unless replaced) and
    // ResultAsync are trusted, and their `then` is read once, by the call below. Any other
    // thenable is read once here and adopted by a real Promise, which guards against one that
    // throws or calls back twice.
    if (value instanceof Promise || value instanceof ResultAsync) p = value as PromiseLike<unknown>
    else if (value instanceof Ok || value instanceof Err) sync = value as Result<T, E>
    else {
      const then = (value as { then?: unknown } | undefined)?.then // primitives have none
      if (typeof then === 'function') p = adopt(value, then as never)
      else sync = toResult<T, E>(value)
    }
    if (p) return attach(p, index, sink, onReject)
  } catch (e) {
    sync = fromThrow(e)
  }
  deliver(sink, index, sync!, deferSync)
  return false
}

function attach<T, E>(
  p: PromiseLike<unknown>,
  index: number,
  sink: Sink<T, E>,
  onReject: ((cause: unknown) => void) | undefined,
): true {
  p.then((v) => sink(index, toResult<T, E>(v)), onReject ?? rejectAt(index, sink))
  return true
}

// Apart from attach: made there, under `??`, this closure slowed every input of allAsync (which
// passes `onReject`) by ~10% of a raw Promise.all.
function rejectAt<T, E>(index: number, sink: Sink<T, E>): (cause: unknown) => void {
  return (e) => sink(index, fromThrow(e))
}

// Apart from observeAt, like attach: a closure in observeAt would cost every call a context.
function deliver<T, E>(sink: Sink<T, E>, index: number, r: Result<T, E | UnexpectedError>, later?: boolean): void {
  if (later) queueMicrotask(() => sink(index, r))
  else sink(index, r)
}

function adopt(
  value: unknown,
  then: (this: unknown, ...callbacks: ((x: unknown) => void)[]) => unknown,
): Promise<unknown> {
  return new Promise((res, rej) => then.call(value, res, rej))
}

/**
 * Calls lazy task `input` with `ctx` (a throw becomes UnexpectedError), or observes a running
 * input. Returns true when the outcome comes later (see observeAt).
 */
export function startAt<T, E>(
  input: AnyInput,
  ctx: TaskContext | undefined,
  index: number,
  sink: Sink<T, E>,
  deferSync?: boolean,
): boolean {
  let out: unknown = input
  if (typeof input === 'function') {
    try {
      out = input(ctx as TaskContext)
    } catch (e) {
      out = fromThrow(e) // a Result, delivered like any other
    }
  }
  return observeAt(out, index, sink, undefined, deferSync)
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

import { err, ok, type Result, ResultAsync } from 'neverthrow'
import { type CancelledError, InvalidOptionsError, type UnexpectedError } from '../errors.js'
import { cancelledBy, onAbort } from '../internal/abort.js'
import { checkSignal, pickOptions } from '../internal/options.js'
import { isListed, listInputs } from '../internal/shape.js'
import { release, startAt } from '../internal/start.js'
import type { AnyInput, ErrUnion, OkUnion } from '../types.js'

/** What `selectAsync` returns: the first input to settle, and the others, still running. */
export interface Selected<T, E> {
  /** Position of the winner in the inputs given to this call. */
  readonly index: number
  /** The winner's own Result, ok or err. */
  readonly result: Result<T, E>
  /** The other inputs, in their original order, already started: pass them back to select again. */
  readonly rest: ResultAsync<T, E>[]
}

/** Options of `selectAsync`. */
export interface SelectOptions {
  /** Given to the tasks started here (they keep running after select returns); aborting it before any input settles returns `err(CancelledError)`. */
  signal?: AbortSignal | undefined
}

/**
 * The inputs of one select loop. Each input is started (or observed) once, when the loop's first
 * call makes the pool, and becomes a member: a ResultAsync of its own, handed out in `rest`.
 * Members that settle join `ready` in settle order. A later call given back the `rest` array the
 * pool handed out, unchanged, takes the next ready member instead of observing every input
 * again (which made 0.1's loops quadratic in time and memory: a chain of wrappers per round).
 * What is left per call is a few passes over the pending members and the one array `rest` must be.
 */
class Pool {
  readonly members: ResultAsync<unknown, unknown>[] = []
  readonly results: (Result<unknown, unknown> | undefined)[] = []
  /** Members not yet handed out as a winner, in input order (the pool's own copy of `rest`). */
  pending: ResultAsync<unknown, unknown>[] = []
  /** Settled members not yet handed out, by position in `members`, in settle order. */
  readonly ready: number[] = []
  readyHead = 0
  /** The call waiting for the next member to settle (at most one: see `selectAsync`). */
  waiter: (() => void) | undefined = undefined
}

/**
 * On each `rest` array handed out: the pool it came from (a hidden, non-enumerable property;
 * a WeakMap of thousands of large arrays made every garbage collection walk them).
 */
const POOL = Symbol('okflow.selectPool')

function makePool(inputs: readonly AnyInput[], ctx: { signal: AbortSignal }): Pool {
  const pool = new Pool()
  const resolvers: ((r: Result<unknown, unknown>) => void)[] = []
  const settle = (i: number, r: Result<unknown, unknown>) => {
    pool.results[i] = r
    pool.ready.push(i)
    ;(resolvers[i] as (r: Result<unknown, unknown>) => void)(r)
    const w = pool.waiter
    pool.waiter = undefined
    w?.()
  }
  for (let i = 0; i < inputs.length; i++) {
    pool.members.push(new ResultAsync(new Promise<Result<unknown, unknown>>((res) => (resolvers[i] = res))))
  }
  pool.pending = pool.members.slice()
  let later = false
  for (let i = 0; i < inputs.length; i++) {
    if (startAt<unknown, unknown>(inputs[i] as AnyInput, ctx, i, settle, later)) later = true
  }
  return pool
}

/** The pool that handed out `inputs` as `rest`, if it is unchanged and the pool is free to use. */
function poolFor(inputs: unknown): Pool | undefined {
  let pool: Pool | undefined
  try {
    pool = Array.isArray(inputs) && Object.hasOwn(inputs, POOL) ? (inputs as { [POOL]?: Pool })[POOL] : undefined
  } catch {} // a Proxy: not ours
  if (pool === undefined || pool.waiter !== undefined) return undefined
  // Our own plain array, so safe to read; the caller may have changed it, though.
  const list = inputs as readonly unknown[]
  const pending = pool.pending
  if (list.length !== pending.length) return undefined
  for (let i = 0; i < list.length; i++) if (list[i] !== pending[i]) return undefined
  return pool
}

/**
 * The first input to settle wins, and — unlike `raceAsync` — the others keep running: `rest`
 * holds them (started once, never again) for a select loop, which costs O(1) per call plus the
 * copy of `rest`, like a loop over `asCompleted`:
 *
 * @example
 * let pending = [a, b, c]
 * while (pending.length > 0) {
 *   const { index, result, rest } = (await selectAsync(pending))._unsafeUnwrap()
 *   handle(result)
 *   pending = rest
 * }
 */
export function selectAsync<const I extends readonly AnyInput[]>(
  inputs: I,
  opts?: SelectOptions,
): ResultAsync<Selected<OkUnion<I>, ErrUnion<I> | UnexpectedError>, CancelledError | InvalidOptionsError> {
  type T = OkUnion<I>
  type E = ErrUnion<I> | UnexpectedError
  type Out = Result<Selected<T, E>, CancelledError | InvalidOptionsError>
  return new ResultAsync(
    new Promise<Out>((resolve) => {
      const reused = poolFor(inputs)
      const listed = reused ? { values: inputs, keys: undefined } : listInputs(inputs)
      if (!isListed(listed)) return resolve(err(listed))
      if (listed.keys !== undefined) {
        release(listed.values)
        return resolve(err(new InvalidOptionsError('inputs', inputs, 'an array or an iterable of inputs')))
      }
      const list = listed.values
      const o = pickOptions<SelectOptions>(opts, ['signal'])
      const bad = o instanceof InvalidOptionsError ? o : checkSignal('signal', o.signal)
      if (bad) {
        if (!reused) release(list)
        return resolve(err(bad))
      }
      const signal = (o as SelectOptions).signal
      if (list.length === 0) {
        return resolve(err(new InvalidOptionsError('inputs', inputs, 'at least one input to select from')))
      }
      if (signal?.aborted) {
        if (!reused) release(list)
        return resolve(err(cancelledBy(signal)))
      }
      // Without a user signal, a fresh one per loop: a process-wide signal would collect the
      // listeners of every task ever selected.
      const pool = reused ?? makePool(list, { signal: signal ?? new AbortController().signal })
      const take = () => {
        const at = pool.ready[pool.readyHead++] as number
        const index = pool.pending.indexOf(pool.members[at] as ResultAsync<unknown, unknown>)
        pool.pending.splice(index, 1)
        // The one array a call makes: the caller's to keep; handed back unchanged, it is known.
        const rest = pool.pending.slice() as ResultAsync<T, E>[]
        Object.defineProperty(rest, POOL, { value: pool })
        resolve(ok({ index, result: pool.results[at] as Result<T, E>, rest }))
      }
      if (pool.readyHead < pool.ready.length) return take()
      let detach: (() => void) | undefined
      pool.waiter = () => {
        detach?.()
        take()
      }
      if (signal) {
        detach = onAbort(signal, () => {
          pool.waiter = undefined
          resolve(err(cancelledBy(signal)))
        })
      }
    }),
  )
}

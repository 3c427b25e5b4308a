import { err, ok, type Result, ResultAsync } from 'neverthrow'
import { type CancelledError, InvalidOptionsError, type UnexpectedError } from '../errors.js'
import { cancelledBy, onAbort } from '../internal/abort.js'
import { checkSignal, readOptions } from '../internal/options.js'
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
 * Members that settle join `ready` in settle order. A later call given exactly the pool's
 * pending members (what `rest` was) takes the next ready member in O(1) instead of observing
 * every input again, which made loops quadratic in time and memory (chains of wrappers).
 */
class Pool {
  readonly members: ResultAsync<unknown, unknown>[] = []
  readonly results: (Result<unknown, unknown> | undefined)[] = []
  /** Still-pending members (not yet handed out as a winner), in input order. */
  pending: ResultAsync<unknown, unknown>[] = []
  /** Settled members not yet handed out, by position in `members`, in settle order. */
  readonly ready: number[] = []
  readyHead = 0
  /** The call waiting for the next member to settle (at most one: see `selectAsync`). */
  waiter: (() => void) | undefined = undefined
}

const poolOf = new WeakMap<object, { pool: Pool; at: number }>()

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
    const member = new ResultAsync(new Promise<Result<unknown, unknown>>((res) => (resolvers[i] = res)))
    poolOf.set(member, { pool, at: i })
    pool.members.push(member)
  }
  pool.pending = pool.members.slice()
  let later = false
  for (let i = 0; i < inputs.length; i++) {
    if (startAt<unknown, unknown>(inputs[i] as AnyInput, ctx, i, settle, later)) later = true
  }
  return pool
}

/** The pool whose pending members `inputs` are, exactly and in order, if it is free to use. */
function poolFor(inputs: readonly unknown[]): Pool | undefined {
  const first = inputs[0]
  if (typeof first !== 'object' || first === null) return undefined
  const pool = poolOf.get(first)?.pool
  if (pool === undefined || pool.waiter !== undefined || pool.pending.length !== inputs.length) return undefined
  for (let i = 0; i < inputs.length; i++) if (inputs[i] !== pool.pending[i]) return undefined
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
      const listed = listInputs(inputs)
      if (!isListed(listed)) return resolve(err(listed))
      if (listed.keys !== undefined) {
        release(listed.values)
        return resolve(err(new InvalidOptionsError('inputs', inputs, 'an array or an iterable of inputs')))
      }
      const list = listed.values
      const o = readOptions<SelectOptions>(opts, ['signal'])
      const bad = o instanceof InvalidOptionsError ? o : checkSignal('signal', o.signal)
      if (bad) {
        release(list)
        return resolve(err(bad))
      }
      const signal = (o as SelectOptions).signal
      if (list.length === 0) {
        return resolve(err(new InvalidOptionsError('inputs', inputs, 'at least one input to select from')))
      }
      if (signal?.aborted) {
        release(list)
        return resolve(err(cancelledBy(signal)))
      }
      // Without a user signal, a fresh one per loop: a process-wide signal would collect the
      // listeners of every task ever selected.
      const pool = poolFor(list) ?? makePool(list, { signal: signal ?? new AbortController().signal })
      const take = () => {
        const at = pool.ready[pool.readyHead++] as number
        const member = pool.members[at] as ResultAsync<unknown, unknown>
        const index = pool.pending.indexOf(member)
        const rest = pool.pending.slice(0, index).concat(pool.pending.slice(index + 1))
        pool.pending = rest
        resolve(ok({ index, result: pool.results[at] as Result<T, E>, rest: rest.slice() as ResultAsync<T, E>[] }))
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

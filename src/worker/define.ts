import { encodeValue } from './outcome.js'
import { encodeThrown, type Outcome, type Payload } from './protocol.js'

/** A task as written in a tasks module: takes one input, returns a value, a promise or a Result. */
export type WorkerTask = (input: never) => unknown

/** The tasks of a tasks module, by name. */
export type WorkerTaskMap = { readonly [name: string]: WorkerTask }

/**
 * What `defineWorkerTasks` returns: the handler the pool calls inside each worker thread (so it
 * must be the module's default export), carrying the task map for the main thread's types.
 */
export interface WorkerTasks<M extends WorkerTaskMap> {
  /** Runs one task in the worker thread; never throws, the outcome is a plain outcome (protocol.ts). */
  (payload: Payload): Outcome | Promise<Outcome>
  /** The task functions themselves. */
  readonly tasks: M
}

const hasOwn = Object.prototype.hasOwnProperty

/**
 * Declares the tasks a worker module offers. Export the result as the module's **default**
 * export; the main thread then names the module's type in `createWorkerPool<typeof tasks>`
 * so task names, inputs and outputs are checked at compile time.
 *
 * A task may return a value, a promise, or a neverthrow `Result`/`ResultAsync`. An `err` with a
 * `_tag` keeps its tag, message and plain own fields across the thread; a throw or a rejection
 * becomes `TaskFailedError` in the main thread.
 *
 * @example
 * ```ts
 * export default defineWorkerTasks({ fib: (n: number) => fib(n) })
 * ```
 */
export function defineWorkerTasks<M extends WorkerTaskMap>(tasks: M): WorkerTasks<M> {
  const handler = (payload: Payload): Outcome | Promise<Outcome> => {
    const name = payload[0]
    const fn = hasOwn.call(tasks, name) ? tasks[name] : undefined
    if (typeof fn !== 'function') {
      return encodeThrown(new TypeError(`Unknown worker task ${JSON.stringify(name)}`))
    }
    let out: unknown
    try {
      out = (fn as (input: unknown) => unknown)(payload[1])
    } catch (e) {
      return encodeThrown(e)
    }
    if (typeof (out as PromiseLike<unknown> | null)?.then === 'function') {
      return Promise.resolve(out).then(encodeValue, encodeThrown)
    }
    return encodeValue(out)
  }
  return Object.assign(handler, { tasks })
}

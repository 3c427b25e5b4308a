import type { Err, Ok } from 'neverthrow'
import type {
  CancelledError,
  DataCloneError,
  InvalidOptionsError,
  QueueFullError,
  TaskFailedError,
  TimeoutError,
  WorkerCrashedError,
} from '../errors.js'
import type { WorkerTaskMap, WorkerTasks } from './define.js'

/** Names of the tasks in a tasks module (`typeof import('./tasks.js').default`). */
export type TaskName<T extends WorkerTasks<WorkerTaskMap>> = Extract<keyof T['tasks'], string>

type TaskFn<T extends WorkerTasks<WorkerTaskMap>, K extends TaskName<T>> = T['tasks'][K]

/** The input a task takes (its first parameter; `unknown` for a task without one). */
export type TaskInput<T extends WorkerTasks<WorkerTaskMap>, K extends TaskName<T>> =
  TaskFn<T, K> extends (input: infer I) => unknown ? I : never

type Settled<T extends WorkerTasks<WorkerTaskMap>, K extends TaskName<T>> = Awaited<ReturnType<TaskFn<T, K>>>
type OkPart<R> = R extends Ok<infer V, unknown> ? V : R extends Err<unknown, unknown> ? never : R
type ErrPart<R> = R extends Err<unknown, infer E> ? RemoteError<E> : never

/**
 * What structured clone delivers for a value of type `T`: a `Buffer` arrives as a plain
 * `Uint8Array` (its methods stay in the worker), and so does one nested in an array, a Map, a Set
 * or a plain object. Other values keep their type.
 */
export type Cloned<T> = T extends Buffer
  ? Uint8Array
  : T extends
        | string
        | number
        | boolean
        | bigint
        | symbol
        | null
        | undefined
        | Date
        | RegExp
        | ArrayBufferView
        | ArrayBufferLike
    ? T
    : T extends ReadonlyMap<infer K, infer V>
      ? Map<Cloned<K>, Cloned<V>>
      : T extends ReadonlySet<infer V>
        ? Set<Cloned<V>>
        : T extends object
          ? { [P in keyof T]: Cloned<T[P]> }
          : T

/** The ok value of a task as it arrives: what it returns, with a promise or a Result unwrapped, cloned. */
export type TaskOutput<T extends WorkerTasks<WorkerTaskMap>, K extends TaskName<T>> = Cloned<OkPart<Settled<T, K>>>

/** The errors a task returns as `err(...)`, as they arrive in the main thread. */
export type TaskError<T extends WorkerTasks<WorkerTaskMap>, K extends TaskName<T>> = ErrPart<Settled<T, K>>

type DataKeys<E> = {
  [K in keyof E]-?: E[K] extends (...args: never[]) => unknown ? never : K
}[keyof E]

/**
 * An error value after crossing the thread boundary. One with a `_tag` is rebuilt as an `Error`
 * with the same `_tag`, `name`, `message` and plain own fields (not the original class, whose
 * methods and prototype stay in the worker); anything else arrives as its structured clone.
 */
export type RemoteError<E> = E extends { readonly _tag: string } ? Error & { readonly [K in DataKeys<E>]: E[K] } : E

/** The errors the pool itself can return for a task, beside the task's own. */
export type WorkerRunError =
  | TaskFailedError
  | WorkerCrashedError
  | DataCloneError
  | TimeoutError
  | CancelledError
  | QueueFullError
  | InvalidOptionsError

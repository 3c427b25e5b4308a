// Durable child tasks: `defineTask(name, fn)` registers a function any worker can run as a child
// run of a parent's `step.map` (or of a group over `task.with(input)` calls). A task is shaped
// like a registered workflow (name, version, deps, body), so `createWorker(store, [checkout,
// resize])` takes it as it is, and a worker runs its child runs like any run: leased, with its
// outcome recorded once.
import { err, ok } from 'neverthrow'
import { type CancelledError, InvalidOptionsError, type UnexpectedError } from '../errors.js'
import { runOnePromise } from '../internal/run.js'
import type { AnyRegisteredWorkflow, RegisteredWorkflow } from '../runs/define.js'
import type { ErrOf, OkOf, Resultish, ResultLike, ResultPromiseLike, TaskContext } from '../types.js'
import type { DurableError } from './durable.js'
import type { JsonValue } from './store/types.js'
import type { WorkflowError } from './types.js'

/** Marks a `task.with(input)` call, so that a durable group knows it as a child run to create. */
export const TASK_CALL: unique symbol = Symbol.for('okflow.taskCall') as never

/** What a task call carries: the task's name, version and input, and, once started, its child run. */
export interface TaskCallInfo {
  readonly task: string
  readonly version: number
  readonly input: JsonValue
  /**
   * The child run this call is bound to: set on the `rest` of `step.select` and the `pending` of
   * `step.waitCompleted` on a worker, so that a later group over them attaches to those runs.
   */
  readonly runId?: string | undefined
  /** The task's bad input (`defineTask` refused it): a group over the call ends with it. */
  readonly invalid?: InvalidOptionsError | undefined
}

/**
 * One call of a task with its input. In process (no worker) it is a lazy task like any other
 * (`(ctx) => fn(input, ctx)`); in a durable run on a worker, `step.any/race/select/all/
 * waitCompleted` over task calls create one child run per call, claimed by any worker.
 */
export type TaskCall<T, E> = ((ctx: TaskContext) => Resultish<T, E>) & { readonly [TASK_CALL]: TaskCallInfo }

/** The function of a task: a JSON input in, any Result form out. */
export type TaskFn<I, T, E> = (input: I, ctx: TaskContext) => Resultish<T, E>

/**
 * A registered task (`defineTask`): give it to `createWorker` with the workflows, list it among a
 * workflow's deps (its errors are then declared), and map over it with `step.map`.
 */
export interface DurableTask<I, T, E> {
  readonly kind: 'task'
  readonly name: string
  /** Stored with each child run, like a workflow's. */
  readonly version: number
  readonly fn: TaskFn<I, T, E>
  /** The deps of the run a worker makes of each child: the task's function, so its errors are declared. */
  readonly deps: { readonly task: TaskFn<I, T, E> }
  /** How a worker runs one child run (the task on its input, or on each input of a chunk). */
  body(step: never, deps: never, input: never): unknown
  /** One call of the task, for groups (`step.any('quote', [a.with(x), b.with(x)])`). */
  with(input: I): TaskCall<T, E>
  /** Set when `defineTask` got bad input: using the task answers it as an err. */
  readonly invalid?: InvalidOptionsError
}

/** Any task, whatever its input, output and errors. */
export type AnyDurableTask = DurableTask<never, unknown, unknown>

/** The input, output and error types of a task. */
export type TaskInput<K> = K extends DurableTask<infer I, infer _T, infer _E> ? I : never
export type TaskOk<K> = K extends DurableTask<infer _I, infer T, infer _E> ? T : never
export type TaskErr<K> = K extends DurableTask<infer _I, infer _T, infer E> ? E : never

/** A child run's input when `step.map` gives each child a chunk of items (`chunkSize`). */
export interface ChunkInput {
  readonly $okflowChunk: readonly JsonValue[]
}
/** What a chunk child answers: one settled result per item, in order (errors saved as errors). */
export type ChunkOutput = readonly (
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown }
)[]

export const isChunk = (input: unknown): input is ChunkInput =>
  typeof input === 'object' && input !== null && Array.isArray((input as ChunkInput).$okflowChunk)

/** Whether `v` is a task made by `defineTask` (read inside a guard: a Proxy is no task). */
export function isTask(v: unknown): v is DurableTask<unknown, unknown, unknown> {
  try {
    const t = v as Partial<DurableTask<unknown, unknown, unknown>> | null
    return t?.kind === 'task' && typeof t.fn === 'function' && typeof t.name === 'string'
  } catch {
    return false
  }
}

/** The task call's info, or undefined for any other input (read inside a guard). */
export function callInfo(v: unknown): TaskCallInfo | undefined {
  try {
    return typeof v === 'function' ? (v as Partial<TaskCall<unknown, unknown>>)[TASK_CALL] : undefined
  } catch {
    return undefined
  }
}

const NAME = /^[\w.:/-]{1,200}$/

type StepRunner = (
  f: (ctx: TaskContext) => Resultish<unknown, unknown>,
  o: { name: string; record: boolean },
) => Promise<unknown>

/**
 * Registers a task: a name (unique among a worker's workflows and tasks) and a function of a
 * JSON input. Workers that are given the task run its child runs; `step.map(name, items, task)`
 * makes one child run per item (or per chunk of items). List the task in a workflow's deps to
 * declare its errors (a map over an undeclared task does not compile).
 *
 * @example
 * const resize = defineTask('resize', async (img: { url: string }, { signal }) => resizeImage(img.url, signal))
 * const gallery = defineWorkflow('gallery', { resize }, (step, deps, urls: { url: string }[]) =>
 *   step.map('resize all', urls, deps.resize, { concurrency: 8 }))
 * const worker = createWorker(store, [gallery, resize])
 */
export function defineTask<F extends (input: never, ctx: TaskContext) => ResultLike | ResultPromiseLike>(
  name: string,
  fn: F,
  options: { readonly version?: number } = {},
): DurableTask<Parameters<F>[0], OkOf<ReturnType<F>>, ErrOf<ReturnType<F>>> {
  type I = Parameters<F>[0]
  type T = OkOf<ReturnType<F>>
  type E = ErrOf<ReturnType<F>>
  let version: unknown
  try {
    version = options?.version ?? 1
  } catch {
    version = options
  }
  const invalid =
    typeof name !== 'string' || !NAME.test(name)
      ? new InvalidOptionsError('name', name, 'a task name of 1–200 letters, digits or ._:/-')
      : typeof fn !== 'function'
        ? new InvalidOptionsError('fn', fn, 'a function (input, ctx) => Result')
        : !Number.isInteger(version) || (version as number) < 0
          ? new InvalidOptionsError('version', version, 'an integer >= 0')
          : undefined
  // Bad input never throws: every use of the task answers its InvalidOptionsError.
  const call = (input: I, ctx: TaskContext): Resultish<T, E | InvalidOptionsError> =>
    invalid ? err(invalid) : (fn(input as never, ctx) as Resultish<T, E>)
  const task: DurableTask<I, T, E> = {
    kind: 'task',
    name,
    version: version as number,
    fn: call as TaskFn<I, T, E>,
    deps: { task: fn as unknown as TaskFn<I, T, E> },
    // The child's one step is not recorded: the run's outcome is its result (one record per child).
    body(step: never, _deps: never, given: never) {
      const run = step as unknown as StepRunner
      const input = given as unknown
      if (!isChunk(input)) return run((ctx) => call(input as I, ctx), { name, record: false })
      return run(
        async (ctx) => {
          const out: ChunkOutput[number][] = []
          for (const item of input.$okflowChunk) {
            // Each item of a chunk settles on its own: one failing (or throwing) item does not
            // fail its neighbours. A cancelled run stops the chunk: its outcome is not saved.
            if (ctx.signal.aborted) return err(ctx.signal.reason)
            const r = await runOnePromise((c: TaskContext) => call(item as I, c), { signal: ctx.signal })
            out.push(r.isOk() ? { ok: true, value: r.value } : { ok: false, error: r.error })
          }
          return ok(out)
        },
        { name, record: false },
      )
    },
    with(input: I) {
      // A child run's input is JSON: no input at all is saved as null.
      const info: TaskCallInfo = {
        task: name,
        version: version as number,
        input: (input ?? null) as JsonValue,
        invalid,
      }
      return Object.defineProperty((ctx: TaskContext) => call(input, ctx), TASK_CALL, { value: info }) as TaskCall<T, E>
    },
  }
  return invalid ? { ...task, invalid } : task
}

/** What a child of `step.map` can be: a task, or a registered workflow (a tree of children). */
export type MapChild = AnyDurableTask | AnyRegisteredWorkflow

/** The input, output and errors of one child of `step.map` (a task or a registered workflow). */
export type ChildInput<K> =
  K extends DurableTask<infer I, infer _T, infer _E>
    ? I
    : K extends RegisteredWorkflow<infer _D, infer I, infer _T>
      ? I
      : never
export type ChildOk<K> =
  K extends DurableTask<infer _I, infer T, infer _E>
    ? T
    : K extends RegisteredWorkflow<infer _D, infer _I, infer T>
      ? T
      : never
export type ChildErr<K> =
  K extends DurableTask<infer _I, infer _T, infer E>
    ? E
    : K extends RegisteredWorkflow<infer D, infer _I, infer _T>
      ? WorkflowError<D> | DurableError
      : never

/**
 * What a child can end with beside its own errors: it was cancelled (`client.cancel`, or its run
 * ended without an outcome), or its function threw.
 */
export type ChildFailure = CancelledError | UnexpectedError

// Durable child tasks: `defineTask(name, fn)` registers a function any worker can run as a child
// run of a parent's `step.map` (or of a group over `task.with(input)` calls). A task is shaped
// like a registered workflow (name, version, deps, body), so `createWorker(store, [checkout,
// resize])` takes it as it is, and a worker runs its child runs like any run: leased, with its
// outcome recorded once.
import { InvalidOptionsError } from '../errors.js'
import type { Resultish, TaskContext } from '../types.js'
import type { JsonValue } from './store/types.js'

/** Marks a `task.with(input)` call, so that a durable group knows it as a child run to create. */
export const TASK_CALL: unique symbol = Symbol.for('okflow.taskCall') as never

/** What a task call carries: the task's name, its input, and, once started, its child run. */
export interface TaskCallInfo {
  readonly task: string
  readonly input: JsonValue
  /** The child run this call is bound to (set on the `pending` calls `step.waitCompleted` returns). */
  readonly runId?: string | undefined
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

/** The output and error types of a task. */
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

const NAME = /^[\w.:/-]{1,200}$/

/**
 * Registers a task: a name (unique among a worker's workflows and tasks) and a function of a
 * JSON input. Workers that are given the task run its child runs; `step.map(name, items, task)`
 * makes one child run per item (or per chunk of items).
 *
 * @example
 * const resize = defineTask('resize', async (img: { url: string }, { signal }) => resizeImage(img.url, signal))
 * const worker = createWorker(store, [gallery, resize])
 */
export function defineTask<I, T, E>(
  name: string,
  fn: TaskFn<I, T, E>,
  options: { readonly version?: number } = {},
): DurableTask<I, T, E> {
  const version = options?.version ?? 1
  const invalid =
    typeof name !== 'string' || !NAME.test(name)
      ? new InvalidOptionsError('name', name, 'a task name of 1–200 letters, digits or ._:/-')
      : typeof fn !== 'function'
        ? new InvalidOptionsError('fn', fn, 'a function (input, ctx) => Result')
        : !Number.isInteger(version) || version < 0
          ? new InvalidOptionsError('version', version, 'an integer >= 0')
          : undefined
  type S = (
    f: (ctx: TaskContext) => Resultish<unknown, unknown>,
    o: { name: string; record: boolean },
  ) => Promise<unknown>
  const task: DurableTask<I, T, E> = {
    kind: 'task',
    name,
    version,
    fn,
    deps: { task: fn },
    // The child's one step is not recorded: the run's outcome is its result (one record per child).
    async body(step: never, _deps: never, given: never) {
      const run = step as unknown as S
      const input = given as unknown
      if (!isChunk(input)) return run((ctx) => fn(input as I, ctx), { name, record: false })
      const out: ChunkOutput[number][] = []
      for (const item of input.$okflowChunk) {
        // Each item of a chunk settles on its own: one failing item does not fail its neighbours.
        const r = await Promise.resolve(fn(item as I, { signal: new AbortController().signal }))
        out.push(r.isOk() ? { ok: true, value: r.value } : { ok: false, error: r.error })
      }
      return out
    },
    with(input: I) {
      const call = ((ctx: TaskContext) => fn(input, ctx)) as TaskCall<T, E>
      Object.defineProperty(call, TASK_CALL, { value: { task: name, input: input as JsonValue } })
      return call
    },
  }
  return invalid ? { ...task, invalid } : task
}

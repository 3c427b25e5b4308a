import type {
  AllFailedError,
  CancelledError,
  CompensatedError,
  InvalidOptionsError,
  QueueFullError,
  TaskFailedError,
  TimeoutError,
  UnexpectedError,
  WorkerCrashedError,
} from '../errors.js'
import type { RetryOptions } from '../internal/retry.js'
import type { AnyPolicy, PolicyAdds } from '../policy/executor.js'
import type { RegisteredWorkflow } from '../runs/define.js'
import type { ErrOf, ResultLike, ResultPromiseLike, TaskContext } from '../types.js'
import type { WorkerTaskMap, WorkerTasks } from '../worker/define.js'
import type { WorkerPool } from '../worker/pool.js'
import type { TaskError, TaskName } from '../worker/types.js'
import type { DurableError, StepCodec } from './durable.js'
import type { WorkflowEvent } from './events.js'
import type { WorkflowStore } from './store/types.js'
import type { DurableTask } from './task.js'

/** Errors okflow itself can end a step or a workflow with. */
export type LibraryError =
  | UnexpectedError
  | TimeoutError
  | CancelledError
  | InvalidOptionsError
  | QueueFullError
  | WorkerCrashedError
  | TaskFailedError

/**
 * Errors a single dependency can produce: a function's err type, a worker pool's task errors, a
 * task's (`defineTask`, for `step.map` and task calls) or a registered workflow's (a child of `step.map`).
 */
type DepError<F> =
  F extends DurableTask<infer _I, infer _T, infer E>
    ? E
    : F extends RegisteredWorkflow<infer D, infer _I, infer _T>
      ? WorkflowError<D> | DurableError
      : DepErrorOf<F>
type DepErrorOf<F> =
  F extends WorkerPool<infer T extends WorkerTasks<WorkerTaskMap>>
    ? TaskError<T, TaskName<T>>
    : F extends AnyPolicy
      ? PolicyAdds<F> // a policy used by steps (`{ policy }`) declares the errors it adds
      : F extends (...args: never[]) => infer R
        ? ErrOf<R>
        : never

/** The union of the error types of every dependency of a workflow. */
export type DepsError<D> = { [K in keyof D]: DepError<D[K]> }[keyof D]

/**
 * What a run over `D` fails with before any compensation: its dependencies' errors plus okflow's
 * own (a failed `step.any` carries the errors of its inputs in an AllFailedError).
 */
export type WorkflowFailure<D> = DepsError<D> | LibraryError | AllFailedError<DepsError<D> | LibraryError>

/**
 * Everything a workflow over `D` can end with: a WorkflowFailure, or, when steps with a
 * `compensate` had completed, that failure inside a CompensatedError saying which compensations ran.
 */
export type WorkflowError<D> = WorkflowFailure<D> | CompensatedError<WorkflowFailure<D>>

/** What a step's function receives. */
export interface StepContext extends TaskContext {
  /** 1 for the first call; more when the step's `retry` calls it again. */
  readonly attempt: number
}

/** Options of one step. */
export interface StepOptions<E, T = never> {
  /** Shown in events and the timeline (default `step N`). */
  name?: string | undefined
  /** Time limit of each attempt. */
  timeoutMs?: number | undefined
  /** Retry the step (see `retry`); `signal` and `timeoutMs` come from the workflow and the step. */
  retry?: Omit<RetryOptions<E>, 'signal' | 'timeoutMs'> | undefined
  /** Stable identity of the step, for durable replay (defaults to the name). */
  key?: string | undefined
  /**
   * Durable runs: `false` saves nothing for this step, so a replay runs it again (for cheap
   * reads, or values that cannot be saved). Default true.
   */
  record?: boolean | undefined
  /** Durable runs: saves the ok value as `encode(value)` (JSON) and replays `decode(json)`: for values that are not JSON (bytes, Dates, …). */
  codec?: StepCodec | undefined
  /**
   * Runs each attempt through a resilience policy (`policy.execute`): the retry is outside it,
   * `timeoutMs` limits each attempt including any wait inside the policy. The errors the policy
   * adds must be declared: list the policy among the workflow's deps.
   */
  policy?: AnyPolicy | undefined
  /**
   * Undoes the step (a saga): called with the step's value if the run later fails or is
   * cancelled. Compensations run in reverse order of completion, one at a time, each at most
   * once, with a signal the cancel does not abort; the run's error is then a CompensatedError.
   * Returns any Result form; its err (or throw) is reported in `CompensatedError.failed`.
   */
  compensate?: ((value: T, ctx: TaskContext) => ResultLike | ResultPromiseLike) | undefined
}

/** Options of `createWorkflow`. */
export interface WorkflowOptions {
  /** Names the workflow in events and the timeline. */
  name?: string | undefined
  /** Receives every event, in order; a throwing listener is ignored. */
  onEvent?: ((event: WorkflowEvent) => void) | undefined
  /** Aborting it cancels the run: `err(CancelledError)` at once, running steps aborted. */
  signal?: AbortSignal | undefined
  /** A limit on the whole run: `err(TimeoutError)` at once, running steps aborted. */
  timeoutMs?: number | undefined
  /**
   * Id of the run in events (default: a random UUID). With a `store` it is required: it names
   * the recorded history, and running the same `runId` again resumes it.
   */
  runId?: string | undefined
  /**
   * Makes runs durable: each finished step (ok value or err, as JSON) and the workflow's outcome
   * are saved under `runId`; running that `runId` again replays the saved steps without running
   * them and goes on from the first unsaved one. A finished run returns its saved outcome.
   * See `memoryStore`, `fileStore` and `WorkflowStore`.
   */
  store?: WorkflowStore | undefined
  /** Durable runs: how long the run's lease lasts without a heartbeat (renewed every third of it). Default 30 000. */
  leaseMs?: number | undefined
  /**
   * Durable runs: a run that ended with an err is retried: its saved ok steps replay and it runs
   * again from the step that failed. A run that ended ok still answers from its record.
   */
  retry?: boolean | undefined
}

/** Per-run overrides, given to the runner: `checkout(body, { signal })`. */
export type WorkflowRunOptions = Pick<WorkflowOptions, 'signal' | 'timeoutMs' | 'runId' | 'onEvent'>

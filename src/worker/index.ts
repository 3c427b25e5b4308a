// okflow/worker — typed CPU offload on worker threads. `defineWorkerTasks` and `transfer` are what a
// tasks module needs inside a thread. The pool runs on node:worker_threads (no thread-pool
// dependency); this entry also loads neverthrow and okflow's error classes, which a thread needs
// anyway to build Results.
export {
  CancelledError,
  DataCloneError,
  InvalidOptionsError,
  QueueFullError,
  TaskFailedError,
  TimeoutError,
  WorkerCrashedError,
} from '../errors.js'
export { defineWorkerTasks, type WorkerTask, type WorkerTaskMap, type WorkerTasks } from './define.js'
export type { DurationSummary } from './histogram.js'
export type { WorkerPoolOptions, WorkerPoolTypes, WorkerResourceLimits } from './options.js'
export { transfer } from './outcome.js'
export {
  type CloseOptions,
  createWorkerPool,
  type RunTaskOptions,
  type TransferItem,
  type WorkerPool,
  type WorkerPoolMetrics,
} from './pool.js'
export type { RemoteError, TaskError, TaskInput, TaskName, TaskOutput, WorkerRunError } from './types.js'

// okflow/worker — typed CPU offload on worker threads. `defineWorkerTasks` is what a tasks module
// needs inside a thread; the pool itself depends only on node:worker_threads, so importing this
// entry from a worker thread stays cheap.
export {
  CancelledError,
  InvalidOptionsError,
  QueueFullError,
  TaskFailedError,
  TimeoutError,
  WorkerCrashedError,
} from '../errors.js'
export { defineWorkerTasks, type WorkerTask, type WorkerTaskMap, type WorkerTasks } from './define.js'
export type { WorkerPoolOptions, WorkerResourceLimits } from './options.js'
export {
  type CloseOptions,
  createWorkerPool,
  type RunTaskOptions,
  type WorkerPool,
  type WorkerPoolMetrics,
} from './pool.js'
export type { RemoteError, TaskError, TaskInput, TaskName, TaskOutput, WorkerRunError } from './types.js'

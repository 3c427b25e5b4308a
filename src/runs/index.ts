export {
  type Client,
  type ClientOptions,
  createClient,
  type EmitResult,
  type ResultOptions,
  type ResultWaitError,
  type RunId,
  type StartedRun,
  type StartOptions,
} from './client.js'
export {
  type AnyRegisteredWorkflow,
  defineWorkflow,
  type RegisteredBody,
  type RegisteredWorkflow,
  type WorkflowInput,
  type WorkflowOutput,
  type WorkflowRunError,
} from './define.js'
export { type ShutdownSignalOptions, shutdownSignal } from './shutdown.js'
export { createWorker, type Worker, type WorkerMetrics, type WorkerOptions } from './worker.js'

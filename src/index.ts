// okflow — typed, Result-based async work on neverthrow. Everything here returns a Result.
export { err, errAsync, ok, okAsync, Result, ResultAsync } from 'neverthrow'
export { type MapStreamError, mapStream } from './batch/map-stream.js'
export { processInBatches } from './batch/process.js'
export type { Items } from './batch/source.js'
export type {
  BatchCheckpoint,
  BatchError,
  BatchMode,
  BatchProgress,
  BatchResult,
  BatchStats,
  CheckpointReturn,
  Collected,
  ItemContext,
  ItemErr,
  ItemError,
  ItemFn,
  ItemOk,
  ItemRetry,
  ItemReturn,
  MapStreamOptions,
  ProcessOptions,
  SettledBatch,
} from './batch/types.js'
export { type AllError, type AllOptions, allAsync } from './combinators/all.js'
export { type AllSettledError, allSettledAsync, type SettledError } from './combinators/all-settled.js'
export { type AnyError, anyAsync } from './combinators/any.js'
export { asCompleted, type Completed, type CompletedError } from './combinators/as-completed.js'
export { type HedgeError, type HedgeOptions, hedge } from './combinators/hedge.js'
export { partition } from './combinators/partition.js'
export { type RaceError, type RaceOptions, raceAsync } from './combinators/race.js'
export {
  type AttemptContext,
  type AttemptError,
  type Backoff,
  backoffDelay,
  type RetryError,
  type RetryOptions,
  type RetryTask,
  retry,
} from './combinators/retry.js'
export { type Selected, type SelectOptions, selectAsync } from './combinators/select.js'
export { type TimeoutOptions, type WithTimeoutError, withTimeout } from './combinators/timeout.js'
export {
  AllFailedError,
  CancelledError,
  InvalidOptionsError,
  type OkflowError,
  QueueFullError,
  ReplayMismatchError,
  RunLockedError,
  StoreError,
  TaskFailedError,
  TimeoutError,
  UnexpectedError,
  WorkerCrashedError,
} from './errors.js'
export {
  type ChunkError,
  type ChunkOptions,
  type ChunkStage,
  chunk,
  type FnStage,
  type Outputs,
  type Pipeline,
  type PipelineFailure,
  type PipelineMetrics,
  type PipelineMode,
  type PipelineOptions,
  type PipelineProgress,
  type PipelineResult,
  type PipelineRunError,
  type PoolStage,
  pipeline,
  type RunPipelineOptions,
  type SettledPipeline,
  type StageContext,
  type StageError,
  type StageMetrics,
} from './pipeline/index.js'
export type {
  AnyInput,
  ErrOf,
  ErrUnion,
  Input,
  Inputs,
  OkOf,
  OkUnion,
  OkValues,
  Resultish,
  ResultLike,
  ResultPromiseLike,
  Task,
  TaskContext,
} from './types.js'
export {
  createWorkflow,
  type DepsError,
  type DurableError,
  fileStore,
  type GroupStepOptions,
  type JsonValue,
  type LibraryError,
  type MemoryStore,
  memoryStore,
  type OffloadStepOptions,
  renderTimeline,
  type Step,
  type StepContext,
  type StepFn,
  type StepKind,
  type StepOptions,
  type StepRecord,
  type TimelineOptions,
  toMermaid,
  type UndeclaredStepError,
  type Workflow,
  type WorkflowBody,
  type WorkflowError,
  type WorkflowEvent,
  type WorkflowEventType,
  WorkflowExit,
  type WorkflowOptions,
  type WorkflowRunOptions,
  type WorkflowStore,
} from './workflow/index.js'

export type { DurableError, StepCodec } from './durable.js'
export type { StepKind, WorkflowEvent, WorkflowEventType } from './events.js'
export { toMermaid } from './mermaid.js'
export { WorkflowExit } from './run.js'
export type {
  GroupStepOptions,
  MapStepOptions,
  OffloadStepOptions,
  Step,
  StepFn,
  StepSelected,
  StepWaitCompleted,
  UndeclaredStepError,
  WaitForOptions,
} from './step.js'
export { fileStore } from './store/file.js'
export { type MemoryStore, memoryStore } from './store/memory.js'
export type {
  ChildRun,
  EmittedEvent,
  JsonValue,
  Lease,
  NewRun,
  RunFilter,
  RunInfo,
  RunQueue,
  RunState,
  RunStore,
  StepRecord,
  StoreOptions,
  WorkflowStore,
} from './store/types.js'
export {
  type AnyDurableTask,
  type ChildErr,
  type ChildFailure,
  type ChildInput,
  type ChildOk,
  type DurableTask,
  defineTask,
  type MapChild,
  type TaskCall,
  type TaskCallInfo,
  type TaskErr,
  type TaskFn,
  type TaskInput,
  type TaskOk,
} from './task.js'
export { renderTimeline, type TimelineOptions } from './timeline.js'
export type {
  DepsError,
  LibraryError,
  StepContext,
  StepOptions,
  WorkflowError,
  WorkflowFailure,
  WorkflowOptions,
  WorkflowRunOptions,
} from './types.js'
export { createWorkflow, type Workflow, type WorkflowBody } from './workflow.js'

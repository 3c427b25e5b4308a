export type { StepKind, WorkflowEvent, WorkflowEventType } from './events.js'
export { toMermaid } from './mermaid.js'
export { WorkflowExit } from './run.js'
export type { GroupStepOptions, OffloadStepOptions, Step, StepFn, UndeclaredStepError } from './step.js'
export { renderTimeline, type TimelineOptions } from './timeline.js'
export type {
  DepsError,
  LibraryError,
  RunOptions,
  StepContext,
  StepOptions,
  WorkflowError,
  WorkflowOptions,
} from './types.js'
export { createWorkflow, type Workflow, type WorkflowBody } from './workflow.js'

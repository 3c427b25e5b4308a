/** What a workflow step is: a plain step, a parallel group, a child of a group, a sleep, an offload, a wait for an event, a map over child tasks, a select, a waitCompleted, or the compensation of a step (`undo <name>`). */
export type StepKind =
  | 'step'
  | 'all'
  | 'any'
  | 'race'
  | 'child'
  | 'sleep'
  | 'offload'
  | 'waitFor'
  | 'map'
  | 'select'
  | 'waitCompleted'
  | 'compensate'

interface Base {
  /** Id of this run (the `runId` option, or a random UUID). */
  readonly runId: string
  /** The workflow's name. */
  readonly workflow: string
  /** Epoch milliseconds, with sub-millisecond precision. */
  readonly ts: number
  /**
   * True when the outcome came from a durable store instead of running: on a replayed step's
   * events, and on the terminal event of a finished run that returned its recorded result.
   */
  readonly replayed?: boolean
}

interface StepBase extends Base {
  /** Shared by a step's `step_start` and its ending event. */
  readonly stepId: string
  readonly name: string
  readonly kind: StepKind
  /** The group a child step belongs to. */
  readonly parentId?: string
  /** 1 for the first attempt. */
  readonly attempt: number
}

/**
 * What `onEvent` receives, in order: `workflow_start` first, one of `workflow_success`,
 * `workflow_error` or `workflow_cancelled` last; a step's `step_start` and its end share a `stepId`.
 */
export type WorkflowEvent =
  | (Base & { readonly type: 'workflow_start' })
  | (StepBase & { readonly type: 'step_start' })
  | (StepBase & { readonly type: 'step_retry'; readonly error: unknown; readonly delayMs: number })
  | (StepBase & { readonly type: 'step_success'; readonly durationMs: number })
  | (StepBase & { readonly type: 'step_error'; readonly durationMs: number; readonly error: unknown })
  | (StepBase & { readonly type: 'step_timeout'; readonly durationMs: number; readonly ms: number })
  | (Base & { readonly type: 'workflow_success'; readonly durationMs: number })
  | (Base & { readonly type: 'workflow_error'; readonly durationMs: number; readonly error: unknown })
  | (Base & { readonly type: 'workflow_cancelled'; readonly durationMs: number; readonly error: unknown })

/** The kinds of workflow event (`event.type`). */
export type WorkflowEventType = WorkflowEvent['type']

// timeOrigin is read once, on first use: its getter costs ~85 ns a read, more than performance.now().
let origin: number | undefined
/** Current time as epoch ms with sub-ms precision (timelines of fast steps need it). */
export const now = (): number => {
  origin ??= performance.timeOrigin
  return origin + performance.now()
}

import { describeError, type ErrorInfo } from '../internal/describe-error.js'
import type { StepKind, WorkflowEvent } from '../workflow/events.js'
import { type StepStatus, summarize } from '../workflow/summary.js'

/** One retry of a step: the attempt that failed, what it failed with and the wait before the next. */
export interface ReportRetry {
  readonly attempt: number
  readonly delayMs: number
  readonly error: ErrorInfo
}

/** One step as the report draws it; times are ms from the start of the run. */
export interface ReportStep {
  readonly id: string
  readonly name: string
  readonly kind: StepKind
  readonly depth: number
  /** Index of the group in `steps`, -1 for a top-level step. */
  readonly parent: number
  readonly start: number
  /** null while the step was still running when the events end. */
  readonly duration: number | null
  readonly status: StepStatus
  readonly attempts: number
  readonly retries: readonly ReportRetry[]
  readonly error?: ErrorInfo
  /** The limit of a step that timed out. */
  readonly timeoutMs?: number
  readonly replayed: boolean
}

/** A run folded from its events, ready to draw. */
export interface ReportRun {
  readonly workflow: string
  readonly runId: string
  readonly status: 'ok' | 'error' | 'cancelled' | 'running'
  /** Epoch ms of the first event (0 when there are none). */
  readonly startedAt: number
  readonly durationMs: number
  /** The run's own outcome came from a durable store (a finished run answering from its record). */
  readonly replayed: boolean
  readonly error?: ErrorInfo
  /** Depth-first: each group is followed by its children. */
  readonly steps: readonly ReportStep[]
}

interface Extra {
  attempts: number
  retries: ReportRetry[]
  error?: ErrorInfo
  timeoutMs?: number
}

/** The rows of `summarize` (order, depth, status) with what a report shows besides: errors, retries, limits. */
export function reportModel(events: readonly WorkflowEvent[]): ReportRun {
  const run = summarize(events)
  const extra = new Map<string, Extra>()
  let runError: ErrorInfo | undefined
  let replayed = false
  for (const e of events) {
    if (e.type === 'workflow_error' || e.type === 'workflow_cancelled') runError = describeError(e.error)
    if (e.type === 'workflow_start') continue
    if (!('stepId' in e)) {
      replayed ||= e.replayed === true
      continue
    }
    const x = extra.get(e.stepId) ?? { attempts: 1, retries: [] }
    extra.set(e.stepId, x)
    x.attempts = Math.max(x.attempts, e.attempt)
    if (e.type === 'step_retry') {
      x.retries.push({ attempt: e.attempt, delayMs: e.delayMs, error: describeError(e.error) })
      x.attempts = Math.max(x.attempts, e.attempt + 1)
    } else if (e.type === 'step_error') x.error = describeError(e.error)
    else if (e.type === 'step_timeout') x.timeoutMs = e.ms
  }
  const index = new Map(run.steps.map((r, i) => [r.stepId, i]))
  const steps = run.steps.map((r): ReportStep => {
    const x = extra.get(r.stepId)
    const step: ReportStep = {
      id: r.stepId,
      name: r.name,
      kind: r.kind,
      depth: r.depth,
      parent: r.parentId === undefined ? -1 : (index.get(r.parentId) ?? -1),
      start: r.start - run.start,
      duration: r.end === undefined ? null : r.end - r.start,
      status: r.status,
      attempts: x?.attempts ?? 1,
      retries: x?.retries ?? [],
      replayed: r.replayed,
    }
    return {
      ...step,
      ...(x?.error ? { error: x.error } : {}),
      ...(x?.timeoutMs !== undefined ? { timeoutMs: x.timeoutMs } : {}),
    }
  })
  return {
    workflow: run.workflow,
    runId: run.runId,
    status: run.status,
    startedAt: run.start,
    durationMs: run.end - run.start,
    replayed,
    ...(runError ? { error: runError } : {}),
    steps,
  }
}

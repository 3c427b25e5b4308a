import { match } from 'ts-pattern'
import type { StepKind, WorkflowEvent } from './events.js'

export type StepStatus = 'ok' | 'error' | 'timeout' | 'cancelled' | 'running'

/** One step of a run, rebuilt from its events. */
export interface StepRow {
  readonly stepId: string
  readonly name: string
  readonly kind: StepKind
  readonly parentId: string | undefined
  readonly depth: number
  readonly start: number
  end: number | undefined
  status: StepStatus
  retries: number
  replayed: boolean
}

/** The run a list of events describes: its steps in start order, its span and its outcome. */
export interface RunSummary {
  readonly workflow: string
  readonly runId: string
  readonly start: number
  readonly end: number
  readonly status: 'ok' | 'error' | 'cancelled' | 'running'
  readonly steps: StepRow[]
}

const isCancel = (error: unknown) => (error as { _tag?: unknown } | null)?._tag === 'CancelledError'

/** Folds events into rows: the shared model behind `renderTimeline` and `toMermaid`. */
export function summarize(events: readonly WorkflowEvent[]): RunSummary {
  const rows = new Map<string, StepRow>()
  let workflow = 'workflow'
  let runId = ''
  let start = Number.POSITIVE_INFINITY
  let end = Number.NEGATIVE_INFINITY
  let status: RunSummary['status'] = 'running'
  const close = (stepId: string, ts: number, s: StepStatus) => {
    const row = rows.get(stepId)
    if (!row) return
    row.end = ts
    row.status = s
  }
  for (const e of events) {
    workflow = e.workflow
    runId = e.runId
    start = Math.min(start, e.ts)
    end = Math.max(end, e.ts)
    // Exhaustive: a new event type fails to compile here until it is drawn.
    match(e)
      .with({ type: 'workflow_start' }, () => {})
      .with({ type: 'step_start' }, (s) => {
        const parent = s.parentId === undefined ? undefined : rows.get(s.parentId)
        rows.set(s.stepId, {
          stepId: s.stepId,
          name: s.name,
          kind: s.kind,
          parentId: s.parentId,
          depth: parent ? parent.depth + 1 : 0,
          start: s.ts,
          end: undefined,
          status: 'running',
          retries: 0,
          replayed: s.replayed === true,
        })
      })
      .with({ type: 'step_retry' }, (s) => {
        const row = rows.get(s.stepId)
        if (row) row.retries++
      })
      .with({ type: 'step_success' }, (s) => {
        close(s.stepId, s.ts, 'ok')
        const row = rows.get(s.stepId)
        if (row && s.replayed) row.replayed = true
      })
      .with({ type: 'step_timeout' }, (s) => close(s.stepId, s.ts, 'timeout'))
      .with({ type: 'step_error' }, (s) => close(s.stepId, s.ts, isCancel(s.error) ? 'cancelled' : 'error'))
      .with({ type: 'workflow_success' }, () => {
        status = 'ok'
      })
      .with({ type: 'workflow_error' }, () => {
        status = 'error'
      })
      .with({ type: 'workflow_cancelled' }, () => {
        status = 'cancelled'
      })
      .exhaustive()
  }
  if (!Number.isFinite(start)) start = end = 0
  return { workflow, runId, start, end, status, steps: depthFirst(rows) }
}

/**
 * Rows in start order, but each group followed by its own children: when steps run in parallel
 * a child may start after an unrelated step, and must still be drawn under its group.
 */
function depthFirst(rows: Map<string, StepRow>): StepRow[] {
  const children = new Map<string | undefined, StepRow[]>()
  for (const row of rows.values()) {
    const parent = row.parentId !== undefined && rows.has(row.parentId) ? row.parentId : undefined
    const list = children.get(parent)
    if (list) list.push(row)
    else children.set(parent, [row])
  }
  const out: StepRow[] = []
  const stack = [...(children.get(undefined) ?? [])].reverse()
  while (stack.length > 0) {
    const row = stack.pop() as StepRow
    out.push(row)
    const kids = children.get(row.stepId)
    if (kids) for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i] as StepRow)
  }
  return out
}

/** Milliseconds for people: `0.42 ms`, `12.3 ms`, `1.20 s`. */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`
  if (ms >= 10) return `${ms.toFixed(1)} ms`
  return `${ms.toFixed(2)} ms`
}

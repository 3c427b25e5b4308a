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

const EVENT_TYPES = new Set<string>([
  'workflow_start',
  'step_start',
  'step_retry',
  'step_success',
  'step_error',
  'step_timeout',
  'workflow_success',
  'workflow_error',
  'workflow_cancelled',
])

/**
 * Checks one event and copies the fields the drawing reads (read once, so a getter cannot
 * answer differently later). Throws a TypeError naming the caller and the position.
 */
function readEvent(value: unknown, i: number, caller: string): WorkflowEvent {
  const bad = (why: string) => new TypeError(`${caller}: events[${i}] is not a workflow event (${why})`)
  let e: Record<string, unknown>
  try {
    if (typeof value !== 'object' || value === null) throw bad('not an object')
    e = { ...value }
  } catch (x) {
    throw x instanceof TypeError ? x : bad('its fields cannot be read')
  }
  if (typeof e.type !== 'string' || !EVENT_TYPES.has(e.type)) throw bad('unknown `type`')
  if (typeof e.runId !== 'string' || typeof e.workflow !== 'string') throw bad('`runId` and `workflow` must be strings')
  if (typeof e.ts !== 'number' || !Number.isFinite(e.ts)) throw bad('`ts` must be a finite number')
  if (e.type.startsWith('step_')) {
    if (typeof e.stepId !== 'string' || typeof e.name !== 'string' || typeof e.kind !== 'string') {
      throw bad('`stepId`, `name` and `kind` must be strings')
    }
    if (e.parentId !== undefined && typeof e.parentId !== 'string') throw bad('`parentId` must be a string')
  }
  return e as unknown as WorkflowEvent
}

/**
 * The events of each run, in the order runs first appear: one array of events may hold several
 * runs (one listener shared by many runs), and their step ids (`s1`, …) repeat across runs.
 * Throws a TypeError for anything that is not an array of workflow events.
 */
export function splitRuns(events: unknown, caller: string): WorkflowEvent[][] {
  if (!Array.isArray(events)) throw new TypeError(`${caller}: events must be an array of workflow events`)
  const runs = new Map<string, WorkflowEvent[]>()
  let n: number
  try {
    n = events.length
  } catch {
    throw new TypeError(`${caller}: events must be an array of workflow events`)
  }
  for (let i = 0; i < n; i++) {
    let value: unknown
    try {
      value = events[i]
    } catch {
      throw new TypeError(`${caller}: events[${i}] cannot be read`)
    }
    const e = readEvent(value, i, caller)
    const list = runs.get(e.runId)
    if (list) list.push(e)
    else runs.set(e.runId, [e])
  }
  return [...runs.values()]
}

/** Folds the events of one run into rows: the shared model behind `renderTimeline` and `toMermaid`. */
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
    if (e.ts < start) start = e.ts
    if (e.ts > end) end = e.ts
    switch (e.type) {
      case 'workflow_start':
        break
      case 'step_start': {
        const parent = e.parentId === undefined ? undefined : rows.get(e.parentId)
        rows.set(e.stepId, {
          stepId: e.stepId,
          name: e.name,
          kind: e.kind,
          parentId: e.parentId,
          depth: parent ? parent.depth + 1 : 0,
          start: e.ts,
          end: undefined,
          status: 'running',
          retries: 0,
          replayed: e.replayed === true,
        })
        break
      }
      case 'step_retry': {
        const row = rows.get(e.stepId)
        if (row) row.retries++
        break
      }
      case 'step_success': {
        close(e.stepId, e.ts, 'ok')
        const row = rows.get(e.stepId)
        if (row && e.replayed) row.replayed = true
        break
      }
      case 'step_timeout':
        close(e.stepId, e.ts, 'timeout')
        break
      case 'step_error':
        close(e.stepId, e.ts, isCancel(e.error) ? 'cancelled' : 'error')
        break
      case 'workflow_success':
        status = 'ok'
        break
      case 'workflow_error':
        status = 'error'
        break
      case 'workflow_cancelled':
        status = 'cancelled'
        break
      default:
        // Exhaustive: a new event type fails to compile here until it is drawn.
        e satisfies never
    }
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

// okflow/otel — workflow runs as OpenTelemetry traces. The only module that loads
// `@opentelemetry/api` (an optional peer dependency): `okflow` itself never imports it.
import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { InvalidOptionsError } from '../errors.js'
import { describeError } from '../internal/describe-error.js'
import type { WorkflowEvent } from '../workflow/events.js'

/** Options of `otelEvents`. */
export interface OtelEventsOptions {
  /** Where spans go, e.g. `trace.getTracer('checkout-service')`. */
  tracer: Tracer
  /**
   * The context a run's span starts in (default: the active context when the run starts, so a
   * run started inside a request's span nests under it).
   */
  parent?: (() => Context) | undefined
  /** Extra attributes on every run span (e.g. `{ 'service.name': … }` if your SDK sets none). */
  attributes?: Attributes | undefined
}

interface OpenRun {
  readonly span: Span
  readonly ctx: Context
  readonly steps: Map<string, { span: Span; ctx: Context }>
}

const isCancel = (e: unknown) => (e as { _tag?: unknown } | null)?._tag === 'CancelledError'

/** `error.type` (semantic conventions): the error's tag or class name. */
function failed(span: Span, error: unknown, ts: number): void {
  const info = describeError(error)
  span.setAttribute('error.type', info.name)
  span.recordException({ name: info.name, message: info.message, ...(info.stack ? { stack: info.stack } : {}) }, ts)
  span.setStatus({ code: SpanStatusCode.ERROR, message: info.message || info.name })
}

/**
 * An `onEvent` handler that turns workflow runs into OpenTelemetry spans: one span per run and
 * one per step, children nested under their group, with the events' own timestamps.
 *
 * - Errors: the span's status is ERROR, the exception is recorded (an `exception` event) and
 *   `error.type` names it; a timeout is an error of type `TimeoutError`. A step cancelled
 *   because its group no longer needed it (a race's loser) ends with status UNSET.
 * - Retries: an `okflow.step.retry` event on the step's span per failed attempt.
 * - Replays: a step answered from a durable store did not run, so it gets no span: it is an
 *   `okflow.step.replayed` event on the run's span.
 * - Attributes: `okflow.workflow.name`, `okflow.run.id`, `okflow.step.{id,name,kind,attempts}`,
 *   `okflow.outcome`, and semantic-convention `error.type` on failures.
 *
 * One handler serves any number of runs, concurrent ones included (events are routed by
 * `runId`). It never throws into the workflow: telemetry must not break the work.
 *
 * @example
 * const checkout = createWorkflow(deps, { name: 'checkout', onEvent: otelEvents({ tracer: trace.getTracer('shop') }) })
 */
export function otelEvents(opts: OtelEventsOptions): (event: WorkflowEvent) => void {
  const tracer = opts?.tracer
  if (typeof (tracer as Partial<Tracer> | undefined)?.startSpan !== 'function') {
    const bad = new InvalidOptionsError('tracer', tracer, 'an OpenTelemetry Tracer')
    return () => {
      throw bad
    }
  }
  // Per runId, the runs open under it: more than one when a second run of the same id starts and
  // is refused (RunLockedError: a start and an error, no steps) while the first goes on. Steps go
  // to the oldest, an ending to the newest, which keeps both traces whole.
  const runs = new Map<string, OpenRun[]>()
  const parentOf = opts.parent ?? (() => context.active())

  const handle = (e: WorkflowEvent): void => {
    if (e.type === 'workflow_start') {
      const attributes: Attributes = {
        ...opts.attributes,
        'okflow.workflow.name': e.workflow,
        'okflow.run.id': e.runId,
      }
      const parent = parentOf()
      const span = tracer.startSpan(e.workflow, { kind: SpanKind.INTERNAL, startTime: e.ts, attributes }, parent)
      const open = runs.get(e.runId) ?? []
      open.push({ span, ctx: trace.setSpan(parent, span), steps: new Map() })
      runs.set(e.runId, open)
      return
    }
    const open = runs.get(e.runId)
    if (!open || open.length === 0) return
    if (e.type === 'workflow_success' || e.type === 'workflow_error' || e.type === 'workflow_cancelled') {
      const run = open.pop() as OpenRun
      if (open.length === 0) runs.delete(e.runId)
      const outcome = e.type === 'workflow_success' ? 'ok' : e.type === 'workflow_error' ? 'error' : 'cancelled'
      run.span.setAttribute('okflow.outcome', outcome)
      if (e.replayed) run.span.setAttribute('okflow.run.replayed', true)
      if (e.type !== 'workflow_success') failed(run.span, e.error, e.ts)
      // Steps still open (the events were cut short) end with the run, not never.
      for (const s of run.steps.values()) s.span.end(e.ts)
      run.span.end(e.ts)
      return
    }
    const run = open[0] as OpenRun
    const step = {
      'okflow.step.id': e.stepId,
      'okflow.step.name': e.name,
      'okflow.step.kind': e.kind,
    }
    if (e.replayed) {
      // Not run again: recorded on the run, where a reader of the trace sees what was skipped.
      if (e.type !== 'step_start' && e.type !== 'step_retry') {
        run.span.addEvent(
          'okflow.step.replayed',
          { ...step, 'okflow.outcome': e.type === 'step_success' ? 'ok' : 'error' },
          e.ts,
        )
      }
      return
    }
    if (e.type === 'step_start') {
      const parent = (e.parentId !== undefined ? run.steps.get(e.parentId)?.ctx : undefined) ?? run.ctx
      const span = tracer.startSpan(e.name, { kind: SpanKind.INTERNAL, startTime: e.ts, attributes: step }, parent)
      run.steps.set(e.stepId, { span, ctx: trace.setSpan(parent, span) })
      return
    }
    const current = run.steps.get(e.stepId)
    if (!current) return
    const { span } = current
    if (e.type === 'step_retry') {
      const info = describeError(e.error)
      span.addEvent(
        'okflow.step.retry',
        {
          'okflow.step.attempt': e.attempt,
          'okflow.retry.delay_ms': e.delayMs,
          'error.type': info.name,
          'exception.message': info.message,
        },
        e.ts,
      )
      return
    }
    run.steps.delete(e.stepId)
    span.setAttribute('okflow.step.attempts', e.attempt)
    if (e.type === 'step_success') span.setAttribute('okflow.outcome', 'ok')
    else if (e.type === 'step_timeout') {
      span.setAttribute('okflow.outcome', 'timeout')
      span.setAttribute('okflow.step.timeout_ms', e.ms)
      span.setAttribute('error.type', 'TimeoutError')
      span.recordException({ name: 'TimeoutError', message: `no result within ${e.ms} ms` }, e.ts)
      span.setStatus({ code: SpanStatusCode.ERROR, message: `timed out after ${e.ms} ms` })
    } else if (isCancel(e.error)) span.setAttribute('okflow.outcome', 'cancelled')
    else {
      span.setAttribute('okflow.outcome', 'error')
      failed(span, e.error, e.ts)
    }
    span.end(e.ts)
  }

  return (e) => {
    try {
      handle(e)
    } catch {
      // A failing exporter or tracer must not break the run (the workflow ignores throws too).
    }
  }
}

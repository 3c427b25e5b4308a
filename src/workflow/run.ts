import { err, type Result } from 'neverthrow'
import { CancelledError, TimeoutError } from '../errors.js'
import type { Cancel } from '../internal/run.js'
import type { ResultLike, ResultPromiseLike, TaskContext } from '../types.js'
import type { Durable } from './durable.js'
import { now, type StepKind, type WorkflowEvent } from './events.js'

/**
 * What a step throws to end the workflow with its err. It is an Error so that a stray
 * `catch (e)` that logs it says what happened; the workflow does not depend on it arriving:
 * the first step error is recorded on the run, so swallowing this changes nothing.
 */
export class WorkflowExit extends Error {
  override readonly name = 'WorkflowExit'
  readonly error: unknown
  constructor(error: unknown, step: string) {
    super(`okflow: step "${step}" failed`)
    this.error = error
  }
}

/** A step between its start and its end: the run holds it in its open set until it ends. */
export interface OpenStep {
  /** Numbered in start order; shown as `s<id>` in events. */
  readonly id: number
  readonly name: string
  readonly kind: StepKind
  readonly parent: OpenStep | undefined
  /** Start time, read only when someone listens to events (0 otherwise). */
  readonly start: number
  /** The outcome comes from a durable store. */
  readonly replayed: boolean
  attempt: number
  /** Stops the step's work at once (steps register one instead of a signal listener each). */
  cancel: Cancel | undefined
}

type AnyResult = Result<unknown, unknown>

/** A step's `compensate` option: undoes the step, given its value. */
export type Compensate = (value: unknown, ctx: TaskContext) => ResultLike | ResultPromiseLike

/** A completed step with a `compensate`, as the run lists it (in completion order). */
export interface Undo {
  /** The step's position (durable runs: its compensation markers are at -(2 + 2*pos) and -(3 + 2*pos)). */
  readonly pos: number
  readonly name: string
  readonly fn: Compensate
  readonly value: unknown
}

/**
 * The state of one workflow run: open steps, the first error, and the event stream.
 * Guarantees the event contract: `step_start` and its end share a stepId, children end before
 * their group, every open step is closed before the terminal event, and nothing follows it.
 */
export interface WorkflowRun {
  readonly runId: string
  /** The first step error: it decides the workflow's result even if the user catches the exit. */
  exit: { error: unknown } | undefined
  /** The recorded history, when the workflow has a store. */
  durable: Durable | undefined
  /** Completed steps that have a `compensate`, in completion order (made on first use). */
  undo?: Undo[]
  /** Aborted when the run stops or ends, for steps that take a signal (made on first use). */
  readonly signal: AbortSignal
  /**
   * Why a new step may not start, or undefined when it may. Checked synchronously at every step
   * start: once the run has exited (a caught exit must not run more work), was cancelled or
   * timed out, or ended, every later step is refused.
   */
  refusal(name: string): WorkflowExit | undefined
  begin(name: string, kind: StepKind, parent?: OpenStep, replayed?: boolean): OpenStep
  retrying(s: OpenStep, error: unknown, delayMs: number): void
  /** Ends a step with its result; returns false if it had already been closed. */
  end(s: OpenStep, result: AnyResult): boolean
  /**
   * Stops the run at once (cancelled or timed out) while it still has work to finish before its
   * end (a durable run closing its store): no step starts any more and running steps are aborted.
   */
  stop(reason: unknown): void
  /** Closes every open step as cancelled, then emits the terminal event. Nothing is emitted after. */
  finish(result: AnyResult, replayed?: boolean): void
}

// A closure rather than a class: its state stays private and minifies to short names (the
// createWorkflow bundle has a size budget).
export function createRun(
  runId: string,
  workflow: string,
  onEvent: ((event: WorkflowEvent) => void) | undefined,
): WorkflowRun {
  let seq = 0
  const open = new Set<OpenStep>()
  let ended = false
  /** Set the moment the run is cancelled or timed out, before any store is closed. */
  let stopped: CancelledError | undefined
  let controller: AbortController | undefined
  const started = now()

  const abortAll = (steps: OpenStep[], reason: CancelledError) => {
    for (const o of steps) o.cancel?.(reason)
    controller?.abort(reason)
  }

  const emit = (event: Record<string, unknown>): void => {
    if (ended || !onEvent) return
    try {
      onEvent(event as unknown as WorkflowEvent)
    } catch {
      // A failing listener must not change the outcome of the work it observes.
    }
  }

  // Built only when someone listens: one object per event, type first (it reads well in logs).
  const stepEvent = (type: WorkflowEvent['type'], s: OpenStep, ts: number): Record<string, unknown> => {
    const e: Record<string, unknown> = {
      type,
      runId,
      workflow,
      ts,
      stepId: `s${s.id}`,
      name: s.name,
      kind: s.kind,
      attempt: s.attempt,
    }
    if (s.parent) e.parentId = `s${s.parent.id}`
    if (s.replayed) e.replayed = true
    return e
  }

  const end = (s: OpenStep, result: AnyResult): boolean => {
    if (!open.has(s)) return false
    // Only groups have children; scanning for every step would make many parallel steps O(n²).
    if (isGroup(s.kind) && open.size > 1) for (const o of [...open]) if (o.parent === s) end(o, cancelledResult())
    open.delete(s)
    if (!onEvent) return true
    const ts = now()
    const error = result.isOk() ? undefined : result.error
    const timeout = error instanceof TimeoutError
    const e = stepEvent(result.isOk() ? 'step_success' : timeout ? 'step_timeout' : 'step_error', s, ts)
    e.durationMs = ts - s.start
    if (timeout) e.ms = error.ms
    else if (!result.isOk()) e.error = error
    emit(e)
    return true
  }

  if (onEvent) emit({ type: 'workflow_start', runId, workflow, ts: started })

  return {
    runId,
    exit: undefined,
    durable: undefined,
    get signal() {
      controller ??= new AbortController()
      if (ended || stopped) controller.abort(stopped ?? cancelledStep())
      return controller.signal
    },
    refusal(name) {
      const why = stopped ?? (ended ? cancelledStep() : undefined)
      if (this.exit || why) return new WorkflowExit(this.exit ? this.exit.error : why, name)
      return undefined
    },
    begin(name, kind, parent, replayed = false) {
      const s: OpenStep = {
        id: ++seq,
        name,
        kind,
        parent,
        start: onEvent ? now() : 0,
        replayed,
        attempt: 1,
        cancel: undefined,
      }
      open.add(s)
      if (onEvent) emit(stepEvent('step_start', s, s.start))
      return s
    },
    retrying(s, error, delayMs) {
      if (!open.has(s)) return
      if (onEvent) {
        const e = stepEvent('step_retry', s, now())
        e.error = error
        e.delayMs = delayMs
        emit(e)
      }
      s.attempt++
    },
    end,
    stop(reason) {
      if (stopped || ended) return
      stopped = reason instanceof CancelledError ? reason : new CancelledError(reason)
      abortAll([...open], stopped)
    },
    finish(result, replayed) {
      const left = [...open]
      for (const o of left) end(o, cancelledResult())
      if (onEvent) {
        const ts = now()
        const e: Record<string, unknown> = { type: 'workflow_success', runId, workflow, ts, durationMs: ts - started }
        if (replayed) e.replayed = true
        if (result.isErr()) {
          e.type = result.error instanceof CancelledError ? 'workflow_cancelled' : 'workflow_error'
          e.error = result.error
        }
        emit(e)
      }
      ended = true
      // Only now stop the work: late results then find their steps closed and emit nothing.
      // An Error captures a stack: make one only when something is left to stop.
      if (controller || left.some((o) => o.cancel)) abortAll(left, cancelledStep())
    },
  }
}

const isGroup = (kind: StepKind) => kind === 'all' || kind === 'any' || kind === 'race'

function cancelledStep(): CancelledError {
  return new CancelledError('the workflow has ended')
}

const cancelledResult = (): AnyResult => err(cancelledStep())

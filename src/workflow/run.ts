import type { Result } from 'neverthrow'
import { CancelledError, TimeoutError } from '../errors.js'
import type { Cancel } from '../internal/run.js'
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
    super(`okflow: step "${step}" failed, ending the workflow (let this propagate; catching it does not stop the exit)`)
    this.error = error
  }
}

interface Open {
  readonly name: string
  readonly kind: StepKind
  readonly parentId: string | undefined
  readonly start: number
  readonly replayed: boolean | undefined
  attempt: number
  /** Stops the step's run at once (plain steps register one instead of a signal listener each). */
  cancel?: Cancel | undefined
}

export interface StepMeta {
  readonly name: string
  readonly kind: StepKind
  readonly parentId?: string | undefined
  /** The outcome comes from a durable store. */
  readonly replayed?: boolean | undefined
}

/**
 * The state of one workflow run: ids, open steps, the first error, and the event stream.
 * Guarantees the event contract: `step_start` and its end share a stepId, children end before
 * their group, every open step is closed before the terminal event, and nothing follows it.
 */
export class Run {
  private seq = 0
  private readonly open = new Map<string, Open>()
  private ended = false
  /** The first step error: it decides the workflow's result even if the user catches the exit. */
  exit: { error: unknown } | undefined
  /** The recorded history, when the workflow has a store. */
  durable: Durable | undefined
  readonly started = now()

  private controller: AbortController | undefined

  constructor(
    readonly runId: string,
    readonly workflow: string,
    private readonly onEvent: ((event: WorkflowEvent) => void) | undefined,
  ) {}

  /** Aborted when the run ends, for steps that take a signal (made on first use). */
  get signal(): AbortSignal {
    this.controller ??= new AbortController()
    if (this.ended) this.controller.abort(cancelledStep())
    return this.controller.signal
  }

  /** Registers how to stop a running step when the run ends. */
  track(stepId: string, cancel: Cancel): void {
    const o = this.open.get(stepId)
    if (o) o.cancel = cancel
  }

  emit(event: WorkflowEvent): void {
    if (this.ended || !this.onEvent) return
    try {
      this.onEvent(event)
    } catch {
      // A failing listener must not change the outcome of the work it observes.
    }
  }

  private base() {
    return { runId: this.runId, workflow: this.workflow, ts: now() }
  }

  /** Refuses new steps once the run has exited or ended (a caught exit must not run more work). */
  check(name: string): void {
    if (this.exit) throw new WorkflowExit(this.exit.error, name)
    if (this.ended) throw new WorkflowExit(new CancelledError('the workflow has already ended'), name)
  }

  begin(meta: StepMeta): string {
    const stepId = `s${++this.seq}`
    const start = now()
    this.open.set(stepId, {
      name: meta.name,
      kind: meta.kind,
      parentId: meta.parentId,
      start,
      replayed: meta.replayed,
      attempt: 1,
    })
    if (this.onEvent) this.emit({ type: 'step_start', ...this.stepFields(stepId, start) })
    return stepId
  }

  retrying(stepId: string, error: unknown, delayMs: number): void {
    const o = this.open.get(stepId)
    if (!o) return
    if (this.onEvent) this.emit({ type: 'step_retry', ...this.stepFields(stepId, now()), error, delayMs })
    o.attempt++
  }

  /** Ends a step with its result; returns false if it had already been closed. */
  end(stepId: string, result: Result<unknown, unknown>): boolean {
    const o = this.open.get(stepId)
    if (!o) return false
    // Only groups have children; scanning for every step would make many parallel steps O(n²).
    if (isGroup(o.kind) && this.open.size > 1) this.closeChildren(stepId)
    if (!this.onEvent) {
      this.open.delete(stepId)
      return true
    }
    const fields = this.stepFields(stepId, now())
    const durationMs = fields.ts - o.start
    this.open.delete(stepId)
    if (result.isOk()) this.emit({ type: 'step_success', ...fields, durationMs })
    else if (result.error instanceof TimeoutError) {
      this.emit({ type: 'step_timeout', ...fields, durationMs, ms: result.error.ms })
    } else this.emit({ type: 'step_error', ...fields, durationMs, error: result.error })
    return true
  }

  private closeChildren(parentId: string): void {
    for (const [id, o] of this.open) {
      if (o.parentId === parentId) this.end(id, { isOk: () => false, error: cancelledStep() } as never)
    }
  }

  // Built only when someone listens: events are the main per-step cost otherwise.
  private stepFields(stepId: string, ts: number) {
    const o = this.open.get(stepId) as Open
    const fields = {
      runId: this.runId,
      workflow: this.workflow,
      ts,
      stepId,
      name: o.name,
      kind: o.kind,
      attempt: o.attempt,
    }
    const withParent = o.parentId === undefined ? fields : { ...fields, parentId: o.parentId }
    return o.replayed ? { ...withParent, replayed: true } : withParent
  }

  start(): void {
    this.emit({ type: 'workflow_start', ...this.base() })
  }

  /** Closes every open step as cancelled, then emits the terminal event. Nothing is emitted after. */
  finish(result: Result<unknown, unknown>, replayed?: boolean): void {
    const cancels: Cancel[] = []
    for (const id of [...this.open.keys()]) {
      const o = this.open.get(id)
      if (!o) continue
      if (o.cancel) cancels.push(o.cancel)
      this.end(id, { isOk: () => false, error: cancelledStep() } as never)
    }
    const base = replayed
      ? { ...this.base(), durationMs: now() - this.started, replayed }
      : { ...this.base(), durationMs: now() - this.started }
    if (result.isOk()) this.emit({ type: 'workflow_success', ...base })
    else if (result.error instanceof CancelledError) {
      this.emit({ type: 'workflow_cancelled', ...base, error: result.error })
    } else this.emit({ type: 'workflow_error', ...base, error: result.error })
    this.ended = true
    // Only now stop the work: late results then find their steps closed and emit nothing.
    // An Error captures a stack: make one only when something is left to stop.
    if (cancels.length === 0 && this.controller === undefined) return
    const reason = cancelledStep()
    for (const cancel of cancels) cancel(reason)
    this.controller?.abort(reason)
  }
}

const isGroup = (kind: StepKind) => kind === 'all' || kind === 'any' || kind === 'race'

function cancelledStep(): CancelledError {
  return new CancelledError('the workflow ended while this step was running')
}

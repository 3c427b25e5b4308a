import { randomUUID } from 'node:crypto'
import { err, ok, type Result, ResultAsync } from 'neverthrow'
import { InvalidOptionsError } from '../errors.js'
import { checkFunction, checkMs, checkSignal, firstError } from '../internal/options.js'
import { runOne } from '../internal/run.js'
import { fromThrow } from '../internal/start.js'
import { Run, WorkflowExit } from './run.js'
import { makeStep, type Step } from './step.js'
import type { RunOptions, WorkflowError, WorkflowOptions } from './types.js'

/** The body of a workflow: plain async code that calls `step` for each unit of work. */
export type WorkflowBody<D, T> = (step: Step<WorkflowError<D>>, deps: D) => T | PromiseLike<T>

/** Runs a workflow body; returns its value as `ok`, or the first step error. */
export type Workflow<D> = <T>(body: WorkflowBody<D, T>, opts?: RunOptions) => ResultAsync<T, WorkflowError<D>>

function checkOptions(o: WorkflowOptions): InvalidOptionsError | undefined {
  if (o.name !== undefined && typeof o.name !== 'string') return new InvalidOptionsError('name', o.name, 'a string')
  if (o.runId !== undefined && (typeof o.runId !== 'string' || o.runId === '')) {
    return new InvalidOptionsError('runId', o.runId, 'a non-empty string')
  }
  return firstError(
    checkFunction('onEvent', o.onEvent),
    checkSignal('signal', o.signal),
    checkMs('timeoutMs', o.timeoutMs),
  )
}

/**
 * Builds a workflow over `deps` (functions returning Results, worker pools, anything else the
 * body needs). The result's error type is the union of the deps' error types plus okflow's own —
 * inferred, never written by hand.
 *
 * @example
 * const checkout = createWorkflow({ fetchUser, chargeCard }, { name: 'checkout', onEvent })
 * const result = await checkout(async (step, deps) => {
 *   const user = await step(() => deps.fetchUser(id), { name: 'fetch user', timeoutMs: 500, retry: { attempts: 3 } })
 *   const receipt = await step(({ signal }) => deps.chargeCard(user, signal), { name: 'charge' })
 *   return { user, receipt }
 * })
 *
 * `step` resolves to the ok value; an err ends the workflow with that err. It does so by
 * throwing a `WorkflowExit`, but the error is also recorded on the run: a `try/catch` that
 * swallows the exit changes nothing — the workflow still returns the step's err, and further
 * steps refuse to start.
 */
export function createWorkflow<D>(deps: D, options: WorkflowOptions = {}): Workflow<D> {
  return <T>(body: WorkflowBody<D, T>, runOpts?: RunOptions): ResultAsync<T, WorkflowError<D>> => {
    const o: WorkflowOptions = { ...options, ...runOpts }
    const bad = checkOptions(o) ?? checkFunction('body', body, false)
    if (bad) return new ResultAsync(Promise.resolve(err(bad)))
    return new ResultAsync(runWorkflow(deps, body, o))
  }
}

function runWorkflow<D, T>(
  deps: D,
  body: WorkflowBody<D, T>,
  o: WorkflowOptions,
): Promise<Result<T, WorkflowError<D>>> {
  type R = Result<T, WorkflowError<D>>
  const name = o.name ?? 'workflow'
  const run = new Run(o.runId ?? randomUUID(), name, o.onEvent)
  run.start()
  const bodyTask = (): Promise<R> => {
    const step = makeStep<WorkflowError<D>>(run)
    return Promise.resolve()
      .then(() => body(step, deps))
      .then(
        (value): R => (run.exit ? err(run.exit.error as WorkflowError<D>) : ok(value)),
        (e: unknown): R => {
          if (run.exit) return err(run.exit.error as WorkflowError<D>)
          if (e instanceof WorkflowExit) return err(e.error as WorkflowError<D>)
          return fromThrow(e)
        },
      )
  }
  return new Promise<R>((resolve) => {
    // However the run ends (body done, timeout, abort), `finish` closes and cancels every step
    // still running, so no step outlives its workflow.
    runOne<T, WorkflowError<D>>(bodyTask, { signal: o.signal, timeoutMs: o.timeoutMs, label: name }, (r) => {
      run.finish(r)
      resolve(r as R)
    })
  })
}

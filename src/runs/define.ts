import { InvalidOptionsError } from '../errors.js'
import type { DurableError } from '../workflow/durable.js'
import type { Step } from '../workflow/step.js'
import type { WorkflowError } from '../workflow/types.js'

/** The body of a registered workflow: like a workflow body, plus the run's (JSON) input. */
export type RegisteredBody<D, I, T> = (step: Step<WorkflowError<D>>, deps: D, input: I) => T | PromiseLike<T>

/**
 * A workflow registered under a name, so that any worker in any process can run (and resume) its
 * runs: made by `defineWorkflow`, given to `createWorker` and `client.start`.
 */
export interface RegisteredWorkflow<D = unknown, I = unknown, T = unknown> {
  readonly name: string
  /** Stored with each run (a worker sees which version started it). */
  readonly version: number
  readonly deps: D
  // Method syntax: a list of different workflows fits `readonly RegisteredWorkflow[]`.
  body(step: Step<WorkflowError<D>>, deps: D, input: I): T | PromiseLike<T>
  /** Set when `defineWorkflow` got bad input: `start` and `createWorker` answer it as an err. */
  readonly invalid?: InvalidOptionsError
}

/**
 * Any registered workflow, whatever its deps, input and output: what `createWorker` takes and
 * `client.result` accepts. (The body's parameters are `never` so every workflow fits.)
 */
export interface AnyRegisteredWorkflow {
  readonly name: string
  readonly version: number
  readonly deps: unknown
  body(step: never, deps: never, input: never): unknown
  readonly invalid?: InvalidOptionsError
}

/** The input a registered workflow takes. */
export type WorkflowInput<W> = W extends RegisteredWorkflow<infer _D, infer I, infer _T> ? I : never
/** What a registered workflow's run ends with when it succeeds. */
export type WorkflowOutput<W> = W extends RegisteredWorkflow<infer _D, infer _I, infer T> ? T : never
/** What a registered workflow's run can fail with: its deps' errors, okflow's, the durable machinery's. */
export type WorkflowRunError<W> =
  W extends RegisteredWorkflow<infer D, infer _I, infer _T> ? WorkflowError<D> | DurableError : never

const NAME = /^[\w.:/-]{1,200}$/

/**
 * Registers a workflow: a name (unique among a worker's workflows), its deps, and a body
 * `(step, deps, input)`. Input and output are JSON (they are stored with the run).
 *
 * @example
 * const checkout = defineWorkflow('checkout', { charge }, async (step, deps, input: { orderId: string }) => {
 *   const receipt = await step(() => deps.charge(input.orderId), { name: 'charge' })
 *   return { receipt }
 * }, { version: 1 })
 */
export function defineWorkflow<D, I, T>(
  name: string,
  deps: D,
  body: RegisteredBody<D, I, T>,
  options: { readonly version?: number } = {},
): RegisteredWorkflow<D, I, Awaited<T>> {
  const version = options?.version ?? 1
  const invalid =
    typeof name !== 'string' || !NAME.test(name)
      ? new InvalidOptionsError('name', name, 'a workflow name of 1–200 letters, digits or ._:/-')
      : typeof body !== 'function'
        ? new InvalidOptionsError('body', body, 'a function (step, deps, input) => …')
        : !Number.isInteger(version) || version < 0
          ? new InvalidOptionsError('version', version, 'an integer >= 0')
          : undefined
  const wf = {
    name,
    version,
    deps,
    body: body as RegisteredBody<D, I, Awaited<T>>,
  }
  return invalid ? { ...wf, invalid } : wf
}

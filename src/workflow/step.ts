import { err, type Result, type ResultAsync } from 'neverthrow'
import { allAsync } from '../combinators/all.js'
import { anyAsync } from '../combinators/any.js'
import { raceAsync } from '../combinators/race.js'
import { retry } from '../combinators/retry.js'
import { InvalidOptionsError, ReplayMismatchError } from '../errors.js'
import { checkInteger, checkMs, firstError } from '../internal/options.js'
import { checkRetryOptions, type RetryOptions } from '../internal/retry.js'
import { runOne, runOnePromise } from '../internal/run.js'
import { sleep } from '../internal/sleep.js'
import type {
  AnyInput,
  ErrOf,
  ErrUnion,
  Inputs,
  OkOf,
  OkUnion,
  OkValues,
  ResultLike,
  ResultPromiseLike,
} from '../types.js'
import type { WorkerTaskMap, WorkerTasks } from '../worker/define.js'
import type { RunTaskOptions, WorkerPool } from '../worker/pool.js'
import type { TaskError, TaskInput, TaskName, TaskOutput } from '../worker/types.js'
import type { StepKind } from './events.js'
import { type Run, WorkflowExit } from './run.js'
import type { StepContext, StepOptions } from './types.js'

/** A step function: gets `{ signal, attempt }`, returns any Result form. */
export type StepFn = (ctx: StepContext) => ResultLike | ResultPromiseLike

/** Shown instead of a result type when a step can fail with an error the workflow's deps do not declare. */
export interface UndeclaredStepError<X> {
  readonly 'okflow: this step can fail with errors the workflow deps do not declare': X
}
type Checked<Errs, E, T> = [Errs] extends [E] ? T : UndeclaredStepError<Exclude<Errs, E>>

/** Parallel group options. */
export interface GroupStepOptions {
  /** Most inputs running at once. */
  concurrency?: number | undefined
  /** Time limit of the whole group. */
  timeoutMs?: number | undefined
  /** Stable identity for durable replay (defaults to the name). */
  key?: string | undefined
}

/** Offload step options: the pool's run options (the workflow supplies the signal) and a key. */
export interface OffloadStepOptions extends Omit<RunTaskOptions, 'signal'> {
  key?: string | undefined
}

/**
 * The `step` handed to a workflow body. Every step's error type must be one the workflow's
 * deps declare (`E`), so the workflow's inferred error union stays true.
 */
export interface Step<E> {
  /** Runs `fn` as a named step and resolves to its ok value; its err ends the workflow. */
  <F extends StepFn>(fn: F, opts?: StepOptions<E>): Promise<Checked<ErrOf<F>, E, OkOf<F>>>
  /** `step(fn, { timeoutMs: ms, name })`. */
  withTimeout<F extends StepFn>(
    fn: F,
    opts: { ms: number; name?: string | undefined; key?: string | undefined },
  ): Promise<Checked<ErrOf<F>, E, OkOf<F>>>
  /** A named fail-fast group (`allAsync`): the first err aborts the other children. */
  all<const I extends Inputs>(
    name: string,
    inputs: I,
    opts?: GroupStepOptions,
  ): Promise<Checked<ErrUnion<I>, E, OkValues<I>>>
  /** A named group where the first ok wins (`anyAsync`) and the other children are aborted. */
  any<const I extends Inputs>(
    name: string,
    inputs: I,
    opts?: GroupStepOptions,
  ): Promise<Checked<ErrUnion<I>, E, OkUnion<I>>>
  /** A named group where the first to settle decides (`raceAsync`). */
  race<const I extends Inputs>(
    name: string,
    inputs: I,
    opts?: GroupStepOptions,
  ): Promise<Checked<ErrUnion<I>, E, OkUnion<I>>>
  /** An abortable pause, shown on the timeline. */
  sleep(name: string, ms: number): Promise<void>
  /** Runs a worker-pool task as a step. */
  offload<T extends WorkerTasks<WorkerTaskMap>, K extends TaskName<T>>(
    name: string,
    pool: WorkerPool<T>,
    task: K,
    input: TaskInput<T, K>,
    opts?: OffloadStepOptions,
  ): Promise<Checked<TaskError<T, K>, E, TaskOutput<T, K>>>
}

/** Builds the `step` of one run. */
export function makeStep<E>(run: Run): Step<E> {
  let unnamed = 0
  const label = (name: string | undefined) => name ?? `step ${++unnamed}`

  /**
   * The common path of every step: durable replay/record, events, exit on err, result
   * unwrapped. With a store, each step takes the next position; a recorded one is replayed
   * (its work never runs), a new one is saved before its value reaches the body.
   */
  const exec = async (
    name: string,
    kind: StepKind,
    work: (stepId: string) => PromiseLike<Result<unknown, unknown>> | ResultAsync<unknown, unknown>,
    bad?: InvalidOptionsError,
    key: unknown = name,
  ): Promise<never> => {
    run.check(name)
    const d = run.durable
    bad ??=
      typeof key === 'string' && key !== '' ? undefined : new InvalidOptionsError('key', key, 'a non-empty string')
    const pos = d ? d.pos++ : 0
    const old = d && !bad ? d.replay(pos, key as string) : undefined
    const replayed = old !== undefined && !(old.isErr() && old.error instanceof ReplayMismatchError)
    const stepId = run.begin({ name, kind, replayed })
    let r: Result<unknown, unknown> = bad ? err(bad) : (old ?? (await work(stepId)))
    // A step that ends because the run was cancelled is not its outcome: leave it to re-run.
    if (d && !old && !bad && !run.signal.aborted) r = await d.save(pos, key as string, r, `step "${name}"`)
    if (!run.end(stepId, r) && r.isOk()) {
      // The step was closed while running (the workflow ended): its value is not wanted.
      throw new WorkflowExit(run.exit?.error, name)
    }
    if (r.isOk()) return r.value as never
    run.exit ??= { error: r.error }
    throw new WorkflowExit(r.error, name)
  }

  /** Wraps each child of a group so it shows on the timeline under its group. */
  const children = (parentId: string, name: string, inputs: Inputs): Inputs => {
    const wrap = (input: AnyInput, childName: string) => (ctx: { signal: AbortSignal }) => {
      const id = run.begin({ name: childName, kind: 'child', parentId })
      return runOnePromise(input, { signal: ctx.signal }).then((r) => {
        run.end(id, r)
        return r
      })
    }
    if (Array.isArray(inputs)) return inputs.map((x, i) => wrap(x, `${name}[${i}]`))
    const out: Record<string, AnyInput> = {}
    for (const [k, v] of Object.entries(inputs)) out[k] = wrap(v as AnyInput, `${name}.${k}`)
    return out
  }

  const step = ((fn: StepFn, options?: StepOptions<E> | null) => {
    const opts: StepOptions<E> = options ?? {}
    const name = label(opts.name)
    const bad =
      typeof fn !== 'function'
        ? new InvalidOptionsError('fn', fn, 'a function')
        : firstError(
            checkMs('timeoutMs', opts.timeoutMs),
            opts.retry ? checkRetryOptions(opts.retry, 'retry.') : undefined,
          )
    return exec(
      name,
      'step',
      (stepId) => {
        if (!opts.retry) {
          // A cancel hook instead of a listener on the run's signal: cheaper per step.
          const runOpts = { timeoutMs: opts.timeoutMs, label: name, context: { attempt: 1 } }
          return new Promise<Result<unknown, unknown>>((resolve) => run.track(stepId, runOne(fn, runOpts, resolve)))
        }
        const userOnRetry = opts.retry.onRetry
        return retry(fn, {
          ...(opts.retry as RetryOptions<unknown>),
          timeoutMs: opts.timeoutMs,
          signal: run.signal,
          onRetry: (info) => {
            run.retrying(stepId, info.error, info.delayMs)
            userOnRetry?.(info as never)
          },
        })
      },
      bad,
      opts.key ?? name,
    )
  }) as unknown as Step<E>

  step.withTimeout = (fn, opts) => {
    // `ms` is what this variant is for: without it there would silently be no limit.
    const ms = opts?.ms
    if (typeof ms !== 'number' || Number.isNaN(ms)) {
      return exec(
        label(opts?.name),
        'step',
        () => Promise.resolve(err(null)),
        new InvalidOptionsError('ms', ms, 'a number of milliseconds'),
      )
    }
    return step(fn, { name: opts?.name, timeoutMs: ms, key: opts?.key }) as never
  }

  const group = (kind: 'all' | 'any' | 'race') => (name: string, inputs: Inputs, options?: GroupStepOptions | null) => {
    const opts: GroupStepOptions = options ?? {}
    const bad = firstError(
      checkMs('timeoutMs', opts.timeoutMs),
      opts.concurrency === undefined ? undefined : checkInteger('concurrency', opts.concurrency, 1),
    )
    return exec(
      name,
      kind,
      (stepId) => {
        const wrapped = children(stepId, name, inputs)
        const run1 = (ctx: { signal: AbortSignal }) =>
          kind === 'all'
            ? allAsync(wrapped, { concurrency: opts.concurrency, signal: ctx.signal })
            : kind === 'any'
              ? anyAsync(wrapped, { concurrency: opts.concurrency, signal: ctx.signal })
              : raceAsync(wrapped, { signal: ctx.signal })
        return runOnePromise(run1, { signal: run.signal, timeoutMs: opts.timeoutMs, label: name })
      },
      bad,
      opts.key ?? name,
    )
  }
  step.all = group('all') as never
  step.any = group('any') as never
  step.race = group('race') as never

  step.sleep = (name, ms) => {
    // A step that sleeps forever could only end by cancellation: refuse it rather than hang.
    const bad =
      ms === Number.POSITIVE_INFINITY
        ? new InvalidOptionsError('ms', ms, 'a finite number of milliseconds')
        : checkMs('ms', ms, false)
    return exec(name, 'sleep', () => sleep(ms, run.signal), bad) as Promise<void>
  }

  step.offload = ((
    name: string,
    pool: WorkerPool<WorkerTasks<WorkerTaskMap>>,
    task: string,
    input: unknown,
    opts: OffloadStepOptions = {},
  ) => {
    const bad =
      pool !== null && typeof pool === 'object' && typeof pool.run === 'function'
        ? undefined
        : new InvalidOptionsError('pool', pool, 'a worker pool from createWorkerPool')
    const { key: _key, ...runOpts } = opts
    return exec(
      name,
      'offload',
      () => pool.run(task, input as never, { ...runOpts, signal: run.signal }),
      bad,
      opts.key ?? name,
    )
  }) as never

  return step
}

// The `step` of a workflow body: its type (the Step interface, where the error checks live) and
// every step method over one exec path (replay, record, events, exit). Over 300 lines because the
// methods share that path and the interface documents them in one place.
import { err, type Result } from 'neverthrow'
import { allAsync } from '../combinators/all.js'
import { anyAsync } from '../combinators/any.js'
import { raceAsync } from '../combinators/race.js'
import { InvalidOptionsError, ReplayMismatchError, TimeoutError } from '../errors.js'
import { checkConcurrency, checkFunction, checkMs } from '../internal/options.js'
import { checkRetryOptions, type RetryOptions, retryLoop } from '../internal/retry.js'
import { runOne, runOnePromise } from '../internal/run.js'
import { type Listed, listInputs, reshape } from '../internal/shape.js'
import { sleep } from '../internal/sleep.js'
import { startAt } from '../internal/start.js'
import type { AnyPolicy, Policy, PolicyAdds, PolicyError, PolicyHandles, PolicyOk } from '../policy/executor.js'
import { isPolicy } from '../policy/run.js'
import type {
  AnyInput,
  ByMode,
  ErrOf,
  ErrUnion,
  Inputs,
  Mode,
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
import { checkString, optionsOf, unreadable } from './options.js'
import { type Compensate, type OpenStep, WorkflowExit, type WorkflowRun } from './run.js'
import type { StepCodec } from './store/record.js'
import type { JsonValue } from './store/types.js'
import type { ChildErr, ChildFailure, ChildInput, ChildOk, MapChild } from './task.js'
import type { StepContext, StepOptions } from './types.js'

/** A step function: gets `{ signal, attempt }`, returns any Result form. */
export type StepFn = (ctx: StepContext) => ResultLike | ResultPromiseLike

/**
 * Added to the parameter of a step whose error type the workflow's deps do not declare, so that
 * the call does not compile: the message is the missing property's name, the undeclared errors
 * its type. (Were the call allowed, the workflow's error union would lie: an exhaustive `match`
 * on it would throw at run time.) Add the function to the deps, or map its errors to declared ones.
 */
export interface UndeclaredStepError<X> {
  readonly 'okflow: this step can fail with errors the workflow deps do not declare': X
}
/** No constraint when every error in `Errs` is one of `E`; otherwise UndeclaredStepError. */
type Declared<Errs, E> = [Errs] extends [E] ? unknown : UndeclaredStepError<Exclude<Errs, E>>

/** Parallel group options. */
export interface GroupStepOptions {
  /** Most inputs running at once. */
  concurrency?: number | undefined
  /** Time limit of the whole group. */
  timeoutMs?: number | undefined
  /** Stable identity for durable replay (defaults to the name). */
  key?: string | undefined
}

/** Options of `step.waitFor`. */
export interface WaitForOptions {
  /** Give up after this long (measured from the first time the run reached the wait): `TimeoutError`. */
  timeoutMs?: number | undefined
  /** Stable identity for durable replay (defaults to the name). */
  key?: string | undefined
}

/** Options of `step.map`. */
export interface MapStepOptions<M extends Mode = Mode> {
  /** Most children unfinished at once (default: all). */
  concurrency?: number | undefined
  /** `'fail-fast'` (default) or `'settle'`. */
  mode?: M | undefined
  /** Items per child run (default 1): fewer, larger rows for large inputs. */
  chunkSize?: number | undefined
  /** Stable identity for durable replay (defaults to the name). */
  key?: string | undefined
}

/** What `step.select` answers: the first input to settle, and the others (`rest`). */
export interface StepSelected<I extends readonly AnyInput[]> {
  /** Position of the first input to settle. */
  readonly index: number
  /** Its Result, ok or err (a child that was cancelled or threw: CancelledError / UnexpectedError). */
  readonly result: Result<OkUnion<I>, ErrUnion<I> | ChildFailure>
  /**
   * The other inputs, in input order, still running (or already ended after the winner): pass
   * them to a later group, `select` or `waitCompleted` (task calls there attach to their child runs).
   */
  readonly rest: I[number][]
}

/** What `step.waitCompleted` answers: the inputs finished when it looked, and the others. */
export interface StepWaitCompleted<I extends readonly AnyInput[]> {
  /** Every input finished by then (at least one), in completion order. */
  readonly completed: readonly {
    readonly index: number
    readonly result: Result<OkUnion<I>, ErrUnion<I> | ChildFailure>
  }[]
  /** The others, in input order, still running: to wait on again (on a worker, task calls bound to their child runs). */
  readonly pending: I[number][]
}

/** Offload step options: the pool's run options (the workflow supplies the signal) and a key. */
export interface OffloadStepOptions extends Omit<RunTaskOptions, 'signal'> {
  key?: string | undefined
}

/**
 * The `step` handed to a workflow body. Every step's error type must be one the workflow's
 * deps declare (`E`), so the workflow's inferred error union stays true: a step that can fail
 * otherwise is a compile error at its call (see UndeclaredStepError).
 */
export interface Step<E> {
  /** Runs `fn` as a named step and resolves to its ok value; its err ends the workflow. */
  <F extends StepFn>(
    fn: F & Declared<ErrOf<F>, E>,
    opts?: StepOptions<E, OkOf<F>> & { policy?: undefined },
  ): Promise<OkOf<F>>
  /** A step whose attempts run through `opts.policy`: its errors and a fallback's values are added. */
  <F extends StepFn, P extends AnyPolicy>(
    fn: F & Declared<PolicyError<ErrOf<F>, PolicyAdds<P>, PolicyHandles<P>>, E>,
    opts: StepOptions<E, OkOf<F> | PolicyOk<P>> & { policy: P },
  ): Promise<OkOf<F> | PolicyOk<P>>
  /** `step(fn, { timeoutMs: ms, name })`. */
  withTimeout<F extends StepFn>(
    fn: F & Declared<ErrOf<F>, E>,
    opts: { ms: number; name?: string | undefined; key?: string | undefined },
  ): Promise<OkOf<F>>
  /** A named fail-fast group (`allAsync`): the first err aborts the other children. */
  all<const I extends Inputs>(
    name: string,
    inputs: I & Declared<ErrUnion<I>, E>,
    opts?: GroupStepOptions,
  ): Promise<OkValues<I>>
  /** A named group where the first ok wins (`anyAsync`) and the other children are aborted. */
  any<const I extends Inputs>(
    name: string,
    inputs: I & Declared<ErrUnion<I>, E>,
    opts?: GroupStepOptions,
  ): Promise<OkUnion<I>>
  /** A named group where the first to settle decides (`raceAsync`). */
  race<const I extends Inputs>(
    name: string,
    inputs: I & Declared<ErrUnion<I>, E>,
    opts?: GroupStepOptions,
  ): Promise<OkUnion<I>>
  /** An abortable pause, shown on the timeline. */
  sleep(name: string, ms: number): Promise<void>
  /**
   * Waits for the event `client.emit(key, payload)` sends (first emit wins; one sent before the
   * wait is not lost) and resolves to its payload; `timeoutMs` → `TimeoutError`. Durable runs only.
   */
  waitFor<T = JsonValue>(name: string, key: string, opts?: WaitForOptions): Promise<T>
  /**
   * One child run per item (or per chunk of `chunkSize` items) of `task` (a `defineTask` task, or a
   * `defineWorkflow` workflow: a tree), claimed by any worker; the parent waits without holding a
   * slot; values in input order. `'fail-fast'` (default): the first child err in completion order
   * ends the step (the other children run to their end); `'settle'`: every child's Result. A
   * retried parent runs its failed children again, never the ok ones. In process (no worker): the
   * task runs here, and fail-fast aborts the items still running.
   */
  map<K extends MapChild, M extends Mode = 'fail-fast'>(
    name: string,
    items: readonly ChildInput<K>[],
    task: K & Declared<ChildErr<K>, E>,
    opts?: MapStepOptions<M>,
  ): Promise<ByMode<M, ChildOk<K>[], Result<ChildOk<K>, ChildErr<K> | ChildFailure>[]>>
  /** The first input to settle, with its index; the others keep running (`rest`). Journaled: a replay picks the same one. */
  select<const I extends readonly AnyInput[]>(
    name: string,
    inputs: I & Declared<ErrUnion<I>, E>,
    opts?: { readonly key?: string | undefined },
  ): Promise<StepSelected<I>>
  /**
   * Restate's `wait_completed`: resolves once at least one input has finished, with every input
   * finished by then (`completed`, in completion order) and the others (`pending`), still running.
   * Journaled: a replay answers the same split. An empty input answers `{ completed: [], pending: [] }`.
   */
  waitCompleted<const I extends readonly AnyInput[]>(
    name: string,
    inputs: I & Declared<ErrUnion<I>, E>,
    opts?: { readonly key?: string | undefined },
  ): Promise<StepWaitCompleted<I>>
  /** Runs a worker-pool task as a step. */
  offload<T extends WorkerTasks<WorkerTaskMap>, K extends TaskName<T>>(
    name: string,
    pool: WorkerPool<T> & Declared<TaskError<T, K>, E>,
    task: K,
    input: TaskInput<T, K>,
    opts?: OffloadStepOptions,
  ): Promise<TaskOutput<T, K>>
}

type AnyResult = Result<unknown, unknown>
/** Starts a step's work; `done` takes its outcome (only the first call counts). */
export type Start = (s: OpenStep, done: (r: AnyResult) => void) => void
export const NO_WORK: Start = () => {}
/**
 * What a durable run saves of a step (`record: false`: nothing; `codec`: how its value is
 * encoded), and how to undo it (`undo`: its `compensate` option).
 */
export type Saving = {
  readonly record?: boolean | undefined
  readonly codec?: StepCodec | undefined
  readonly undo?: Compensate | undefined
}

/** Throws the first failed check: `guard` below ends the step with it. */
// Three fixed parameters rather than a rest one: every step call makes no array here.
export function must(a?: InvalidOptionsError, b?: InvalidOptionsError, c?: InvalidOptionsError): void {
  const bad = a || b || c
  if (bad) throw bad
}

/**
 * Groups take an array or a plain record of inputs (read here, once): anything else (a Set, a
 * Map, a generator, a number) would silently run nothing.
 */
function listGroup(inputs: unknown): Listed {
  let listed: Listed | InvalidOptionsError | undefined
  try {
    const proto =
      !Array.isArray(inputs) && typeof inputs === 'object' && inputs !== null && Object.getPrototypeOf(inputs)
    if (proto === false || proto === Object.prototype || proto === null) listed = listInputs(inputs as Inputs)
    if (listed && !(listed instanceof InvalidOptionsError)) return listed
  } catch {
    // A Proxy or a throwing getter: refused below like any other unreadable input.
  }
  throw new InvalidOptionsError('inputs', inputs, 'an array or a record of inputs')
}

/**
 * A TimeoutError labelled `from` (the retry loop's have none, the pool's name the task) as the
 * step's own, labelled with the step's name. By tag: the pool may come from another okflow copy.
 */
export const relabel = (r: AnyResult, from: unknown, name: string): AnyResult =>
  r.isErr() && (r.error as TimeoutError | null)?._tag === 'TimeoutError' && (r.error as TimeoutError).label === from
    ? err(new TimeoutError((r.error as TimeoutError).ms, name))
    : r

/** Builds the `step` of one run. */
export function makeStep<E>(run: WorkflowRun): Step<E> {
  let unnamed = 0
  const label = (name: unknown) => (typeof name === 'string' ? name : `step ${++unnamed}`)
  // Steps without a timeout or retry share one context: their signal is the run's, aborted when
  // the run stops or ends, and it is always their first attempt.
  const plainCtx: StepContext = {
    get signal() {
      return run.signal
    },
    attempt: 1,
  }

  /**
   * The path of every step: refusal once the run stopped, durable replay/record, events, exit
   * on err, result unwrapped. No extra promise hop: the step's promise settles from its work.
   * With a store, each step takes the next position; a recorded one is replayed (its work never
   * runs), a new one is saved before its value reaches the body. A step with bad options is
   * still a step (shown, and ending the workflow with its InvalidOptionsError).
   */
  const exec = (
    name: string,
    kind: StepKind,
    start: Start,
    key: unknown = name,
    bad = checkString('key', key),
    saving: Saving = {},
    at?: number,
  ): Promise<never> => {
    const refused = run.refusal(name)
    if (refused) return Promise.reject(refused) as Promise<never>
    // `record: false` still takes its position, so the steps after it keep theirs. A step loaded
    // on first use took its position(s) at its call (`at`).
    const pos = at ?? (run.durable ? run.durable.pos++ : 0)
    const d = saving.record === false ? undefined : run.durable
    const old = d && !bad ? d.replay(pos, key as string, saving.codec) : undefined
    const replayed = old !== undefined && !(old.isErr() && old.error instanceof ReplayMismatchError)
    const s = run.begin(name, kind, undefined, replayed)
    // Saved with the record, so a stored run's history can be drawn later.
    const startedAt = d ? Date.now() : 0
    return new Promise<never>((resolve, reject) => {
      const settle = (r: AnyResult) => {
        // A step closed while running (the workflow ended) has a value nobody wants.
        if (run.end(s, r) && r.isOk()) {
          // Completed: undone in reverse if the run fails (compensate.ts).
          if (saving.undo) {
            run.undo ??= []
            run.undo.push({ pos, name, fn: saving.undo, value: r.value })
          }
          return resolve(r.value as never)
        }
        if (r.isErr()) run.exit ??= { error: r.error }
        reject(new WorkflowExit(r.isOk() ? run.exit?.error : r.error, name))
      }
      let ended = false
      const done = (r: AnyResult) => {
        if (ended) return
        ended = true
        // A step that ends because the run was cancelled is not its outcome: leave it to re-run.
        // Nor is a suspension (`save` writes none: the run waits, off its worker, and asks again when woken).
        if (d && !old && !bad && !run.signal.aborted) {
          const meta = { name, kind, startedAt, attempts: s.attempt, codec: saving.codec, undo: saving.undo }
          d.save(pos, key as string, r, `step "${name}"`, meta).then(settle)
        } else settle(r)
      }
      if (bad || old) return done(bad ? err(bad) : (old as AnyResult))
      // Stops the step at once when the run ends: a hook instead of a signal listener per step.
      s.cancel = (reason) => done(err(reason))
      start(s, done)
    })
  }

  /**
   * Runs a step method's checks: an InvalidOptionsError they throw ends the step with it, named
   * as far as the method got (`named.name`), so bad input never throws out of `step`.
   */
  const guard = <A extends unknown[]>(
    kind: StepKind,
    method: (named: { name?: string }, ...args: A) => Promise<never>,
  ) =>
    // Fixed arity (offload has the most) rather than a rest parameter and a spread: every step call comes here.
    ((a: unknown, b: unknown, c: unknown, d: unknown, f: unknown) => {
      const named: { name?: string } = {}
      try {
        return (method as (named: { name?: string }, ...args: unknown[]) => Promise<never>)(named, a, b, c, d, f)
      } catch (e) {
        return exec(named.name ?? label(undefined), kind, NO_WORK, '-', unreadable(e, 'options'))
      }
    }) as unknown as (...args: A) => Promise<never>

  /** Wraps each child of a group so it shows on the timeline under its group. */
  const children = (parent: OpenStep, name: string, { values, keys }: Listed): Inputs =>
    reshape(
      values.map((input, i) => (ctx: { signal: AbortSignal }) => {
        const child = run.begin(keys ? `${name}.${keys[i]}` : `${name}[${i}]`, 'child', parent)
        return runOnePromise(input, { signal: ctx.signal }).then((r) => {
          run.end(child, r)
          return r
        })
      }),
      keys,
    ) as Inputs

  const step = guard('step', (named, fn: StepFn, options?: unknown) => {
    const o = optionsOf(options, 'options')
    const name = label(o.name)
    named.name = name
    const timeoutMs = o.timeoutMs as number | undefined
    must(checkFunction('fn', fn, false), checkString('name', o.name, true), checkMs('timeoutMs', timeoutMs))
    // Copied here, in the guard: the retry loop must not meet a throwing getter later.
    const retryOpts = o.retry === undefined ? undefined : { ...optionsOf(o.retry, 'retry') }
    must(retryOpts && checkRetryOptions(retryOpts, 'retry.'))
    const record = o.record as boolean | undefined
    const codec = o.codec as StepCodec | undefined
    const pol = o.policy as Policy | undefined
    const undo = o.compensate as Compensate | undefined
    must(checkFunction('compensate', undo))
    must(
      record === undefined || typeof record === 'boolean'
        ? undefined
        : new InvalidOptionsError('record', record, 'a boolean'),
      codec === undefined || (typeof codec?.encode === 'function' && typeof codec.decode === 'function')
        ? undefined
        : new InvalidOptionsError('codec', codec, 'an object with encode and decode functions'),
      pol === undefined || isPolicy(pol) ? pol?.invalid : new InvalidOptionsError('policy', pol, 'a policy'),
    )
    if (pol) {
      // Each attempt goes through the policy (its own code: nothing of it is bundled here); retry
      // and timeout stay outside it. The attempt's context goes on, with the policy's signal.
      const inner = fn
      fn = (ctx) => pol.execute((c) => inner({ ...ctx, signal: c.signal }), { signal: ctx.signal })
    }
    // Checked above: a number of ms (timed), Infinity or undefined (no limit).
    const timed = Number.isFinite(timeoutMs)
    const start: Start = (s, done) => {
      if (retryOpts) {
        retryLoop(fn, {
          ...(retryOpts as unknown as RetryOptions<unknown>),
          timeoutMs,
          signal: run.signal,
          onRetry: (info) => {
            run.retrying(s, info.error, info.delayMs)
            ;(retryOpts as unknown as RetryOptions<unknown>).onRetry?.(info)
          },
        }).then((r) => done(relabel(r, undefined, name)))
      } else if (timed) s.cancel = runOne(fn, { timeoutMs, label: name, context: { attempt: 1 } }, done)
      else startAt(fn as AnyInput, plainCtx, 0, (_, r) => done(r))
    }
    return exec(name, 'step', start, o.key ?? name, undefined, { record, codec, undo })
  }) as unknown as Step<E>

  step.withTimeout = guard('step', (named, fn: StepFn, options?: unknown) => {
    const o = optionsOf(options, 'options')
    named.name = label(o.name)
    // `ms` is what this variant is for: without it there would silently be no limit.
    must(checkMs('ms', o.ms, false))
    return step(fn as never, { name: named.name, timeoutMs: o.ms, key: o.key } as never) as Promise<never>
  }) as never

  const group = (kind: 'all' | 'any' | 'race', combine: typeof allAsync) =>
    guard(kind, (named, name: string, inputs: unknown, options?: unknown) => {
      named.name = label(name)
      const o = optionsOf(options, 'options')
      const concurrency = o.concurrency as number | undefined
      const timeoutMs = o.timeoutMs as number | undefined
      must(checkString('name', name))
      const listed = listGroup(inputs)
      must(checkMs('timeoutMs', timeoutMs), checkConcurrency('concurrency', concurrency))
      const start: Start = (s, done) => {
        const wrapped = children(s, name, listed)
        const all = (ctx: { signal: AbortSignal }) => combine(wrapped, { concurrency, signal: ctx.signal })
        runOne(all, { signal: run.signal, timeoutMs, label: name }, done)
      }
      // On a worker, a group over task calls makes child runs: that code loads on first use.
      const d = run.durable
      if (d?.owned === false) {
        const at = d.pos++
        return import('./primitives/index.js').then((m) =>
          m.group({ run, exec, at, name }, kind, listed, start, o.key ?? name, o),
        )
      }
      return exec(name, kind, start, o.key ?? name)
    })
  step.all = group('all', allAsync) as never
  step.any = group('any', anyAsync as never) as never
  step.race = group('race', raceAsync as never) as never

  // Loaded on first use: their code costs a workflow that does not call them nothing. Each takes
  // its positions now, at the call, so a replay gives every step the same position however fast
  // the module loads.
  const lazy = (kind: LazyKind, slots: number) =>
    guard(kind as StepKind, (named, name: unknown, a: unknown, b: unknown, c: unknown, d: unknown) => {
      named.name = label(name)
      const at = run.durable ? run.durable.pos : 0
      if (run.durable) run.durable.pos += slots
      const ctx: LazyStep = { run, exec, at, name: named.name }
      return import('./primitives/index.js').then((m) => m[kind](ctx, name, a, b, c, d))
    })
  const durableSleep = lazy('sleep', 1) as (name: string, ms: number) => Promise<never>
  step.sleep = guard('sleep', (named, name: string, ms: number) => {
    named.name = label(name)
    // A step that sleeps forever could only end by cancellation: refuse it rather than hang.
    must(
      checkString('name', name),
      ms === Number.POSITIVE_INFINITY
        ? new InvalidOptionsError('ms', ms, 'a finite number of ms')
        : checkMs('ms', ms, false),
    )
    // A durable sleep records its wake-up time (primitives/sleep.ts).
    return run.durable ? durableSleep(name, ms) : exec(name, 'sleep', (_, done) => sleep(ms, run.signal).then(done))
  }) as never
  step.offload = lazy('offload', 1) as never
  step.waitFor = lazy('waitFor', 2) as never
  step.map = lazy('map', 1) as never
  step.select = lazy('select', 1) as never
  step.waitCompleted = lazy('waitCompleted', 1) as never

  return step
}

/** The step methods whose code is loaded on first use (`primitives/`). */
export type LazyKind = 'offload' | 'waitFor' | 'map' | 'select' | 'waitCompleted' | 'sleep'

/** The one path of every step (see makeStep): replay, record, events, exit. */
export type Exec = (
  name: string,
  kind: StepKind,
  start: Start,
  key?: unknown,
  bad?: InvalidOptionsError,
  saving?: Saving,
  at?: number,
) => Promise<never>

/** What a step method loaded on first use gets: its run, the step path, its first position, its name. */
export interface LazyStep {
  readonly run: WorkflowRun
  readonly exec: Exec
  /** Its first position (it took as many as it declared, at its call). */
  readonly at: number
  /** Its name, or `step N` when it was not given one. */
  readonly name: string
}

/** A step method loaded on first use: (the step, then the method's own arguments as given). */
export type LazyMethod = (
  step: LazyStep,
  name: unknown,
  a: unknown,
  b: unknown,
  c: unknown,
  d: unknown,
) => Promise<never>

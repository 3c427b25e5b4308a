import type { Result, ResultAsync } from 'neverthrow'
import type { TimeoutError } from './errors.js'

/** What okflow hands to every lazy task it starts. */
export interface TaskContext {
  /** Aborted when the task's result is no longer wanted (a loser, a timeout, a cancelled run). */
  readonly signal: AbortSignal
}

/**
 * What okflow hands to work it may call more than once (a batch item, a pipeline stage's `fn`, a
 * retried task, a workflow step): the signal, and which call this is. The one home of this shape;
 * `ItemContext`, `AttemptContext` and `StepContext` name it where each is used.
 */
export interface AttemptContext extends TaskContext {
  /** 1 for the first call, 2 for the first retry, and so on. */
  readonly attempt: number
}

/** `fail-fast`: the first failed item stops the whole job. `settle`: every item runs, failures are reported. */
export type Mode = 'fail-fast' | 'settle'

/**
 * What a job in mode `M` gives: `F` in fail-fast mode, `S` in settle mode, either when the mode
 * is only known as `Mode`. The one home of that rule for batch jobs and pipelines.
 */
export type ByMode<M extends Mode, F, S> = [M] extends ['settle'] ? S : [M] extends ['fail-fast'] ? F : F | S

/** Outputs as a job keeps them: `O[]`, or `undefined` with `collect: false` (`C` is the `collect` option). */
export type Collected<O, C extends boolean> = [C] extends [false]
  ? undefined
  : [C] extends [true]
    ? O[]
    : O[] | undefined

/**
 * Anything that settles to a Result: a `Result`, a `ResultAsync`, or a promise of a Result.
 * (`ResultAsync` is listed on its own: its `then` takes no `null`, so strict TypeScript does not
 * count it as a `PromiseLike`.)
 */
export type Resultish<T, E> = Result<T, E> | ResultAsync<T, E> | PromiseLike<Result<T, E>>

/**
 * A lazy task: okflow calls it when it is time to start, so it can bound concurrency and
 * abort `ctx.signal` when the result is no longer wanted.
 */
export type Task<T, E, C extends TaskContext = TaskContext> = (ctx: C) => Resultish<T, E>

/** One input to a combinator: already running (`Result`, `ResultAsync`, promise) or a lazy task. */
export type Input<T, E> = Resultish<T, E> | Task<T, E>

/**
 * Structural stand-ins for "some Result" and "some promise of a Result", used only as
 * constraints. They name no type parameters on purpose: with a `Result<unknown, unknown>`
 * constraint TypeScript infers the error type of an `ok(1)` or `okAsync(1)` written inside a
 * task as `unknown` (from the contextual return type), which would swallow every error union.
 */
export interface ResultLike {
  isOk(): boolean
  isErr(): boolean
}
/** A thenable that settles to a Result (a `ResultAsync` or a `Promise<Result>`). */
export interface ResultPromiseLike {
  then<A>(onfulfilled: (result: ResultLike) => A): unknown
}

/** The widest input, used as a constraint: a Result, a promise of one, or a task returning either. */
export type AnyInput = ResultLike | ResultPromiseLike | ((ctx: TaskContext) => ResultLike | ResultPromiseLike)

/** The Result an input settles to. */
type SettledOf<I> = I extends (ctx: never) => infer R ? Awaited<R> : Awaited<I>

/** Ok type of an input (distributes over the union of Ok/Err). */
export type OkOf<I> = SettledOf<I> extends infer R ? (R extends Result<infer T, unknown> ? T : never) : never
/** Err type of an input. */
export type ErrOf<I> = SettledOf<I> extends infer R ? (R extends Result<unknown, infer E> ? E : never) : never

/** Inputs to a combinator: a tuple, an array or a record of inputs. */
export type Inputs = readonly AnyInput[] | { readonly [key: string]: AnyInput }

/** The member inputs of a tuple/array/record of inputs. */
export type InputOf<I extends Inputs> = I extends readonly AnyInput[] ? I[number] : I[keyof I]

/** Ok values of a tuple/array/record, keeping its shape. */
export type OkValues<I extends Inputs> = { -readonly [K in keyof I]: OkOf<I[K]> }

/** Union of the Ok types of every input. */
export type OkUnion<I extends Inputs> = OkOf<InputOf<I>>
/** Union of the Err types of every input. */
export type ErrUnion<I extends Inputs> = ErrOf<InputOf<I>>

/** Position of an input: `index` always, `key` too for record inputs. */
export type KeyOf<I extends Inputs> = I extends readonly AnyInput[] ? never : Extract<keyof I, string>

/** `TimeoutError` when options `O` may set a per-input `timeoutMs`, else nothing. */
export type TimeoutOf<O> = 'timeoutMs' extends keyof O
  ? [Exclude<O['timeoutMs' & keyof O], undefined>] extends [never]
    ? never
    : TimeoutError
  : never

/** The options type of a combinator called without options. */
export type NoOptions = Record<never, never>

import { err, type Result } from 'neverthrow'
import { CancelledError, InvalidOptionsError, TimeoutError, type UnexpectedError } from '../errors.js'
import type { AnyInput } from '../types.js'
import { cancelledBy, LazyContext, onAbort } from './abort.js'
import { checkConcurrency, checkMs, checkSignal, pickOptions } from './options.js'
import { type Listed, listInputs } from './shape.js'
import { fromThrow, observeAt, release, type Sink, startAt } from './start.js'

export interface GroupOptions {
  /**
   * Set by combinators for which any rejection decides the outcome whatever its position
   * (allAsync, raceAsync): rejections then share one handler instead of one closure per input,
   * which is measurably faster on large inputs.
   */
  rejectionDecides?: boolean | undefined
  /** Most lazy tasks running at once (already-running inputs are not counted). */
  concurrency?: number | undefined
  /** Aborting it stops the group: pending tasks are aborted and `onCancel` is called. */
  signal?: AbortSignal | undefined
  /** Time limit of each input, from its start: it then settles as TimeoutError (a task is aborted). */
  timeoutMs?: number | undefined
}

/** Return `true` once the outcome is decided: the group stops and aborts what is still pending. */
export type OnSettle<T, E> = (index: number, result: Result<T, E | UnexpectedError>) => boolean | undefined

/** Stops a group from outside, aborting pending tasks with `reason`. */
export type Stop = (reason?: unknown) => void

type Timer = ReturnType<typeof setTimeout>
/** In `timers`: the input has settled (or timed out), so whatever it says later is ignored. */
const SETTLED = 0 as unknown as Timer

/**
 * The shared engine of every many-input combinator. Already-running inputs are observed at once
 * (so a rejection is never left unhandled); lazy tasks start in input order, at most
 * `concurrency` at a time, each with its own context so that only the losers are aborted, never
 * a winner whose value may still hold a live stream. `onSettle` sees results in the order the
 * inputs settled (a plain Result does not overtake an already-settled promise given before it),
 * and nothing after the group stops.
 */
export function runGroup<T, E>(
  inputs: readonly AnyInput[],
  opts: GroupOptions,
  onSettle: OnSettle<T, E>,
  onCancel: (error: CancelledError) => void,
  keys?: readonly string[],
): Stop {
  const n = inputs.length
  const limit = opts.concurrency ?? Infinity
  const { signal, timeoutMs } = opts
  const timed = (timeoutMs ?? Infinity) < Infinity // checked: a number of ms, or Infinity
  const contexts: (LazyContext | undefined)[] = []
  const timers: (Timer | undefined)[] = [] // per-input deadlines, when `timed`
  let head = 0 // next input to consider starting, in input order
  let running = 0
  let settled = 0
  let stopped = false
  let pumping = true
  let later = false // something settles asynchronously: later plain Results wait their turn
  let detach: (() => void) | undefined

  const stop: Stop = (reason) => {
    if (stopped) return
    stopped = true
    detach?.()
    for (const t of timers) clearTimeout(t) // SETTLED (0) and holes are no timers: a no-op
    let lost: unknown = reason
    for (let i = 0; i < contexts.length; i++) {
      const c = contexts[i]
      if (c === undefined) continue
      contexts[i] = undefined
      lost ??= new CancelledError('another input decided the outcome')
      LazyContext.abort(c, lost)
    }
  }
  const finish: Sink<T, E> = (i, result) => {
    if (stopped) return
    if (timed) {
      if (timers[i] === SETTLED) return // it timed out before
      clearTimeout(timers[i])
      timers[i] = SETTLED
    }
    settled++
    if (onSettle(i, result) === true || settled === n) stop()
    else if (!pumping && head < n) pump()
  }
  const finishTask: Sink<T, E> = (i, result) => {
    if (stopped || contexts[i] === undefined) return // stopped, or already timed out
    contexts[i] = undefined
    running--
    finish(i, result)
  }
  const startTimer = (i: number) => {
    timers[i] = setTimeout(() => {
      timers[i] = undefined
      const e = new TimeoutError(timeoutMs as number, keys?.[i])
      const c = contexts[i]
      if (c !== undefined) {
        contexts[i] = undefined
        running--
        LazyContext.abort(c, e)
      }
      finish(i, err(e) as Result<T, E | UnexpectedError>) // E includes TimeoutError whenever timeoutMs is set
    }, timeoutMs)
  }
  // Iterative on purpose: tasks that settle synchronously must not recurse once per input.
  const pump = (): void => {
    pumping = true
    while (!stopped && running < limit && head < n) {
      const i = head++
      const input = inputs[i]
      if (typeof input !== 'function') continue // observed already
      const c = new LazyContext(input)
      contexts[i] = c
      running++
      if (timed) startTimer(i)
      if (startAt<T, E>(input, c, i, finishTask, later)) later = true
    }
    pumping = false
  }

  if (signal) {
    if (signal.aborted) {
      stopped = true
      release(inputs)
      onCancel(cancelledBy(signal))
      return stop
    }
    detach = onAbort(signal, () => {
      stop(signal.reason)
      onCancel(cancelledBy(signal))
    })
  }
  const onReject = opts.rejectionDecides ? (e: unknown) => finish(-1, fromThrow(e)) : undefined
  // Every already-running input is observed even after an early decision, so none is left unhandled.
  let tasks = 0
  for (let i = 0; i < n; i++) {
    const input = inputs[i]
    if (typeof input === 'function') {
      tasks++
      continue
    }
    if (timed && !stopped) startTimer(i)
    if (observeAt<T, E>(input, i, finish, onReject, later)) later = true
  }
  if (tasks > 0) pump()
  else head = n // nothing to start
  pumping = false
  return stop
}

/** A group's inputs, listed, and its options, read and checked. */
export interface Prepared<O> extends Listed {
  readonly opts: O
}

const GROUP_OPTIONS = ['concurrency', 'signal', 'timeoutMs'] as const

/**
 * The prelude of every group combinator: lists the inputs, reads and checks the options
 * (`names`: which of `concurrency`, `signal`, `timeoutMs` this combinator takes), and answers
 * an already-aborted signal with CancelledError even for no inputs. On any error the inputs that
 * are already running are released, so none is left with an unhandled rejection.
 */
export function prepareGroup(
  inputs: unknown,
  rawOpts: unknown,
  names: readonly (typeof GROUP_OPTIONS)[number][] = GROUP_OPTIONS,
): Prepared<GroupOptions> | InvalidOptionsError | CancelledError {
  const listed = listInputs(inputs)
  if (listed instanceof InvalidOptionsError) return listed
  const o = pickOptions<GroupOptions>(rawOpts, names)
  const bad = o instanceof InvalidOptionsError ? o : checkGroupOptions(o)
  if (bad) {
    release(listed.values)
    return bad
  }
  const opts = o as GroupOptions
  if (opts.signal?.aborted) {
    release(listed.values)
    return cancelledBy(opts.signal)
  }
  return { ...listed, opts }
}

/** Checks `{ concurrency, signal, timeoutMs }`. */
export function checkGroupOptions(opts: GroupOptions): InvalidOptionsError | undefined {
  return (
    checkConcurrency('concurrency', opts.concurrency) ??
    checkSignal('signal', opts.signal) ??
    checkMs('timeoutMs', opts.timeoutMs)
  )
}

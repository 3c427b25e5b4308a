import type { Result } from 'neverthrow'
import { CancelledError, type InvalidOptionsError, type UnexpectedError } from '../errors.js'
import type { AnyInput, Inputs } from '../types.js'
import { cancelledBy, LazyContext, onAbort } from './abort.js'
import { checkConcurrency, checkSignal, firstError } from './options.js'
import { type Listed, listInputs } from './shape.js'
import { fromThrow, observeAt, release, startAt } from './start.js'

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
}

/** Return `true` once the outcome is decided: the group stops and aborts what is still pending. */
export type OnSettle<T, E> = (index: number, result: Result<T, E | UnexpectedError>) => boolean | undefined

/** Stops a group from outside, aborting pending tasks with `reason`. */
export type Stop = (reason?: unknown) => void

/**
 * The shared engine of every many-input combinator. Already-running inputs are observed at once
 * (so a rejection is never left unhandled); lazy tasks start in input order, at most
 * `concurrency` at a time, each with its own AbortController so that only the losers are
 * aborted, never a winner whose value may still hold a live stream. `onSettle` sees results in
 * completion order, and nothing after the group stops.
 */
export function runGroup<T, E>(
  inputs: readonly AnyInput[],
  opts: GroupOptions,
  onSettle: OnSettle<T, E>,
  onCancel: (error: CancelledError) => void,
): Stop {
  const n = inputs.length
  const limit = opts.concurrency ?? Number.POSITIVE_INFINITY
  const signal = opts.signal
  const controllers: (LazyContext | undefined)[] = []
  const queue: number[] = []
  let head = 0
  let running = 0
  let settled = 0
  let stopped = false
  let pumping = true
  let detach: (() => void) | undefined

  const stop: Stop = (reason) => {
    if (stopped) return
    stopped = true
    detach?.()
    let lost: unknown = reason
    for (let i = 0; i < controllers.length; i++) {
      const c = controllers[i]
      if (c === undefined) continue
      controllers[i] = undefined
      lost ??= new CancelledError('another input decided the outcome')
      LazyContext.abort(c, lost)
    }
  }
  const finish = (i: number, result: Result<T, E | UnexpectedError>): void => {
    if (stopped) return
    settled++
    if (onSettle(i, result) === true || settled === n) stop()
    else if (!pumping && head < queue.length) pump()
  }
  const finishTask = (i: number, result: Result<T, E | UnexpectedError>): void => {
    if (stopped) return
    controllers[i] = undefined
    running--
    finish(i, result)
  }
  // Iterative on purpose: tasks that settle synchronously must not recurse once per input.
  const pump = (): void => {
    pumping = true
    while (!stopped && running < limit && head < queue.length) {
      const i = queue[head++] as number
      const c = new LazyContext()
      controllers[i] = c
      running++
      startAt<T, E>(inputs[i] as AnyInput, c, i, finishTask)
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
  for (let i = 0; i < n; i++) {
    const input = inputs[i]
    if (typeof input !== 'function') observeAt<T, E>(input, i, finish, onReject)
    else if (!stopped) queue.push(i)
  }
  pump()
  return stop
}

/** Flattens the inputs and checks `{ concurrency, signal }`: the prelude of every group combinator. */
export function prepareGroup(inputs: Inputs, opts: GroupOptions): Listed | InvalidOptionsError {
  const listed = listInputs(inputs)
  if (!('values' in listed)) return listed
  const bad = checkGroupOptions(opts)
  if (bad) release(listed.values)
  return bad ?? listed
}

/** Checks `{ concurrency, signal }`. */
export function checkGroupOptions(opts: GroupOptions): InvalidOptionsError | undefined {
  return firstError(checkConcurrency('concurrency', opts.concurrency), checkSignal('signal', opts.signal))
}

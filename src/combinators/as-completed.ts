import { err, type Result } from 'neverthrow'
import { CancelledError, InvalidOptionsError, type UnexpectedError } from '../errors.js'
import { Channel } from '../internal/channel.js'
import { checkGroupOptions, type GroupOptions, runGroup } from '../internal/group.js'
import { listInputs } from '../internal/shape.js'
import { release } from '../internal/start.js'
import type { ErrUnion, Inputs, KeyOf, OkUnion } from '../types.js'
import type { AllOptions } from './all.js'

/** One settled input, as `asCompleted` yields it. */
export type Completed<T, E, K extends string = never> = [K] extends [never]
  ? { readonly index: number; readonly result: Result<T, E> }
  : { readonly index: number; readonly key: K; readonly result: Result<T, E> }

/** The error side of each result `asCompleted` yields for `inputs`. */
export type CompletedError<I extends Inputs> = ErrUnion<I> | UnexpectedError | CancelledError | InvalidOptionsError

/**
 * Yields each input's Result in completion order, every input exactly once. Tasks start on the
 * first `next()`. Breaking out of the loop aborts the tasks still running; an aborted `signal`
 * yields the still-pending inputs as `err(CancelledError)`, and invalid options yield every
 * input as `err(InvalidOptionsError)` without starting any.
 */
export function asCompleted<const I extends Inputs>(
  inputs: I,
  opts?: AllOptions,
): AsyncGenerator<Completed<OkUnion<I>, CompletedError<I>, KeyOf<I>>, void, undefined> {
  type Item = Completed<OkUnion<I>, CompletedError<I>, KeyOf<I>>
  type R = Result<OkUnion<I>, CompletedError<I>>
  const ready: (Item | undefined)[] = []
  const seen: boolean[] = []
  let n = 0
  let head = 0
  let stop: ((reason?: unknown) => void) | undefined
  const channel: Channel<Item> = new Channel<Item>({
    // Checked and started on the first next(), as a generator body would be.
    open: () => {
      const listed = listInputs(inputs)
      if (listed instanceof InvalidOptionsError) {
        // Not a collection at all: there is no input to yield, so the error comes at index -1.
        n = 1
        ready.push({ index: -1, result: err(listed) } as Item)
        return
      }
      const keys = listed.keys
      const item = (index: number, result: R) =>
        (keys ? { index, key: keys[index], result } : { index, result }) as Item
      n = listed.values.length
      const bad = checkGroupOptions(opts ?? {})
      if (bad) {
        release(listed.values)
        for (let i = 0; i < n; i++) ready.push(item(i, err(bad)))
        return
      }
      const push = (i: number, result: R) => {
        seen[i] = true
        ready.push(item(i, result))
        channel.notify()
      }
      stop = runGroup<OkUnion<I>, ErrUnion<I>>(
        listed.values,
        (opts ?? {}) as GroupOptions,
        (i, r) => {
          push(i, r)
          return undefined
        },
        (e) => {
          for (let i = 0; i < n; i++) if (!seen[i]) push(i, err(e))
        },
      )
    },
    take: () => {
      if (head === ready.length) return undefined
      const next = ready[head]
      ready[head++] = undefined // let items the consumer has had be collected
      return next
    },
    get ended() {
      return head >= n
    },
    close: () => stop?.(new CancelledError('the consumer stopped iterating')),
  })
  return channel
}

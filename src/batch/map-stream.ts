import { err, type Result } from 'neverthrow'
import { CancelledError, type InvalidOptionsError, type UnexpectedError } from '../errors.js'
import { cancelledBy, onAbort } from '../internal/abort.js'
import { fromThrow } from '../internal/start.js'
import { type ItemResult, itemRunner } from './item.js'
import { checkStreamOptions } from './options.js'
import { type Items, openSource, type Source } from './source.js'
import type { ItemErr, ItemFn, ItemOk, ItemReturn, MapStreamOptions } from './types.js'
import { Window } from './window.js'

/** Errors a `mapStream` result can hold: the item's own, plus the stream's. */
export type MapStreamError<R> = ItemErr<R> | CancelledError | InvalidOptionsError

/**
 * Maps items of an array, Iterable or AsyncIterable through `fn` with `concurrency` items in
 * flight, yielding each item's Result: in input order by default (`ordered: false` yields in
 * completion order). Backpressure: the source is never read more than `concurrency` items ahead
 * of what the consumer has taken, so a slow consumer slows the producer down.
 *
 * An item error is yielded as `err(error)` and the stream goes on (break out to stop). Breaking
 * out of the loop aborts running items and closes the source. An aborted `signal` yields one
 * `err(CancelledError)` and ends; a throwing source yields the items already started, then
 * `err(UnexpectedError)`; invalid options yield one `err(InvalidOptionsError)`. Nothing starts
 * before the first `next()`.
 *
 * @example
 * for await (const r of mapStream(readLines(file), (line) => parse(line), { concurrency: 8 })) {
 *   if (r.isErr()) break
 *   await write(r.value)
 * }
 */
export async function* mapStream<I, R extends ItemReturn>(
  items: Items<I>,
  fn: ItemFn<I, R>,
  opts: MapStreamOptions<ItemErr<R>>,
): AsyncGenerator<Result<ItemOk<R>, MapStreamError<R>>, void, undefined> {
  type Out = Result<ItemOk<R>, MapStreamError<R>>
  const bad = checkStreamOptions(items, fn, opts)
  if (bad) {
    yield err(bad)
    return
  }
  const { signal } = opts
  if (signal?.aborted) {
    yield err(cancelledBy(signal))
    return
  }
  let source: Source<I>
  try {
    source = openSource(items)
  } catch (e) {
    yield fromThrow(e)
    return
  }

  const ordered = opts.ordered !== false
  const controller = new AbortController()
  const run = itemRunner<I, ItemOk<R>, ItemErr<R>>(fn as ItemFn<I>, opts, controller.signal)
  // Ordered: results wait here by index until their turn. Unordered: a FIFO in completion order.
  const byIndex = new Map<number, Out>()
  const queue: Out[] = []
  let nextIndex = 0
  let settled = 0
  let taken = 0
  let ended = false
  let sourceError: UnexpectedError | undefined
  let cancelled: CancelledError | undefined
  let stopped = false
  let wake: (() => void) | undefined
  const notify = (): void => {
    const w = wake
    wake = undefined
    w?.()
  }
  const put = (index: number, r: ItemResult<ItemOk<R>, ItemErr<R>>): void => {
    if (stopped) return
    settled++
    if (ordered) byIndex.set(index, r as Out)
    else queue.push(r as Out)
    notify()
  }
  const take = (): Out | undefined => {
    if (!ordered) return queue.shift()
    const r = byIndex.get(nextIndex)
    if (r !== undefined) {
      byIndex.delete(nextIndex)
      nextIndex++
    }
    return r
  }
  const window = new Window<I>(source, opts.concurrency, {
    start: (item, index) => run(item, index, put),
    end: (error) => {
      ended = true
      sourceError = error
      notify()
    },
  })
  const detach = signal
    ? onAbort(signal, () => {
        cancelled = cancelledBy(signal)
        notify()
      })
    : undefined

  try {
    window.pump()
    for (;;) {
      if (cancelled) {
        yield err(cancelled)
        return
      }
      const r = take()
      if (r !== undefined) {
        taken++
        yield r
        // The consumer is done with it and asks for more: only now does its slot go back, so the
        // source is never read more than `concurrency` items ahead of what the consumer has taken.
        window.release()
        continue
      }
      if (ended && taken === window.pulled) {
        if (sourceError) yield err(sourceError)
        return
      }
      await new Promise<void>((resolve) => {
        wake = resolve
      })
    }
  } finally {
    stopped = true
    detach?.()
    window.stop()
    if (settled < window.pulled) controller.abort(cancelled ?? new CancelledError('the consumer stopped iterating'))
  }
}

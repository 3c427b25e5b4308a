import type { Transferable } from 'node:worker_threads'
import type { Result } from 'neverthrow'
import type { CallSite } from './decode.js'
import type { Linked } from './queue.js'
import type { CallState } from './states.js'
import type { ThreadHandle } from './thread-handle.js'

/** One `pool.run`, from submit to settle (its states are in states.ts). */
export interface Call extends Linked<Call> {
  readonly name: string
  input: unknown
  readonly transfer: readonly Transferable[] | undefined
  readonly resolve: (result: Result<unknown, unknown>) => void
  /** Where `pool.run` was called from, for the stack of a task error. */
  readonly site: CallSite | undefined
  state: CallState
  timer: ReturnType<typeof setTimeout> | undefined
  detach: (() => void) | undefined
  /** When it was submitted, and when its thread started on it (0: not yet), from performance.now(). */
  readonly submittedAt: number
  started: number
  thread: ThreadHandle | undefined
  slot: number
  /** Taken back once from a crashed thread before it started: a second time, it fails. */
  requeued: boolean
}
